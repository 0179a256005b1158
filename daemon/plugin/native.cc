#include "daemon/plugin/native.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <cstddef>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "daemon/core/logging.h"
#include "daemon/core/status.h"

namespace shequ::plugin {
namespace {

constexpr size_t kErrorCap = 4096;

// Whether the first `size` bytes of a struct cover member `end_offset` (exclusive).
template <typename T>
bool Covers(const T* s, size_t end_offset) {
  return s->size >= end_offset;
}
#define SHEQU_END_OF(type, member) (offsetof(type, member) + sizeof(((type*)nullptr)->member))

shequ_str S(const std::string& s) { return {s.data(), s.size()}; }

void Append(void* ctx, const char* data, size_t len) {
  if (data && len) static_cast<std::string*>(ctx)->append(data, len);
}

void HostLog(void* ctx, int level, shequ_str message) {
  auto log = Logger(*static_cast<std::string*>(ctx));
  std::string_view text(message.ptr ? message.ptr : "", message.ptr ? message.len : 0);
  switch (level) {
    case SHEQU_LOG_DEBUG:
      log->debug("{}", text);
      break;
    case SHEQU_LOG_WARN:
      log->warn("{}", text);
      break;
    case SHEQU_LOG_ERROR:
      log->error("{}", text);
      break;
    default:
      log->info("{}", text);
      break;
  }
}

absl::Status FromCode(int code, const char* what, const char* buf, size_t len) {
  std::string msg(buf, std::min(len, kErrorCap));
  if (msg.empty()) msg = "(no message)";
  if (!IsValidUtf8(msg)) msg = "(the plugin's message is not UTF-8)";
  switch (code) {
    case SHEQU_INVALID_INPUT:
      return absl::InvalidArgumentError(msg);
    case SHEQU_FAILED:
      return absl::AbortedError(msg);
    case SHEQU_UNAVAILABLE:
      return absl::UnavailableError(msg);
    case SHEQU_NOT_FOUND:
      return absl::NotFoundError(msg);
    case SHEQU_INTERNAL:
      return absl::InternalError(absl::StrCat(what, ": ", msg));
    default:
      return absl::InternalError(absl::StrCat(what, ": unknown result code ", code, ": ", msg));
  }
}

}  // namespace

bool IsValidUtf8(const std::string& s) {
  const auto* u = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    const unsigned char c = u[i];
    size_t len;
    if (c < 0x80) {
      len = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((u[i + k] & 0xC0) != 0x80) return false;
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF.
    if ((c == 0xE0 && u[i + 1] < 0xA0) || (c == 0xED && u[i + 1] >= 0xA0) ||
        (c == 0xF0 && u[i + 1] < 0x90) || (c == 0xF4 && u[i + 1] >= 0x90)) {
      return false;
    }
    i += len;
  }
  return true;
}

absl::Status CheckLibraryFile(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat(path, ": no such plugin library"));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": not a regular file"));
  }
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    return absl::PermissionDeniedError(absl::StrFormat(
        "%s: refused, the library is writable by %s (mode %04o): whoever can write it could run "
        "code as shequd; chmod go-w it",
        path, (st.st_mode & S_IWOTH) ? "others" : "its group", st.st_mode & 07777));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<NativePlugin>> NativePlugin::Load(const std::string& path) {
  RETURN_IF_ERROR(CheckLibraryFile(path));
  std::unique_ptr<NativePlugin> p(new NativePlugin());
  p->path_ = path;
  p->handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!p->handle_) {
    const char* e = dlerror();
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": cannot load: ", e ? e : "dlopen failed"));
  }
  dlerror();
  void* sym = dlsym(p->handle_, SHEQU_PLUGIN_ENTRY_NAME);
  if (!sym) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": refused, it exports no ", SHEQU_PLUGIN_ENTRY_NAME,
                     " (not a shequd plugin, or built without SHEQU_PLUGIN / the export)"));
  }
  auto entry = reinterpret_cast<shequ_plugin_entry_fn>(sym);
  const shequ_plugin_descriptor* d = entry(SHEQU_PLUGIN_ABI_MAJOR, SHEQU_PLUGIN_ABI_MINOR);
  if (!d) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": refused, ", SHEQU_PLUGIN_ENTRY_NAME,
                                                      " returned no descriptor (the plugin "
                                                      "refused ABI ",
                                                      SHEQU_PLUGIN_ABI_MAJOR, ".",
                                                      SHEQU_PLUGIN_ABI_MINOR,
                                                      " or could not build its descriptor)"));
  }
  constexpr size_t kHeader = SHEQU_END_OF(shequ_plugin_descriptor, abi_minor);
  constexpr size_t kV1 = SHEQU_END_OF(shequ_plugin_descriptor, functions);
  if (!Covers(d, kHeader)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": refused, short descriptor: ", d->size, " bytes, ABI 1 needs ", kV1));
  }
  if (d->abi_major != SHEQU_PLUGIN_ABI_MAJOR) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, ": refused, built for plugin ABI ", d->abi_major, ".", d->abi_minor,
        "; this daemon speaks ABI ", SHEQU_PLUGIN_ABI_MAJOR, ".", SHEQU_PLUGIN_ABI_MINOR,
        " (rebuild the plugin against this daemon's plugins/sdk)"));
  }
  if (!Covers(d, kV1)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": refused, short descriptor: ", d->size, " bytes, ABI 1 needs ", kV1));
  }
  const shequ_plugin_functions* fns = d->functions;
  constexpr size_t kFnsV1 = SHEQU_END_OF(shequ_plugin_functions, execute_job);
  if (!fns || fns->size < kFnsV1) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": refused, no function table or a short one (", fns ? fns->size : 0,
                     " bytes, ABI 1 needs ", kFnsV1, ")"));
  }
  p->c_descriptor_ = d;
  p->fns_ = fns;
  const std::string json(d->descriptor_json.ptr ? d->descriptor_json.ptr : "",
                         d->descriptor_json.ptr ? d->descriptor_json.len : 0);
  auto parsed = ParseDescriptorJson(json);
  if (!parsed.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": refused, ", parsed.status().message()));
  }
  if (auto s = ValidateDescriptor(*parsed); !s.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": refused, descriptor ", s.message()));
  }
  const std::string c_name(d->name.ptr ? d->name.ptr : "", d->name.ptr ? d->name.len : 0);
  if (c_name != parsed->name()) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": refused, the descriptor names itself '", c_name,
                     "' but its JSON says '", parsed->name(), "'"));
  }
  if (!fns->execute_job && parsed->job_types_size() > 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": refused, it declares job types but no execute_job"));
  }
  p->descriptor_ = *std::move(parsed);
  p->logger_name_ = "plugin." + c_name;
  p->host_ = {sizeof(shequ_host), SHEQU_PLUGIN_ABI_MAJOR, SHEQU_PLUGIN_ABI_MINOR, &p->logger_name_,
              &HostLog};
  if (Covers(fns, SHEQU_END_OF(shequ_plugin_functions, create)) && fns->create) {
    char buf[kErrorCap];
    shequ_error err{buf, sizeof buf, 0};
    int code = fns->create(&p->host_, &p->state_, &err);
    if (code != SHEQU_OK) {
      return absl::FailedPreconditionError(absl::StrCat(
          path, ": refused, create failed: ", FromCode(code, "create", buf, err.len).message()));
    }
  }
  return p;
}

NativePlugin::~NativePlugin() {
  if (fns_ && Covers(fns_, SHEQU_END_OF(shequ_plugin_functions, destroy)) && fns_->destroy) {
    fns_->destroy(state_);
  }
}

absl::StatusOr<std::string> NativePlugin::ExecuteJob(const pb::ExecuteJobRequest& req) {
  shequ_job job{sizeof(shequ_job),  req.job_id(),      S(req.type()),
                S(req.variables()), req.instance_id(), S(req.definition_id()),
                S(req.node_id()),   req.attempt(),     req.retries_left()};
  std::string out;
  shequ_sink sink{&out, &Append};
  char buf[kErrorCap];
  shequ_error err{buf, sizeof buf, 0};
  int code = fns_->execute_job(state_, &job, &sink, &err);
  if (code != SHEQU_OK) return FromCode(code, "execute_job", buf, err.len);
  if (!IsValidUtf8(out)) return absl::InternalError("execute_job returned text that is not UTF-8");
  return out;
}

absl::StatusOr<std::string> NativePlugin::Invoke(const pb::InvokeRequest& req) {
  if (!Covers(fns_, SHEQU_END_OF(shequ_plugin_functions, invoke)) || !fns_->invoke) {
    return absl::NotFoundError(
        absl::StrCat("operation '", req.operation(), "': the plugin has no operations"));
  }
  const std::string roles = absl::StrJoin(req.caller_roles(), ",");
  shequ_invocation call{sizeof(shequ_invocation), S(req.operation()),   S(req.input()),
                        S(req.request_id()),      S(req.caller_user()), S(roles),
                        S(req.caller_unit())};
  std::string out;
  shequ_sink sink{&out, &Append};
  char buf[kErrorCap];
  shequ_error err{buf, sizeof buf, 0};
  int code = fns_->invoke(state_, &call, &sink, &err);
  if (code != SHEQU_OK) return FromCode(code, "invoke", buf, err.len);
  if (!IsValidUtf8(out)) return absl::InternalError("invoke returned text that is not UTF-8");
  return out;
}

absl::Status NativePlugin::Health() {
  if (!Covers(fns_, SHEQU_END_OF(shequ_plugin_functions, health)) || !fns_->health) {
    return absl::OkStatus();
  }
  char buf[kErrorCap];
  shequ_error err{buf, sizeof buf, 0};
  int code = fns_->health(state_, &err);
  if (code != SHEQU_OK) return FromCode(code, "health", buf, err.len);
  return absl::OkStatus();
}

}  // namespace shequ::plugin
