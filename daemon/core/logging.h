#pragma once

#include <memory>
#include <string>

#include "spdlog/spdlog.h"

namespace shequ {

// One named logger per subsystem ("engine", "store", "server", ...), all sharing one sink.
std::shared_ptr<spdlog::logger> Logger(const std::string& name);
void SetLogLevel(const std::string& level);

// "110101199003071234" -> "1101**********1234": for ID numbers, phones and the like in logs.
std::string MaskPersonal(const std::string& value);

}  // namespace shequ
