// Metrics in the Prometheus text exposition format, served at /metrics.
//
// Counters and histograms are families of series keyed by label values;
// gauges are sampled by a callback when /metrics is rendered, so values that
// live elsewhere (resident memory, pool use, cache bytes) are never copied
// and never stale. Label values must come from bounded sets (route templates,
// status codes), never from raw request paths, or the registry would grow
// with every URL an attacker invents.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace kith::core {

using Labels = std::vector<std::pair<std::string, std::string>>;

class CounterFamily {
 public:
  void add(const Labels& labels, double amount = 1);
  double value(const Labels& labels) const;
  void render(const std::string& name, std::string& out) const;

 private:
  mutable std::mutex mutex_;
  std::map<Labels, double> series_;
};

class HistogramFamily {
 public:
  explicit HistogramFamily(std::vector<double> upper_bounds);
  void observe(const Labels& labels, double value);
  void render(const std::string& name, std::string& out) const;

 private:
  struct Series {
    std::vector<std::uint64_t> bucket_counts;  // non-cumulative, one per bound
    std::uint64_t count = 0;
    double sum = 0;
  };
  std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::map<Labels, Series> series_;
};

// One sample of a gauge family: labels and value.
using GaugeSample = std::pair<Labels, double>;
using GaugeSampler = std::function<std::vector<GaugeSample>()>;

class MetricsRegistry {
 public:
  // Registering the same name twice returns the existing family.
  CounterFamily& counter(const std::string& name, const std::string& help);
  HistogramFamily& histogram(const std::string& name, const std::string& help,
                             std::vector<double> upper_bounds);
  void gauge(const std::string& name, const std::string& help, GaugeSampler sampler);

  std::string render() const;

 private:
  struct Family {
    std::string name, help, type;
    std::unique_ptr<CounterFamily> counter;
    std::unique_ptr<HistogramFamily> histogram;
    GaugeSampler sampler;
  };
  Family* find(const std::string& name);
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Family>> families_;
};

// Latency buckets (seconds) for request histograms.
inline const std::vector<double> kLatencyBuckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                 0.1,   0.25,   0.5,   1,    2.5,   10};

// Escapes a label value for the exposition format (\\, \", \n).
std::string escape_label_value(const std::string& value);

}  // namespace kith::core
