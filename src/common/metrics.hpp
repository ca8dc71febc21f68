// Prometheus metrics: counters, gauges and histograms registered by name and labels, rendered in the
// text exposition format for /metrics. Lookups take a mutex; hot paths keep the returned reference.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/histogram.hpp"

namespace jarip {

class MetricsRegistry {
 public:
  // References stay valid for the registry's lifetime.
  std::atomic<std::uint64_t>& counter(const std::string& name, const MetricLabels& labels = {});
  Histogram& histogram(const std::string& name, const MetricLabels& labels = {});
  // A gauge read at render time.
  void gauge(const std::string& name, const MetricLabels& labels, std::function<double()> read);
  void help(const std::string& name, const std::string& type, const std::string& text);

  std::string render() const;

 private:
  struct Family {
    std::string type;  // counter | gauge | histogram
    std::string help;
    std::map<std::string, std::unique_ptr<std::atomic<std::uint64_t>>> counters;  // by label text
    std::map<std::string, std::pair<MetricLabels, std::unique_ptr<Histogram>>> histograms;
    std::map<std::string, std::function<double()>> gauges;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Family> families_;
};

std::string render_labels(const MetricLabels& labels);

}  // namespace jarip
