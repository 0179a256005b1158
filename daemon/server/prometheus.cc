#include "daemon/server/prometheus.h"

#include <charconv>
#include <cmath>

namespace shequ::server {

namespace {

// Shortest text that reads back as the same double ("3", "0.25", "1e+21"), with the format's
// spellings of the special values.
void AppendValue(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
    out.append(buf, end);
  }
}

// HELP text escapes backslash and newline; label values also escape the double quote.
void AppendEscaped(std::string& out, std::string_view text, bool quote) {
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '"':
        out += quote ? "\\\"" : "\"";
        break;
      default:
        out += c;
    }
  }
}

// " 42\n": bucket counts are integers, so no detour through double.
void AppendCount(std::string& out, uint64_t count) {
  out += ' ';
  out += std::to_string(count);
  out += '\n';
}

void AppendLabelPair(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append("=\"");
  AppendEscaped(out, value, /*quote=*/true);
  out += '"';
}

// name{a="1",b="2"} — or bare name without labels — plus an optional trailing `le` label.
void AppendSeries(std::string& out, std::string_view name, const PrometheusLabels& labels,
                  const std::string* le = nullptr) {
  out += name;
  if (labels.empty() && le == nullptr) return;
  out += '{';
  bool first = true;
  for (const auto& [label, value] : labels) {
    if (!first) out += ',';
    first = false;
    AppendLabelPair(out, label, value);
  }
  if (le != nullptr) {
    if (!first) out += ',';
    AppendLabelPair(out, "le", *le);
  }
  out += '}';
}

}  // namespace

PrometheusWriter::Family* PrometheusWriter::FamilyFor(std::string_view name, std::string_view help,
                                                      std::string_view type) {
  auto it = index_.find(std::string(name));
  if (it != index_.end()) {
    Family& family = families_[it->second];
    return family.type == type ? &family : nullptr;
  }
  index_.emplace(std::string(name), families_.size());
  families_.push_back(Family{std::string(name), std::string(help), std::string(type), ""});
  return &families_.back();
}

void PrometheusWriter::Simple(std::string_view type, std::string_view name, std::string_view help,
                              double value, const PrometheusLabels& labels) {
  Family* family = FamilyFor(name, help, type);
  if (family == nullptr) return;
  std::string& out = family->samples;
  AppendSeries(out, name, labels);
  out += ' ';
  AppendValue(out, value);
  out += '\n';
}

void PrometheusWriter::Counter(std::string_view name, std::string_view help, double value,
                               const PrometheusLabels& labels) {
  Simple("counter", name, help, value, labels);
}

void PrometheusWriter::Gauge(std::string_view name, std::string_view help, double value,
                             const PrometheusLabels& labels) {
  Simple("gauge", name, help, value, labels);
}

void PrometheusWriter::Histogram(std::string_view name, std::string_view help,
                                 const std::vector<double>& bounds,
                                 const std::vector<uint64_t>& counts, double sum,
                                 const PrometheusLabels& labels) {
  Family* family = FamilyFor(name, help, "histogram");
  if (family == nullptr) return;
  std::string& out = family->samples;
  const std::string bucket = std::string(name) + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (i < counts.size()) cumulative += counts[i];
    std::string le;
    AppendValue(le, bounds[i]);
    AppendSeries(out, bucket, labels, &le);
    AppendCount(out, cumulative);
  }
  // The +Inf bucket takes everything, including any counts past it.
  for (size_t i = bounds.size(); i < counts.size(); ++i) cumulative += counts[i];
  const std::string inf = "+Inf";
  AppendSeries(out, bucket, labels, &inf);
  AppendCount(out, cumulative);

  AppendSeries(out, std::string(name) + "_sum", labels);
  out += ' ';
  AppendValue(out, sum);
  out += '\n';
  AppendSeries(out, std::string(name) + "_count", labels);
  AppendCount(out, cumulative);
}

std::string PrometheusWriter::str() const {
  std::string out;
  for (const Family& family : families_) {
    out.append("# HELP ").append(family.name).append(" ");
    AppendEscaped(out, family.help, /*quote=*/false);
    out.append("\n# TYPE ").append(family.name).append(" ").append(family.type).append("\n");
    out.append(family.samples);
  }
  return out;
}

}  // namespace shequ::server
