#include "daemon/core/logging.h"

#include <mutex>

#include "spdlog/sinks/stdout_color_sinks.h"

namespace shequ {

std::shared_ptr<spdlog::logger> Logger(const std::string& name) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = spdlog::stderr_color_mt(name);
  logger->set_level(spdlog::get_level());
  return logger;
}

void SetLogLevel(const std::string& level) {
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::apply_all([&](std::shared_ptr<spdlog::logger> l) { l->set_level(spdlog::get_level()); });
}

std::string MaskPersonal(const std::string& value) {
  if (value.size() <= 8) return std::string(value.size(), '*');
  return value.substr(0, 4) + std::string(value.size() - 8, '*') + value.substr(value.size() - 4);
}

}  // namespace shequ
