#include "daemon/modules/identity/module.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <future>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/core/logging.h"
#include "daemon/core/status.h"
#include "daemon/modules/identity/service.h"
#include "yaml-cpp/yaml.h"

namespace shequ::modules::identity {
namespace {

// Runs one of the directory's changes and waits for its commit (start-up only: the engine runs
// on its own threads).
template <typename T, typename Start>
absl::StatusOr<T> Wait(Start start) {
  std::promise<absl::StatusOr<T>> done;
  start([&done](absl::StatusOr<T> r) { done.set_value(std::move(r)); });
  return done.get_future().get();
}

// Writes `text` to `path` readable by the owner only; the file is created 0600 from the start,
// never world-readable for a moment.
absl::Status WritePrivate(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": ", std::strerror(errno)));
  }
  absl::Status s;
  if (::fchmod(fd, 0600) != 0) s = absl::FailedPreconditionError(absl::StrCat(path, ": chmod"));
  size_t off = 0;
  while (s.ok() && off < text.size()) {
    const ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      s = absl::FailedPreconditionError(absl::StrCat(path, ": ", std::strerror(errno)));
      break;
    }
    off += static_cast<size_t>(n);
  }
  if (s.ok() && ::fsync(fd) != 0) s = absl::FailedPreconditionError(absl::StrCat(path, ": fsync"));
  ::close(fd);
  return s;
}

}  // namespace

store::ModuleSchema IdentityModule::Schema() const {
  return {kName, DurableDirectory::Tables(), Migrations()};
}

absl::Status IdentityModule::Open(const ModuleContext& ctx) {
  auth_ = ctx.config.auth;
  data_dir_ = ctx.config.data_dir;
  directory_ = std::make_unique<DurableDirectory>(ctx.engine, ctx.store, ctx.clock);
  return absl::OkStatus();
}

absl::Status IdentityModule::Recover() { return directory_->Recover(); }

absl::Status IdentityModule::Started() {
  if (!auth_.bootstrap_admin || directory_->directory().principal_count() > 0) {
    return absl::OkStatus();
  }
  auto log = Logger("identity");
  const std::string path = auth_.admin_token_file.empty()
                               ? (std::filesystem::path(data_dir_) / "admin.token").string()
                               : auth_.admin_token_file;
  // Tried first: an administrator whose token could not be written would lock everyone out,
  // since a later start makes none once principals exist.
  RETURN_IF_ERROR(WritePrivate(path, ""));
  auth::PrincipalRecord admin;
  admin.name = kAdmin;
  admin.display_name = "administrator made at first start";
  admin.kind = "person";
  admin.roles = {{"district-admin", 0}};
  ASSIGN_OR_RETURN(auto p, Wait<auth::PrincipalRecord>([&](auto done) {
                     directory_->PutPrincipal(engine::Caller{"shequd"}, "", admin, done);
                   }));
  // It never expires: it is how the first administrator gets in. Revoke it once personal
  // administrator tokens exist.
  ASSIGN_OR_RETURN(auto token, Wait<auth::IssuedToken>([&](auto done) {
                     directory_->CreateToken(engine::Caller{"shequd"}, "", p.name, "made at first start", 0, done);
                   }));
  RETURN_IF_ERROR(WritePrivate(path, token.text + "\n"));
  log->warn("first start: principal '{}' (district-admin) made; its API token {} is in {} "
            "(mode 0600). Create personal administrators, then revoke it.",
            p.name, token.record.id, path);
  return absl::OkStatus();
}

absl::Status IdentityModule::LoadDemo(const std::string& demo_dir) {
  const std::string file = demo_dir + "/principals.yaml";
  if (!std::filesystem::exists(file)) return absl::OkStatus();
  const std::string out_path = (std::filesystem::path(data_dir_) / "demo-tokens.txt").string();
  // The tokens are issued once: a restart finds the file and adds nothing.
  if (std::filesystem::exists(out_path)) return absl::OkStatus();
  std::vector<auth::PrincipalRecord> principals;
  try {
    YAML::Node root = YAML::LoadFile(file);
    for (const auto& n : root["principals"]) {
      auth::PrincipalRecord p;
      p.name = n["name"].as<std::string>();
      p.display_name = n["display_name"] ? n["display_name"].as<std::string>() : "";
      p.kind = n["kind"] ? n["kind"].as<std::string>() : "person";
      p.unit = n["unit"] ? n["unit"].as<std::string>() : "";
      if (n["roles"]) {
        for (const auto& r : n["roles"].as<std::vector<std::string>>()) p.roles.push_back({r, 0});
      }
      principals.push_back(std::move(p));
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": ", e.what()));
  }
  std::string lines =
      "# shequd demo principals: <name> <roles> <unit> <token>; send the token as\n"
      "# `authorization: Bearer <token>` (shequctl --token, SHEQU_TOKEN).\n";
  for (auto& p : principals) {
    std::vector<std::string> roles;
    for (const auto& g : p.roles) roles.push_back(g.role);
    ASSIGN_OR_RETURN(auto rec, Wait<auth::PrincipalRecord>([&](auto done) {
                       directory_->PutPrincipal(engine::Caller{"shequd"}, "", p, done);
                     }));
    ASSIGN_OR_RETURN(auto token, Wait<auth::IssuedToken>([&](auto done) {
                       directory_->CreateToken(engine::Caller{"shequd"}, "", rec.name, "demo", auth_.token_ttl_ms,
                                               done);
                     }));
    absl::StrAppend(&lines, rec.name, " ", roles.empty() ? "-" : absl::StrJoin(roles, ","), " ",
                    rec.unit.empty() ? "-" : rec.unit, " ", token.text, "\n");
  }
  RETURN_IF_ERROR(WritePrivate(out_path, lines));
  Logger("identity")->info("demo: {} principals; their API tokens are in {} (mode 0600)",
                           principals.size(), out_path);
  return absl::OkStatus();
}

void IdentityModule::RegisterServices(server::ServiceContext& ctx,
                                      std::vector<std::unique_ptr<grpc::Service>>& out) {
  directory_->SetSessions(&ctx.sessions);
  out.push_back(std::make_unique<PrincipalsService>(ctx, *directory_, auth_.token_ttl_ms));
}

void IdentityModule::Metrics(server::PrometheusWriter& w) const {
  w.Gauge("shequ_identity_principals", "Principals in the directory.",
          static_cast<double>(directory_->directory().principal_count()));
}

}  // namespace shequ::modules::identity
