// A Prometheus histogram: fixed bucket upper bounds, a count and a sum, rendered in the text
// exposition format for /metrics. Cumulative since start-up (Prometheus computes rates and
// quantiles from it); for a recent-window view of a provider see notify/latency_stats.hpp.
//
// observe() is lock-free and thread-safe; render_prometheus() may run concurrently with it and
// sees each bucket at some recent value (the rendered _count always equals the +Inf bucket).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jarip {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Histogram {
 public:
  // REQUIRES: upper_bounds strictly ascending and finite; +Inf is implicit.
  explicit Histogram(std::vector<double> upper_bounds = default_latency_bounds_seconds());

  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // Seconds from 5 ms to 60 s: provider API calls and end-to-end delivery.
  static std::vector<double> default_latency_bounds_seconds();

  // NaN is ignored (it would make _sum NaN forever).
  void observe(double value);

  std::uint64_t count() const;
  double sum() const;
  const std::vector<double>& upper_bounds() const { return bounds_; }

  // The series lines of one label set: name_bucket{…,le="…"} for each bound and +Inf, then
  // name_sum and name_count. Label values are escaped; names are the caller's (REQUIRES: valid
  // Prometheus names, no "le" label).
  std::string render_prometheus(std::string_view name, const MetricLabels& labels = {}) const;

  // "# HELP" and "# TYPE" lines, once per metric family before its series.
  static std::string render_prometheus_header(std::string_view name, std::string_view help);

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // per bucket, not cumulative; last is +Inf
  std::atomic<double> sum_{0.0};
};

// Prometheus text-format number: shortest round-trip form, "+Inf"/"-Inf"/"NaN".
std::string format_prometheus_number(double value);
// Escapes \, " and newline for a label value.
std::string escape_prometheus_label(std::string_view value);

}  // namespace jarip
