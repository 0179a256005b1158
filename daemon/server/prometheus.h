#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace shequ::server {

// Label name/value pairs in the order they are written. Names are not checked or escaped
// ([a-zA-Z_][a-zA-Z0-9_]*); values are escaped.
using PrometheusLabels = std::vector<std::pair<std::string, std::string>>;

// The Content-Type to serve a PrometheusWriter::str() scrape with.
inline constexpr char kPrometheusContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// Builds a scrape in the Prometheus text exposition format 0.0.4.
//
// Samples of one metric family (same name) may be added by several calls with different labels,
// interleaved with other families: the output groups each family under a single # HELP / # TYPE
// header, families in the order first seen, as the format requires. The help and type of the
// first call win; a later call for the same name with another type is dropped (it would make the
// scrape invalid). Metric names are not checked ([a-zA-Z_:][a-zA-Z0-9_:]*).
class PrometheusWriter {
 public:
  void Counter(std::string_view name, std::string_view help, double value,
               const PrometheusLabels& labels = {});
  void Gauge(std::string_view name, std::string_view help, double value,
             const PrometheusLabels& labels = {});

  // `bounds` are the ascending finite upper bounds; `counts[i]` is the number of observations
  // in bucket i alone (not cumulative), with counts[bounds.size()] the +Inf bucket. Missing
  // counts are zero. Writes cumulative name_bucket{le="..."}, name_sum and name_count.
  void Histogram(std::string_view name, std::string_view help, const std::vector<double>& bounds,
                 const std::vector<uint64_t>& counts, double sum,
                 const PrometheusLabels& labels = {});

  // The whole scrape so far.
  std::string str() const;

 private:
  struct Family {
    std::string name;
    std::string help;
    std::string type;
    std::string samples;  // Finished sample lines.
  };

  // The family to append samples to, or nullptr if `name` already has another type.
  Family* FamilyFor(std::string_view name, std::string_view help, std::string_view type);
  void Simple(std::string_view type, std::string_view name, std::string_view help, double value,
              const PrometheusLabels& labels);

  std::vector<Family> families_;
  std::unordered_map<std::string, size_t> index_;  // name -> position in families_
};

}  // namespace shequ::server
