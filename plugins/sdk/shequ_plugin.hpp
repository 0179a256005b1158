#pragma once

// A small C++ wrapper over shequ_plugin.h for plugin authors. Derive from shequ::sdk::Plugin,
// then export it with SHEQU_PLUGIN(Class, "name", "version", DescriptorJson):
//
//   class Civil : public shequ::sdk::Plugin {
//     std::string ExecuteJob(const shequ::sdk::Job& job) override { ... return R"({"ok":1})"; }
//   };
//   std::string CivilDescriptor() { return R"({"name":"civil", ...})"; }
//   SHEQU_PLUGIN(Civil, "civil", "1.0.0", CivilDescriptor)
//
// Every exception is caught at the C edge and turned into a code and message: throw
// shequ::sdk::Error(SHEQU_INVALID_INPUT, "...") to choose the code; anything else is
// SHEQU_INTERNAL. Only the standard library is used here, so plugins pick their own JSON library.

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <string_view>

#include "plugins/sdk/shequ_plugin.h"

namespace shequ::sdk {

class Error : public std::exception {
 public:
  Error(shequ_code code, std::string message) : code_(code), message_(std::move(message)) {}
  shequ_code code() const { return code_; }
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  shequ_code code_;
  std::string message_;
};

// Retrying will not help: the job raises an incident at once.
inline Error InvalidInput(std::string message) {
  return Error(SHEQU_INVALID_INPUT, std::move(message));
}

inline std::string_view View(shequ_str s) { return {s.ptr ? s.ptr : "", s.len}; }
inline shequ_str Str(std::string_view s) { return {s.data(), s.size()}; }

struct Job {
  int64_t id = 0;
  std::string_view type;
  std::string_view variables_json;
  int64_t instance_id = 0;
  std::string_view definition_id;
  std::string_view node_id;
  int32_t attempt = 0;
  int32_t retries_left = 0;
};

struct Invocation {
  std::string_view operation;
  std::string_view input_json;
  std::string_view request_id;
  std::string_view caller_user;
  std::string_view caller_roles;
  std::string_view caller_unit;
};

class Plugin {
 public:
  virtual ~Plugin() = default;
  // Returns a JSON object of variables to merge into the instance.
  virtual std::string ExecuteJob(const Job& job) = 0;
  // Returns a JSON object.
  virtual std::string Invoke(const Invocation& call) {
    throw Error(SHEQU_NOT_FOUND, "unknown operation '" + std::string(call.operation) + "'");
  }
  // Empty when healthy, otherwise why not.
  virtual std::string Unhealthy() { return ""; }

  void Log(int level, std::string_view message) const {
    if (host_ && host_->size >= offsetof(shequ_host, log) + sizeof(host_->log) && host_->log) {
      host_->log(host_->ctx, level, Str(message));
    }
  }

 private:
  template <typename P>
  friend struct Adapter;
  const shequ_host* host_ = nullptr;
};

namespace internal {

inline void SetError(shequ_error* error, std::string_view message) {
  if (!error || !error->buf) return;
  error->len = std::min(message.size(), error->cap);
  std::memcpy(error->buf, message.data(), error->len);
}

// Runs `body` and turns whatever it throws into a code and message.
template <typename Body>
shequ_code Guard(shequ_error* error, Body&& body) noexcept {
  try {
    body();
    return SHEQU_OK;
  } catch (const Error& e) {
    SetError(error, e.what());
    return e.code();
  } catch (const std::bad_alloc&) {
    SetError(error, "out of memory");
    return SHEQU_INTERNAL;
  } catch (const std::exception& e) {
    SetError(error, std::string("unexpected error: ") + e.what());
    return SHEQU_INTERNAL;
  } catch (...) {
    SetError(error, "unexpected error (not a std::exception)");
    return SHEQU_INTERNAL;
  }
}

inline void Write(shequ_sink* out, const std::string& text) {
  if (out && out->append) out->append(out->ctx, text.data(), text.size());
}

}  // namespace internal

template <typename P>
struct Adapter {
  static shequ_code Create(const shequ_host* host, void** state, shequ_error* error) noexcept {
    return internal::Guard(error, [&] {
      auto* p = new P();
      p->host_ = host;
      *state = p;
    });
  }
  static shequ_code ExecuteJob(void* state, const shequ_job* job, shequ_sink* out,
                               shequ_error* error) noexcept {
    return internal::Guard(error, [&] {
      Job j;
      j.id = job->job_id;
      j.type = View(job->type);
      j.variables_json = View(job->variables_json);
      j.instance_id = job->instance_id;
      j.definition_id = View(job->definition_id);
      j.node_id = View(job->node_id);
      j.attempt = job->attempt;
      j.retries_left = job->retries_left;
      internal::Write(out, static_cast<P*>(state)->ExecuteJob(j));
    });
  }
  static shequ_code Invoke(void* state, const shequ_invocation* call, shequ_sink* out,
                           shequ_error* error) noexcept {
    return internal::Guard(error, [&] {
      Invocation c{View(call->operation),   View(call->input_json),   View(call->request_id),
                   View(call->caller_user), View(call->caller_roles), View(call->caller_unit)};
      internal::Write(out, static_cast<P*>(state)->Invoke(c));
    });
  }
  static shequ_code Health(void* state, shequ_error* error) noexcept {
    shequ_code code = SHEQU_OK;
    shequ_code guarded = internal::Guard(error, [&] {
      std::string why = static_cast<P*>(state)->Unhealthy();
      if (!why.empty()) {
        internal::SetError(error, why);
        code = SHEQU_UNAVAILABLE;
      }
    });
    return guarded != SHEQU_OK ? guarded : code;
  }
  static void Destroy(void* state) noexcept {
    try {
      delete static_cast<P*>(state);
    } catch (...) {
    }
  }
  static const shequ_plugin_functions* Functions() {
    static const shequ_plugin_functions fns = {
        sizeof(shequ_plugin_functions), &Create, &ExecuteJob, &Invoke, &Health, &Destroy};
    return &fns;
  }
};

}  // namespace shequ::sdk

// Exports the entry point for plugin class `Class`. `describe` returns the descriptor JSON
// (shequ.plugin.v1.Descriptor); it runs once, and an exception from it makes the entry point
// return null, which the host refuses with a clear message.
#define SHEQU_PLUGIN(Class, plugin_name, plugin_version, describe)                            \
  extern "C" SHEQU_PLUGIN_EXPORT const shequ_plugin_descriptor* shequ_plugin_entry(           \
      uint32_t host_abi_major, uint32_t /*host_abi_minor*/) {                                 \
    if (host_abi_major != SHEQU_PLUGIN_ABI_MAJOR) return nullptr;                             \
    try {                                                                                     \
      static const std::string json = describe();                                             \
      static const shequ_plugin_descriptor d = {sizeof(shequ_plugin_descriptor),              \
                                                SHEQU_PLUGIN_ABI_MAJOR,                       \
                                                SHEQU_PLUGIN_ABI_MINOR,                       \
                                                {plugin_name, sizeof(plugin_name) - 1},       \
                                                {plugin_version, sizeof(plugin_version) - 1}, \
                                                {json.data(), json.size()},                   \
                                                ::shequ::sdk::Adapter<Class>::Functions()};   \
      return &d;                                                                              \
    } catch (...) {                                                                           \
      return nullptr;                                                                         \
    }                                                                                         \
  }
