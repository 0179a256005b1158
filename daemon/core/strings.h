#pragma once

// Debian's Abseil has its own absl::string_view, so absl::StrCat and friends do not take
// std::string_view; Sv and Cat bridge the two.

#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace shequ {

inline absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

namespace internal {
template <typename T>
decltype(auto) Bridge(const T& v) {
  if constexpr (std::is_same_v<T, std::string_view>) {
    return Sv(v);
  } else {
    return (v);
  }
}
}  // namespace internal

// absl::StrCat that also takes std::string_view.
template <typename... Args>
std::string Cat(const Args&... args) {
  return absl::StrCat(internal::Bridge(args)...);
}

}  // namespace shequ
