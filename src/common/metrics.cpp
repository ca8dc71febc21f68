#include "common/metrics.hpp"

#include <cstdio>

namespace jarip {

std::string render_labels(const MetricLabels& labels) {
  if (labels.empty()) return {};
  std::string out = "{";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ',';
    out += labels[i].first + "=\"";
    for (char c : labels[i].second) {
      if (c == '"' || c == '\\') out += '\\';
      if (c == '\n') { out += "\\n"; continue; }
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::atomic<std::uint64_t>& MetricsRegistry::counter(const std::string& name, const MetricLabels& labels) {
  std::lock_guard lock(mutex_);
  auto& family = families_[name];
  if (family.type.empty()) family.type = "counter";
  auto& slot = family.counters[render_labels(labels)];
  if (!slot) slot = std::make_unique<std::atomic<std::uint64_t>>(0);
  return *slot;
}

Histogram& MetricsRegistry::histogram(const std::string& name, const MetricLabels& labels) {
  std::lock_guard lock(mutex_);
  auto& family = families_[name];
  if (family.type.empty()) family.type = "histogram";
  auto& slot = family.histograms[render_labels(labels)];
  if (!slot.second) slot = {labels, std::make_unique<Histogram>()};
  return *slot.second;
}

void MetricsRegistry::gauge(const std::string& name, const MetricLabels& labels, std::function<double()> read) {
  std::lock_guard lock(mutex_);
  auto& family = families_[name];
  if (family.type.empty()) family.type = "gauge";
  family.gauges[render_labels(labels)] = std::move(read);
}

void MetricsRegistry::help(const std::string& name, const std::string& type, const std::string& text) {
  std::lock_guard lock(mutex_);
  auto& family = families_[name];
  family.type = type;
  family.help = text;
}

std::string MetricsRegistry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  char number[64];
  for (const auto& [name, family] : families_) {
    if (!family.help.empty()) out += "# HELP " + name + " " + family.help + "\n";
    out += "# TYPE " + name + " " + family.type + "\n";
    for (const auto& [labels, value] : family.counters) {
      out += name + labels + " " + std::to_string(value->load()) + "\n";
    }
    for (const auto& [labels, read] : family.gauges) {
      std::snprintf(number, sizeof number, "%.6g", read());
      out += name + labels + " " + number + "\n";
    }
    for (const auto& [key, entry] : family.histograms) {
      out += entry.second->render_prometheus(name, entry.first);
    }
  }
  return out;
}

}  // namespace jarip
