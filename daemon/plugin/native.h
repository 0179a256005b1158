#pragma once

// Native plugins: a shared library speaking the C ABI of plugins/sdk/shequ_plugin.h, loaded with
// dlopen. Used inside the daemon (inprocess: true) and inside shequ-plugin-host (isolated).

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/plugin/descriptor.h"
#include "plugins/sdk/shequ_plugin.h"

namespace shequ::plugin {

// Refuses what is not a regular file, or is writable by group or others: whoever can write the
// library can run code as the daemon.
absl::Status CheckLibraryFile(const std::string& path);

class NativePlugin {
 public:
  // Checks the file, loads it and checks the ABI: the entry point exists, returns a descriptor
  // of the right major version and of at least the size ABI 1 defines, with a function table and
  // a valid descriptor JSON. Every refusal says what is wrong and never crashes the caller.
  static absl::StatusOr<std::unique_ptr<NativePlugin>> Load(const std::string& path);
  // Destroys the plugin's state. The library stays mapped (never dlclose'd): a thread that hung
  // inside it may still be running its code.
  ~NativePlugin();
  NativePlugin(const NativePlugin&) = delete;
  NativePlugin& operator=(const NativePlugin&) = delete;

  const pb::Descriptor& descriptor() const { return descriptor_; }
  const std::string& path() const { return path_; }

  // Thread-safe as the ABI requires of the plugin. The result is the plugin's JSON text, checked
  // to be UTF-8 only; codes: INVALID_INPUT -> InvalidArgument, FAILED -> Aborted, UNAVAILABLE ->
  // Unavailable, NOT_FOUND -> NotFound, INTERNAL and anything else -> Internal.
  absl::StatusOr<std::string> ExecuteJob(const pb::ExecuteJobRequest& req);
  absl::StatusOr<std::string> Invoke(const pb::InvokeRequest& req);
  absl::Status Health();

 private:
  NativePlugin() = default;

  std::string path_;
  void* handle_ = nullptr;
  const shequ_plugin_descriptor* c_descriptor_ = nullptr;
  const shequ_plugin_functions* fns_ = nullptr;
  void* state_ = nullptr;
  shequ_host host_{};
  std::string logger_name_;
  pb::Descriptor descriptor_;
};

bool IsValidUtf8(const std::string& s);

}  // namespace shequ::plugin
