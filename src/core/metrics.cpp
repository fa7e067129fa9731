// Rendering metrics in the Prometheus text exposition format 0.0.4:
//   # HELP name text
//   # TYPE name counter|gauge|histogram
//   name{label="value",...} number
// Histograms expose cumulative _bucket series with an `le` label, then _sum
// and _count, as the format requires.
#include "kith/core/metrics.hpp"

#include <fmt/format.h>

#include <cassert>
#include <cmath>

namespace kith::core {
namespace {

std::string format_labels(const Labels& labels, const std::string& extra_name = "",
                          const std::string& extra_value = "") {
  if (labels.empty() && extra_name.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out += ',';
    first = false;
    out += name + "=\"" + escape_label_value(value) + "\"";
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += extra_name + "=\"" + extra_value + "\"";
  }
  return out + "}";
}

std::string format_number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) return fmt::format("{:.0f}", value);
  return fmt::format("{}", value);
}

}  // namespace

std::string escape_label_value(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

void CounterFamily::add(const Labels& labels, double amount) {
  std::lock_guard lock(mutex_);
  series_[labels] += amount;
}

double CounterFamily::value(const Labels& labels) const {
  std::lock_guard lock(mutex_);
  auto it = series_.find(labels);
  return it == series_.end() ? 0 : it->second;
}

void CounterFamily::render(const std::string& name, std::string& out) const {
  std::lock_guard lock(mutex_);
  for (const auto& [labels, value] : series_)
    out += name + format_labels(labels) + " " + format_number(value) + "\n";
}

HistogramFamily::HistogramFamily(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)) {}

void HistogramFamily::observe(const Labels& labels, double value) {
  std::lock_guard lock(mutex_);
  Series& series = series_[labels];
  if (series.bucket_counts.empty()) series.bucket_counts.resize(bounds_.size());
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    if (value <= bounds_[i]) {
      ++series.bucket_counts[i];
      break;
    }
  }
  ++series.count;
  series.sum += value;
}

void HistogramFamily::render(const std::string& name, std::string& out) const {
  std::lock_guard lock(mutex_);
  for (const auto& [labels, series] : series_) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < bounds_.size(); ++i) {
      cumulative += series.bucket_counts[i];
      out += name + "_bucket" + format_labels(labels, "le", format_number(bounds_[i])) + " " +
             std::to_string(cumulative) + "\n";
    }
    out += name + "_bucket" + format_labels(labels, "le", "+Inf") + " " +
           std::to_string(series.count) + "\n";
    out += name + "_sum" + format_labels(labels) + " " + format_number(series.sum) + "\n";
    out += name + "_count" + format_labels(labels) + " " + std::to_string(series.count) + "\n";
  }
}

MetricsRegistry::Family* MetricsRegistry::find(const std::string& name) {
  for (auto& family : families_)
    if (family->name == name) return family.get();
  return nullptr;
}

CounterFamily& MetricsRegistry::counter(const std::string& name, const std::string& help) {
  std::lock_guard lock(mutex_);
  if (Family* existing = find(name)) {
    assert(existing->counter && "metric name already registered as another type");
    return *existing->counter;
  }
  auto family = std::make_unique<Family>(Family{name, help, "counter"});
  family->counter = std::make_unique<CounterFamily>();
  families_.push_back(std::move(family));
  return *families_.back()->counter;
}

HistogramFamily& MetricsRegistry::histogram(const std::string& name, const std::string& help,
                                            std::vector<double> upper_bounds) {
  std::lock_guard lock(mutex_);
  if (Family* existing = find(name)) {
    assert(existing->histogram && "metric name already registered as another type");
    return *existing->histogram;
  }
  auto family = std::make_unique<Family>(Family{name, help, "histogram"});
  family->histogram = std::make_unique<HistogramFamily>(std::move(upper_bounds));
  families_.push_back(std::move(family));
  return *families_.back()->histogram;
}

void MetricsRegistry::gauge(const std::string& name, const std::string& help,
                            GaugeSampler sampler) {
  std::lock_guard lock(mutex_);
  if (Family* existing = find(name)) {
    assert(existing->type == "gauge" && "metric name already registered as another type");
    existing->sampler = std::move(sampler);
    return;
  }
  auto family = std::make_unique<Family>(Family{name, help, "gauge"});
  family->sampler = std::move(sampler);
  families_.push_back(std::move(family));
}

std::string MetricsRegistry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& family : families_) {
    out += "# HELP " + family->name + " " + family->help + "\n";
    out += "# TYPE " + family->name + " " + family->type + "\n";
    if (family->counter) family->counter->render(family->name, out);
    if (family->histogram) family->histogram->render(family->name, out);
    if (family->sampler) {
      for (const auto& [labels, value] : family->sampler())
        out += family->name + format_labels(labels) + " " + format_number(value) + "\n";
    }
  }
  return out;
}

}  // namespace kith::core
