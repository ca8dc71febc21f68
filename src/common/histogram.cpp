#include "common/histogram.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace jarip {

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

std::vector<double> Histogram::default_latency_bounds_seconds() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

void Histogram::observe(double value) {
  if (std::isnan(value)) return;
  auto bucket = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

std::uint64_t Histogram::count() const {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) total += counts_[i].load(std::memory_order_relaxed);
  return total;
}

double Histogram::sum() const { return sum_.load(std::memory_order_relaxed); }

std::string Histogram::render_prometheus(std::string_view name, const MetricLabels& labels) const {
  std::string prefix;
  for (const auto& [key, value] : labels) {
    prefix += key;
    prefix += "=\"";
    prefix += escape_prometheus_label(value);
    prefix += "\",";
  }
  std::string out;
  // Cumulative counts come from one pass over the buckets, so _count matches the +Inf bucket even
  // while other threads observe.
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    std::string le = i < bounds_.size() ? format_prometheus_number(bounds_[i]) : "+Inf";
    out += std::string(name) + "_bucket{" + prefix + "le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  std::string braces = labels.empty() ? "" : "{" + prefix.substr(0, prefix.size() - 1) + "}";
  out += std::string(name) + "_sum" + braces + " " + format_prometheus_number(sum()) + "\n";
  out += std::string(name) + "_count" + braces + " " + std::to_string(cumulative) + "\n";
  return out;
}

std::string Histogram::render_prometheus_header(std::string_view name, std::string_view help) {
  std::string escaped;
  for (char c : help) {
    if (c == '\\') escaped += "\\\\";
    else if (c == '\n') escaped += "\\n";
    else escaped += c;
  }
  return "# HELP " + std::string(name) + " " + escaped + "\n# TYPE " + std::string(name) + " histogram\n";
}

std::string format_prometheus_number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::string escape_prometheus_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

}  // namespace jarip
