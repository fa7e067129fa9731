// Metrics rendered in the Prometheus text format: HELP and TYPE lines,
// counters, cumulative histogram buckets with +Inf, _sum and _count, gauges
// sampled at render time, and escaping of label values.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "kith/core/metrics.hpp"

using kith::core::CounterFamily;
using kith::core::escape_label_value;
using kith::core::GaugeSample;
using kith::core::HistogramFamily;
using kith::core::kLatencyBuckets;
using kith::core::Labels;
using kith::core::MetricsRegistry;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool has_line(const std::string& text, const std::string& line) {
  for (const auto& l : lines_of(text))
    if (l == line) return true;
  return false;
}

}  // namespace

TEST_CASE("metrics: escape_label_value escapes backslash, quote and newline", "[metrics]") {
  struct Case {
    std::string raw, escaped;
  };
  const std::vector<Case> cases = {
      {"", ""},
      {"plain", "plain"},
      {"/users/:name", "/users/:name"},
      {"a\"b", "a\\\"b"},
      {"a\\b", "a\\\\b"},
      {"a\nb", "a\\nb"},
      {"\\n", "\\\\n"},  // a literal backslash-n is not a newline
      {"\"\\\n", "\\\"\\\\\\n"},
      {"tab\tand\rcr", "tab\tand\rcr"},  // the format escapes only these three
      {"caf\xC3\xA9", "caf\xC3\xA9"},
  };
  for (const auto& c : cases) {
    INFO(c.raw);
    CHECK(escape_label_value(c.raw) == c.escaped);
  }
}

TEST_CASE("metrics: counters", "[metrics]") {
  MetricsRegistry registry;
  CounterFamily& requests = registry.counter("kith_requests_total", "Requests answered.");
  requests.add({{"route", "/api/v1/instance"}, {"status", "200"}});
  requests.add({{"route", "/api/v1/instance"}, {"status", "200"}});
  requests.add({{"route", "/users/:name"}, {"status", "404"}}, 3);
  CHECK(requests.value({{"route", "/api/v1/instance"}, {"status", "200"}}) == 2);
  CHECK(requests.value({{"route", "/users/:name"}, {"status", "404"}}) == 3);
  CHECK(requests.value({{"route", "/nowhere"}, {"status", "200"}}) == 0);

  const std::string text = registry.render();
  CHECK(text ==
        "# HELP kith_requests_total Requests answered.\n"
        "# TYPE kith_requests_total counter\n"
        "kith_requests_total{route=\"/api/v1/instance\",status=\"200\"} 2\n"
        "kith_requests_total{route=\"/users/:name\",status=\"404\"} 3\n");
}

TEST_CASE("metrics: a counter without labels, and fractional amounts", "[metrics]") {
  MetricsRegistry registry;
  CounterFamily& bytes = registry.counter("kith_bytes_total", "Bytes.");
  bytes.add({}, 0.5);
  bytes.add({}, 0.25);
  CHECK(has_line(registry.render(), "kith_bytes_total 0.75"));
  bytes.add({}, 1e20);
  const std::string text = registry.render();
  INFO(text);
  CHECK(has_line(text, "kith_bytes_total 1e+20"));
}

TEST_CASE("metrics: registering a name twice returns the same family", "[metrics]") {
  MetricsRegistry registry;
  CounterFamily& a = registry.counter("kith_x_total", "X.");
  CounterFamily& b = registry.counter("kith_x_total", "X again.");
  CHECK(&a == &b);
  HistogramFamily& h1 = registry.histogram("kith_h", "H.", {1});
  HistogramFamily& h2 = registry.histogram("kith_h", "H.", {2});
  CHECK(&h1 == &h2);
  // One HELP and TYPE per family.
  const std::string text = registry.render();
  CHECK(lines_of(text).size() == 4);
}

TEST_CASE("metrics: histogram buckets are cumulative, with +Inf, _sum and _count", "[metrics]") {
  MetricsRegistry registry;
  HistogramFamily& latency = registry.histogram("kith_latency_seconds", "Latency.", {0.25, 0.5, 1});
  const Labels labels{{"route", "/"}};
  // Binary fractions, so that the sum is exact.
  for (double v : {0.125, 0.25, 0.375, 0.5, 0.75, 5.0, 100.0}) latency.observe(labels, v);

  const std::string text = registry.render();
  INFO(text);
  CHECK(text ==
        "# HELP kith_latency_seconds Latency.\n"
        "# TYPE kith_latency_seconds histogram\n"
        "kith_latency_seconds_bucket{route=\"/\",le=\"0.25\"} 2\n"  // bounds are inclusive
        "kith_latency_seconds_bucket{route=\"/\",le=\"0.5\"} 4\n"
        "kith_latency_seconds_bucket{route=\"/\",le=\"1\"} 5\n"
        "kith_latency_seconds_bucket{route=\"/\",le=\"+Inf\"} 7\n"
        "kith_latency_seconds_sum{route=\"/\"} 107\n"
        "kith_latency_seconds_count{route=\"/\"} 7\n");
}

TEST_CASE("metrics: histogram series are separate per label set", "[metrics]") {
  MetricsRegistry registry;
  HistogramFamily& h = registry.histogram("kith_h", "H.", {1, 2});
  h.observe({}, 0.5);
  h.observe({{"a", "x"}}, 1.5);
  h.observe({{"a", "x"}}, 3);
  const std::string text = registry.render();
  INFO(text);
  CHECK(has_line(text, "kith_h_bucket{le=\"1\"} 1"));
  CHECK(has_line(text, "kith_h_bucket{le=\"+Inf\"} 1"));
  CHECK(has_line(text, "kith_h_count 1"));
  CHECK(has_line(text, "kith_h_sum 0.5"));
  CHECK(has_line(text, "kith_h_bucket{a=\"x\",le=\"1\"} 0"));
  CHECK(has_line(text, "kith_h_bucket{a=\"x\",le=\"2\"} 1"));
  CHECK(has_line(text, "kith_h_bucket{a=\"x\",le=\"+Inf\"} 2"));
  CHECK(has_line(text, "kith_h_count{a=\"x\"} 2"));
  CHECK(has_line(text, "kith_h_sum{a=\"x\"} 4.5"));
}

TEST_CASE("metrics: bucket counts never decrease across kLatencyBuckets", "[metrics]") {
  MetricsRegistry registry;
  HistogramFamily& h = registry.histogram("kith_l", "L.", kLatencyBuckets);
  for (int i = 0; i < 1000; ++i) h.observe({}, i * 0.013);
  std::uint64_t previous = 0;
  int buckets = 0;
  for (const auto& line : lines_of(registry.render())) {
    if (!line.starts_with("kith_l_bucket")) continue;
    ++buckets;
    const std::uint64_t count = std::stoull(line.substr(line.rfind(' ') + 1));
    CHECK(count >= previous);
    previous = count;
  }
  CHECK(buckets == static_cast<int>(kLatencyBuckets.size()) + 1);
  CHECK(previous == 1000);
}

TEST_CASE("metrics: label values are escaped in rendered series", "[metrics]") {
  MetricsRegistry registry;
  registry.counter("kith_c_total", "C.").add({{"v", "say \"hi\"\\now\nthen"}});
  registry.histogram("kith_h", "H.", {1}).observe({{"v", "a\"b"}}, 0.5);
  registry.gauge("kith_g", "G.", [] {
    return std::vector<GaugeSample>{{{{"cache", "back\\slash"}}, 1}};
  });
  const std::string text = registry.render();
  INFO(text);
  CHECK(has_line(text, "kith_c_total{v=\"say \\\"hi\\\"\\\\now\\nthen\"} 1"));
  CHECK(has_line(text, "kith_h_bucket{v=\"a\\\"b\",le=\"1\"} 1"));
  CHECK(has_line(text, "kith_h_sum{v=\"a\\\"b\"} 0.5"));
  CHECK(has_line(text, "kith_g{cache=\"back\\\\slash\"} 1"));
  // No raw newline inside any series: every line is a comment or a sample.
  for (const auto& line : lines_of(text)) {
    INFO(line);
    CHECK((line.starts_with("# ") || line.starts_with("kith_")));
  }
}

TEST_CASE("metrics: gauges are sampled at render time", "[metrics]") {
  MetricsRegistry registry;
  double resident = 1024;
  registry.gauge("kith_resident_bytes", "Resident memory.", [&] {
    return std::vector<GaugeSample>{{{}, resident}};
  });
  registry.gauge("kith_cache_bytes", "Cache bytes.", [] {
    return std::vector<GaugeSample>{{{{"cache", "actors"}}, 10}, {{{"cache", "objects"}}, 20}};
  });
  std::string text = registry.render();
  CHECK(text ==
        "# HELP kith_resident_bytes Resident memory.\n"
        "# TYPE kith_resident_bytes gauge\n"
        "kith_resident_bytes 1024\n"
        "# HELP kith_cache_bytes Cache bytes.\n"
        "# TYPE kith_cache_bytes gauge\n"
        "kith_cache_bytes{cache=\"actors\"} 10\n"
        "kith_cache_bytes{cache=\"objects\"} 20\n");
  resident = 4096;
  CHECK(has_line(registry.render(), "kith_resident_bytes 4096"));

  // Registering the gauge again replaces its sampler.
  registry.gauge("kith_resident_bytes", "Resident memory.", [] {
    return std::vector<GaugeSample>{{{}, 7}};
  });
  text = registry.render();
  CHECK(has_line(text, "kith_resident_bytes 7"));
  CHECK(lines_of(text).size() == 7);

  // A sampler with nothing to report leaves only HELP and TYPE.
  MetricsRegistry quiet;
  quiet.gauge("kith_none", "Nothing.", [] { return std::vector<GaugeSample>{}; });
  CHECK(quiet.render() == "# HELP kith_none Nothing.\n# TYPE kith_none gauge\n");
}

TEST_CASE("metrics: special values use the format's spelling", "[metrics]") {
  MetricsRegistry registry;
  registry.gauge("kith_special", "Special.", [] {
    return std::vector<GaugeSample>{
        {{{"v", "pinf"}}, std::numeric_limits<double>::infinity()},
        {{{"v", "ninf"}}, -std::numeric_limits<double>::infinity()},
        {{{"v", "nan"}}, std::numeric_limits<double>::quiet_NaN()},
        {{{"v", "neg"}}, -3},
        {{{"v", "frac"}}, 0.125},
        {{{"v", "big"}}, 123456789012345.0},
    };
  });
  const std::string text = registry.render();
  INFO(text);
  CHECK(has_line(text, "kith_special{v=\"pinf\"} +Inf"));
  CHECK(has_line(text, "kith_special{v=\"ninf\"} -Inf"));
  CHECK(has_line(text, "kith_special{v=\"nan\"} NaN"));
  CHECK(has_line(text, "kith_special{v=\"neg\"} -3"));
  CHECK(has_line(text, "kith_special{v=\"frac\"} 0.125"));
  CHECK(has_line(text, "kith_special{v=\"big\"} 123456789012345"));
}

TEST_CASE("metrics: families render in registration order", "[metrics]") {
  MetricsRegistry registry;
  registry.gauge("kith_b", "B.", [] { return std::vector<GaugeSample>{{{}, 1}}; });
  registry.counter("kith_a_total", "A.").add({});
  registry.histogram("kith_c", "C.", {1});
  const auto lines = lines_of(registry.render());
  REQUIRE(lines.size() == 8);  // the histogram has no series yet
  CHECK(lines[0] == "# HELP kith_b B.");
  CHECK(lines[3] == "# HELP kith_a_total A.");
  CHECK(lines[6] == "# HELP kith_c C.");
  CHECK(lines[7] == "# TYPE kith_c histogram");
}
