#include "daemon/server/prometheus.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace shequ::server {
namespace {

TEST(PrometheusWriterTest, Counter) {
  PrometheusWriter w;
  w.Counter("shequ_commands_total", "Commands applied.", 42);
  EXPECT_EQ(w.str(),
            "# HELP shequ_commands_total Commands applied.\n"
            "# TYPE shequ_commands_total counter\n"
            "shequ_commands_total 42\n");
}

TEST(PrometheusWriterTest, EmptyWriterWritesNothing) { EXPECT_EQ(PrometheusWriter().str(), ""); }

TEST(PrometheusWriterTest, GaugeWithLabelsAndEscaping) {
  PrometheusWriter w;
  w.Gauge("shequ_open_tasks", "Open user tasks.\nBy \\unit\\.", 3, {{"unit", "a\"b\\c\nd"}});
  w.Gauge("shequ_open_tasks", "ignored: help is written once", 0.25,
          {{"unit", "plain"}, {"role", "grid"}});
  EXPECT_EQ(w.str(),
            "# HELP shequ_open_tasks Open user tasks.\\nBy \\\\unit\\\\.\n"
            "# TYPE shequ_open_tasks gauge\n"
            "shequ_open_tasks{unit=\"a\\\"b\\\\c\\nd\"} 3\n"
            "shequ_open_tasks{unit=\"plain\",role=\"grid\"} 0.25\n");
}

TEST(PrometheusWriterTest, SpecialValues) {
  PrometheusWriter w;
  w.Gauge("g", "h", std::numeric_limits<double>::infinity(), {{"v", "pos"}});
  w.Gauge("g", "h", -std::numeric_limits<double>::infinity(), {{"v", "neg"}});
  w.Gauge("g", "h", std::nan(""), {{"v", "nan"}});
  w.Gauge("g", "h", -1.5e21, {{"v", "big"}});
  EXPECT_EQ(w.str(),
            "# HELP g h\n"
            "# TYPE g gauge\n"
            "g{v=\"pos\"} +Inf\n"
            "g{v=\"neg\"} -Inf\n"
            "g{v=\"nan\"} NaN\n"
            "g{v=\"big\"} -1.5e+21\n");
}

TEST(PrometheusWriterTest, HistogramBucketsAreCumulative) {
  PrometheusWriter w;
  w.Histogram("shequ_commit_seconds", "Group commit latency.", {0.005, 0.1, 1}, {2, 0, 5, 1}, 3.75);
  EXPECT_EQ(w.str(),
            "# HELP shequ_commit_seconds Group commit latency.\n"
            "# TYPE shequ_commit_seconds histogram\n"
            "shequ_commit_seconds_bucket{le=\"0.005\"} 2\n"
            "shequ_commit_seconds_bucket{le=\"0.1\"} 2\n"
            "shequ_commit_seconds_bucket{le=\"1\"} 7\n"
            "shequ_commit_seconds_bucket{le=\"+Inf\"} 8\n"
            "shequ_commit_seconds_sum 3.75\n"
            "shequ_commit_seconds_count 8\n");
}

TEST(PrometheusWriterTest, HistogramWithLabelsPutsLeLast) {
  PrometheusWriter w;
  w.Histogram("rpc_seconds", "RPC latency.", {1}, {1, 1}, 2.5, {{"method", "Start"}});
  w.Histogram("rpc_seconds", "RPC latency.", {1}, {0}, 0, {{"method", "Cancel"}});
  EXPECT_EQ(w.str(),
            "# HELP rpc_seconds RPC latency.\n"
            "# TYPE rpc_seconds histogram\n"
            "rpc_seconds_bucket{method=\"Start\",le=\"1\"} 1\n"
            "rpc_seconds_bucket{method=\"Start\",le=\"+Inf\"} 2\n"
            "rpc_seconds_sum{method=\"Start\"} 2.5\n"
            "rpc_seconds_count{method=\"Start\"} 2\n"
            "rpc_seconds_bucket{method=\"Cancel\",le=\"1\"} 0\n"
            "rpc_seconds_bucket{method=\"Cancel\",le=\"+Inf\"} 0\n"
            "rpc_seconds_sum{method=\"Cancel\"} 0\n"
            "rpc_seconds_count{method=\"Cancel\"} 0\n");
}

TEST(PrometheusWriterTest, InterleavedFamiliesAreGrouped) {
  PrometheusWriter w;
  w.Counter("a_total", "A.", 1, {{"k", "x"}});
  w.Gauge("b", "B.", 2);
  w.Counter("a_total", "A.", 3, {{"k", "y"}});
  EXPECT_EQ(w.str(),
            "# HELP a_total A.\n"
            "# TYPE a_total counter\n"
            "a_total{k=\"x\"} 1\n"
            "a_total{k=\"y\"} 3\n"
            "# HELP b B.\n"
            "# TYPE b gauge\n"
            "b 2\n");
}

TEST(PrometheusWriterTest, ConflictingTypeIsDropped) {
  PrometheusWriter w;
  w.Counter("m", "M.", 1);
  w.Gauge("m", "M.", 2);
  w.Histogram("m", "M.", {1}, {1, 0}, 1);
  EXPECT_EQ(w.str(),
            "# HELP m M.\n"
            "# TYPE m counter\n"
            "m 1\n");
}

}  // namespace
}  // namespace shequ::server
