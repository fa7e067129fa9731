// Delivery's pure parts: the retry schedule (about two days, jitter within
// its bounds, Retry-After honoured but capped), Retry-After parsing, which
// results are permanent and which are retried, the per-host circuit
// breaker, shared-inbox de-duplication, the job payload, the signature on a
// delivery, and the delivery.* configuration keys.
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "kith/ap/delivery.hpp"
#include "kith/ap/digest.hpp"
#include "kith/ap/rsa.hpp"
#include "kith/ap/signature_header.hpp"
#include "kith/ap/signature_policy.hpp"
#include "kith/ap/signing_string.hpp"
#include "kith/core/config.hpp"

using namespace kith::ap;
using namespace std::chrono_literals;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

const SystemTime kNow = SystemTime(std::chrono::sys_days(std::chrono::year(2024) / 5 / 17)) + 12h;

kith::http::ClientResult response(int status, std::vector<kith::http::Header> headers = {}) {
  kith::http::ClientResult result;
  kith::http::ClientResponse r;
  r.status = status;
  r.headers = std::move(headers);
  r.final_url = *kith::http::parse_url("https://remote.example/inbox").url;
  result.response = std::move(r);
  return result;
}

kith::http::ClientResult error(kith::http::ClientErrorKind kind) {
  kith::http::ClientResult result;
  result.error = {kind, "test"};
  return result;
}

kith::core::Config load(std::string_view toml, std::map<std::string, std::string> env = {}) {
  return kith::core::load_config_from_string(
      toml, "test.toml", [env](const std::string& name) -> std::optional<std::string> {
        auto it = env.find(name);
        if (it == env.end()) return std::nullopt;
        return it->second;
      });
}

std::string config_error(std::string_view toml, std::map<std::string, std::string> env = {}) {
  try {
    load(toml, std::move(env));
  } catch (const kith::core::ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("delivery: backoff doubles from 15 s and stops growing at 6 h", "[delivery]") {
  const std::vector<milliseconds> expected = {15s,   30s,   60s,   120s,   240s,   480s,  960s,
                                              1920s, 3840s, 7680s, 15360s, 21600s, 21600s};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("failure " << i + 1);
    CHECK(backoff_delay(static_cast<int>(i + 1), 0.5) == expected[i]);
  }
  CHECK(backoff_delay(1000, 0.5) == kMaxRetryDelay);
  CHECK(backoff_delay(INT32_MAX, 0.5) == kMaxRetryDelay);
  CHECK(backoff_delay(0, 0.5) == kFirstRetryDelay);  // nonsense input: the first delay
}

TEST_CASE("delivery: jitter keeps every delay within +-25% of the base", "[delivery]") {
  std::mt19937_64 random(42);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int failures = 1; failures <= 20; ++failures) {
    const milliseconds base = backoff_delay(failures, 0.5);
    INFO("failure " << failures);
    CHECK(backoff_delay(failures, 0.0) == milliseconds(base.count() * 3 / 4));
    CHECK(backoff_delay(failures, 1.0) == milliseconds(base.count() * 5 / 4));
    for (int draw = 0; draw < 200; ++draw) {
      const milliseconds d = backoff_delay(failures, unit(random));
      CHECK(d >= milliseconds(base.count() * 3 / 4));
      CHECK(d <= milliseconds(base.count() * 5 / 4));
    }
  }
  // Out-of-range draws are clamped, not trusted.
  CHECK(backoff_delay(1, -3.0) == 11250ms);
  CHECK(backoff_delay(1, 7.0) == 18750ms);
}

namespace {

// Attempt times (from the job's creation) of a delivery that always fails
// with a retryable error, until it is given up.
std::vector<milliseconds> schedule(double unit, milliseconds give_up_after = 48h,
                                   std::optional<seconds> retry_after = std::nullopt) {
  std::vector<milliseconds> times;
  milliseconds t{0};
  for (int attempts = 1; attempts < 1000; ++attempts) {
    times.push_back(t);
    const RetryDecision d =
        next_attempt(attempts, kNow, kNow + t, give_up_after, retry_after, unit);
    if (d.give_up) return times;
    REQUIRE(d.delay.count() >= 0);
    t += d.delay;
  }
  FAIL("never gave up");
  return times;
}

std::string clock(milliseconds t) {
  const auto s = std::chrono::duration_cast<seconds>(t).count();
  char text[32];
  std::snprintf(text, sizeof text, "%lldh%02lldm%02llds", static_cast<long long>(s / 3600),
                static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  return text;
}

}  // namespace

TEST_CASE("delivery: the schedule spans two days in 19 attempts, the last at 48 h", "[delivery]") {
  // Without jitter: the schedule the header comment states.
  std::vector<std::string> got;
  for (auto t : schedule(0.5)) got.push_back(clock(t));
  const std::vector<std::string> expected = {
      "0h00m00s",  "0h00m15s",  "0h00m45s",  "0h01m45s",  "0h03m45s", "0h07m45s",  "0h15m45s",
      "0h31m45s",  "1h03m45s",  "2h07m45s",  "4h15m45s",  "8h31m45s", "14h31m45s", "20h31m45s",
      "26h31m45s", "32h31m45s", "38h31m45s", "44h31m45s", "48h00m00s"};
  CHECK(got == expected);

  // With the jitter at either extreme the count changes a little, but the
  // last attempt is still exactly at give_up_after, and never later.
  for (double unit : {0.0, 0.999999}) {
    const auto times = schedule(unit);
    INFO("unit " << unit << ": " << times.size() << " attempts");
    CHECK(times.back() == milliseconds(48h));
    CHECK(times.size() >= 17);
    CHECK(times.size() <= 22);
    for (std::size_t i = 1; i < times.size(); ++i) CHECK(times[i] > times[i - 1]);
  }

  // A shorter give-up time: still a last attempt at it, then failure.
  const auto short_times = schedule(0.5, 40s);
  CHECK(short_times == std::vector<milliseconds>{0s, 15s, 40s});
}

TEST_CASE("delivery: Retry-After is waited when longer than the backoff, capped at 6 h",
          "[delivery]") {
  // Longer than the 15 s backoff: honoured.
  auto d = next_attempt(1, kNow, kNow, 48h, 25s, 0.5);
  CHECK_FALSE(d.give_up);
  CHECK(d.delay == 25s);
  // Shorter: the backoff wins (Retry-After is a "not before").
  d = next_attempt(1, kNow, kNow, 48h, 1s, 0.5);
  CHECK(d.delay == 15s);
  // Zero (a date in the past) changes nothing.
  d = next_attempt(3, kNow, kNow, 48h, 0s, 0.5);
  CHECK(d.delay == 60s);
  // Absurdly long: capped.
  d = next_attempt(1, kNow, kNow, 48h, seconds(30 * 24 * 3600), 0.5);
  CHECK(d.delay == milliseconds(kMaxRetryAfter));
  // Never beyond the give-up time: the last attempt falls on it.
  d = next_attempt(1, kNow, kNow + 47h, 48h, 5h, 0.5);
  CHECK(d.delay == milliseconds(1h));
  // Already at or past it: give up.
  CHECK(next_attempt(5, kNow, kNow + 48h, 48h, std::nullopt, 0.5).give_up);
  CHECK(next_attempt(5, kNow, kNow + 49h, 48h, 10s, 0.5).give_up);
}

TEST_CASE("delivery: Retry-After parsing, both forms", "[delivery]") {
  // delay-seconds
  CHECK(parse_retry_after("120", kNow) == seconds(120));
  CHECK(parse_retry_after("0", kNow) == seconds(0));
  CHECK(parse_retry_after(" 7\t", kNow) == seconds(7));
  CHECK(parse_retry_after("21600", kNow) == kMaxRetryAfter);
  CHECK(parse_retry_after("21601", kNow) == kMaxRetryAfter);
  CHECK(parse_retry_after("99999999999999999999999999999999", kNow) == kMaxRetryAfter);
  // HTTP-date (kNow is Fri, 17 May 2024 12:00:00 GMT)
  CHECK(parse_retry_after("Fri, 17 May 2024 12:01:30 GMT", kNow) == seconds(90));
  CHECK(parse_retry_after("Friday, 17-May-24 12:00:10 GMT", kNow) == seconds(10));
  CHECK(parse_retry_after("Fri May 17 12:00:05 2024", kNow) == seconds(5));
  CHECK(parse_retry_after("Fri, 17 May 2024 11:00:00 GMT", kNow) == seconds(0));  // past
  CHECK(parse_retry_after("Sat, 17 May 2025 12:00:00 GMT", kNow) == kMaxRetryAfter);
  // Neither form.
  for (const char* bad :
       {"", "  ", "-5", "1.5", "5s", "+5", "0x10", "soon", "Fri, 17 May 2024 12:01:30",
        "Fri, 32 May 2024 12:00:00 GMT", "5, 6", "1\n2"}) {
    INFO(bad);
    CHECK_FALSE(parse_retry_after(bad, kNow).has_value());
  }
  CHECK_FALSE(parse_retry_after(std::string(kMaxRetryAfterBytes + 1, '1'), kNow).has_value());
}

TEST_CASE("delivery: classification of responses", "[delivery]") {
  struct Case {
    int status;
    DeliveryOutcome outcome;
    HostHealth host;
  };
  const std::vector<Case> cases = {
      {200, DeliveryOutcome::delivered, HostHealth::up},
      {202, DeliveryOutcome::delivered, HostHealth::up},
      {204, DeliveryOutcome::delivered, HostHealth::up},
      {400, DeliveryOutcome::permanent, HostHealth::up},
      {401, DeliveryOutcome::permanent, HostHealth::up},
      {403, DeliveryOutcome::permanent, HostHealth::up},
      {404, DeliveryOutcome::permanent, HostHealth::up},
      {410, DeliveryOutcome::permanent, HostHealth::up},
      {413, DeliveryOutcome::permanent, HostHealth::up},
      {422, DeliveryOutcome::permanent, HostHealth::up},
      {301, DeliveryOutcome::permanent, HostHealth::up},
      {308, DeliveryOutcome::permanent, HostHealth::up},
      {408, DeliveryOutcome::retry, HostHealth::down},
      {429, DeliveryOutcome::retry, HostHealth::down},
      {500, DeliveryOutcome::retry, HostHealth::down},
      {502, DeliveryOutcome::retry, HostHealth::down},
      {503, DeliveryOutcome::retry, HostHealth::down},
      {504, DeliveryOutcome::retry, HostHealth::down},
      {599, DeliveryOutcome::retry, HostHealth::down},
      {600, DeliveryOutcome::retry, HostHealth::down},
  };
  for (const auto& c : cases) {
    INFO("status " << c.status);
    const Classification got = classify(response(c.status), kNow);
    CHECK(got.outcome == c.outcome);
    CHECK(got.host == c.host);
    CHECK_FALSE(got.retry_after.has_value());
  }
  CHECK(classify(response(410), kNow).reason == "http_410");
  CHECK(classify(response(999), kNow).reason == "http_invalid");

  // Retry-After is read from 429 and 503 (any retryable status).
  CHECK(classify(response(429, {{"Retry-After", "30"}}), kNow).retry_after == seconds(30));
  CHECK(classify(response(503, {{"retry-after", "Fri, 17 May 2024 12:00:20 GMT"}}), kNow)
            .retry_after == seconds(20));
  CHECK_FALSE(classify(response(429, {{"Retry-After", "later"}}), kNow).retry_after);
}

TEST_CASE("delivery: classification of client errors", "[delivery]") {
  using K = kith::http::ClientErrorKind;
  // The URL or the request can never work: permanent, and no verdict on the host.
  for (K kind : {K::bad_request, K::bad_url, K::plain_http, K::refused_address, K::redirect_refused,
                 K::too_many_redirects}) {
    INFO(kith::http::describe(kind));
    const Classification c = classify(error(kind), kNow);
    CHECK(c.outcome == DeliveryOutcome::permanent);
    CHECK(c.host == HostHealth::unknown);
    CHECK(c.reason == kith::http::describe(kind));
  }
  // The host did not answer properly: retried, and counted against it.
  for (K kind :
       {K::dns, K::connect_failed, K::connect_timeout, K::tls, K::write_timeout, K::read_timeout,
        K::total_timeout, K::too_large, K::connection_lost, K::bad_response}) {
    INFO(kith::http::describe(kind));
    const Classification c = classify(error(kind), kNow);
    CHECK(c.outcome == DeliveryOutcome::retry);
    CHECK(c.host == HostHealth::down);
  }
  // A bug of ours: retried, not the host's fault.
  CHECK(classify(error(K::internal), kNow).outcome == DeliveryOutcome::retry);
  CHECK(classify(error(K::internal), kNow).host == HostHealth::unknown);
}

TEST_CASE("delivery: the circuit breaker opens after 10 failures in a row", "[delivery]") {
  using Clock = HostBreaker::Clock;
  const Clock::time_point t0{};
  HostBreaker breaker;
  CHECK(breaker.state(t0) == BreakerState::closed);
  for (int i = 0; i < 9; ++i) {
    CHECK(breaker.try_start(t0));
    CHECK_FALSE(breaker.record_failure(t0));
  }
  // A success in between starts the count again.
  breaker.record_success();
  CHECK(breaker.consecutive_failures() == 0);
  for (int i = 0; i < 9; ++i) CHECK_FALSE(breaker.record_failure(t0));
  CHECK(breaker.state(t0) == BreakerState::closed);
  CHECK(breaker.record_failure(t0));  // the 10th
  CHECK(breaker.state(t0) == BreakerState::open);
  CHECK(breaker.open_until() == t0 + 60s);
  CHECK_FALSE(breaker.try_start(t0 + 59s));
  // Failures of deliveries that were already in flight change nothing.
  CHECK_FALSE(breaker.record_failure(t0 + 10s));
  CHECK(breaker.open_until() == t0 + 60s);

  // Half open: exactly one probe.
  CHECK(breaker.state(t0 + 60s) == BreakerState::half_open);
  CHECK(breaker.try_start(t0 + 60s));
  CHECK(breaker.probing());
  CHECK_FALSE(breaker.try_start(t0 + 61s));
  // The probe fails: open again, for twice as long.
  CHECK(breaker.record_failure(t0 + 62s));
  CHECK(breaker.state(t0 + 62s) == BreakerState::open);
  CHECK(breaker.open_until() == t0 + 62s + 120s);
  // And again, doubling up to the one-hour cap.
  Clock::time_point t = breaker.open_until();
  std::vector<Clock::duration> pauses;
  for (int i = 0; i < 7; ++i) {
    REQUIRE(breaker.try_start(t));
    REQUIRE(breaker.record_failure(t));
    pauses.push_back(breaker.open_until() - t);
    t = breaker.open_until();
  }
  CHECK(pauses == std::vector<Clock::duration>{240s, 480s, 960s, 1920s, 3600s, 3600s, 3600s});

  // A probe that says nothing about the host (e.g. refused address) frees
  // the probe slot without deciding.
  REQUIRE(breaker.try_start(t));
  breaker.record_no_verdict();
  CHECK(breaker.state(t) == BreakerState::half_open);
  CHECK(breaker.try_start(t));
  // The probe succeeds: closed, and the cool-down is back to one minute.
  breaker.record_success();
  CHECK(breaker.state(t) == BreakerState::closed);
  CHECK(breaker.idle());
  for (int i = 0; i < 10; ++i) breaker.record_failure(t);
  CHECK(breaker.open_until() == t + 60s);
}

TEST_CASE("delivery: the breaker's threshold and cool-down are options", "[delivery]") {
  using Clock = HostBreaker::Clock;
  HostBreaker breaker(BreakerOptions{2, 5s, 20s});
  const Clock::time_point t0{};
  CHECK_FALSE(breaker.record_failure(t0));
  CHECK(breaker.record_failure(t0));
  CHECK(breaker.open_until() == t0 + 5s);
  CHECK(breaker.try_start(t0 + 5s));
  CHECK(breaker.record_failure(t0 + 5s));
  CHECK(breaker.open_until() == t0 + 15s);
  CHECK(breaker.try_start(t0 + 15s));
  CHECK(breaker.record_failure(t0 + 15s));
  CHECK(breaker.open_until() == t0 + 35s);  // 20 s: the cap
}

TEST_CASE("delivery: shared inboxes are de-duplicated, URLs compared normalised", "[delivery]") {
  const std::vector<Recipient> recipients = {
      {"https://big.example/users/a/inbox", "https://big.example/inbox"},
      {"https://big.example/users/b/inbox", "HTTPS://Big.Example:443/inbox"},
      {"https://big.example/users/c/inbox", "https://big.example/inbox#x"},
      {"https://small.example/users/d/inbox", ""},
      {"https://small.example/users/d/inbox", ""},         // the same follower twice
      {"https://odd.example/users/e/inbox", "not a url"},  // falls back to its own inbox
      {"javascript:alert(1)", ""},                         // nothing usable
      {"", ""},
      {"https://big.example/users/f/inbox", "https://big.example/inbox"},
  };
  const InboxSelection s = select_inboxes(recipients);
  std::vector<std::string> got;
  for (const auto& url : s.inboxes) got.push_back(url.text_without_fragment());
  CHECK(got == std::vector<std::string>{"https://big.example/inbox",
                                        "https://small.example/users/d/inbox",
                                        "https://odd.example/users/e/inbox"});
  CHECK(s.skipped == 2);
  CHECK(select_inboxes({}).inboxes.empty());
}

TEST_CASE("delivery: payload and de-duplication key", "[delivery]") {
  OutgoingActivity activity;
  activity.id = "https://here.example/users/alice/statuses/1/activity";
  activity.json =
      R"({"id":"https://here.example/users/alice/statuses/1/activity","content":"é\u00e9"})";
  activity.account_id = 42;
  activity.key_id = "https://here.example/users/alice#main-key";
  const auto inbox = *kith::http::parse_url("https://remote.example/inbox").url;
  const auto payload = nlohmann::json::parse(delivery_payload(activity, inbox));
  CHECK(payload.at("activity_id") == activity.id);
  CHECK(payload.at("inbox") == "https://remote.example/inbox");
  CHECK(payload.at("account_id") == 42);
  CHECK(payload.at("key_id") == activity.key_id);
  CHECK(payload.at("body") == activity.json);  // byte for byte: it is what gets signed

  const std::string key = delivery_dedupe_key(activity.id, "https://remote.example/inbox");
  CHECK(key.rfind("delivery:", 0) == 0);
  CHECK(key.size() == 9 + 64);
  CHECK(key == delivery_dedupe_key(activity.id, "https://remote.example/inbox"));
  CHECK(key != delivery_dedupe_key(activity.id, "https://other.example/inbox"));
  CHECK(key != delivery_dedupe_key(activity.id + "x", "https://remote.example/inbox"));
  // The separator keeps (a, bc) and (ab, c) apart.
  CHECK(delivery_dedupe_key("a", "bc") != delivery_dedupe_key("ab", "c"));
}

TEST_CASE("delivery: the POST is signed as Mastodon signs it", "[delivery]") {
  static const RsaKeyPair pair = generate_rsa_key_pair(2048);
  const auto key = RsaPrivateKey::from_pem(pair.private_pem);
  REQUIRE(key);
  const std::string body = R"({"type":"Create"})";
  const auto target = *kith::http::parse_url("https://remote.example:8443/users/bob/inbox?x=1").url;
  const std::string key_id = "https://here.example/users/alice#main-key";
  const auto headers =
      signature_headers(*key.key, key_id, target, digest_header_sha256(body), kNow);
  std::map<std::string, std::string> by_name;
  for (const auto& h : headers) by_name[h.name] = h.value;
  REQUIRE(by_name.size() == 3);
  CHECK(by_name.at("Date") == "Fri, 17 May 2024 12:00:00 GMT");
  CHECK(check_digest_header(by_name.at("Digest"), body) == DigestCheck::match);

  const CavageResult parsed = parse_signature_header(by_name.at("Signature"));
  REQUIRE(parsed);
  CHECK(parsed.signature->key_id == key_id);
  CHECK(parsed.signature->algorithm == "rsa-sha256");
  CHECK(parsed.signature->headers ==
        std::vector<std::string>{"(request-target)", "host", "date", "digest"});

  // What a receiver rebuilds from the request it got (Host as the client sends it).
  std::vector<kith::http::Header> received = headers;
  received.push_back({"Host", "remote.example:8443"});
  const RequestParts parts{"POST", "/users/bob/inbox?x=1", "https", "remote.example:8443",
                           header_lookup(received)};
  const SigningStringResult text = build_signing_string(*parsed.signature, parts);
  REQUIRE(text);
  CHECK(text.text ==
        "(request-target): post /users/bob/inbox?x=1\n"
        "host: remote.example:8443\n"
        "date: Fri, 17 May 2024 12:00:00 GMT\n"
        "digest: " +
            digest_header_sha256(body));
  CHECK(verify_rsa_sha256(pair.public_pem, text.text, parsed.signature->signature) ==
        RsaError::none);
}

TEST_CASE("config: delivery.* keys, their defaults, environment and checks", "[delivery]") {
  const auto defaults = load("");
  CHECK(defaults.delivery.workers == 8);
  CHECK(defaults.delivery.give_up_after == 48h);
  CHECK(defaults.delivery.lease == 2min);

  const auto c = load("[delivery]\nworkers = 3\ngive_up_after = \"36h\"\nlease = \"5m\"\n");
  CHECK(c.delivery.workers == 3);
  CHECK(c.delivery.give_up_after == 36h);
  CHECK(c.delivery.lease == 5min);

  const auto e = load("[delivery]\nworkers = 3\n", {{"KITH_DELIVERY_WORKERS", "0"},
                                                    {"KITH_DELIVERY_GIVE_UP_AFTER", "40s"},
                                                    {"KITH_DELIVERY_LEASE", "15s"},
                                                    {"KITH_FEDERATION_REQUEST_TIMEOUT", "5s"}});
  CHECK(e.delivery.workers == 0);
  CHECK(e.delivery.give_up_after == 40s);
  CHECK(e.delivery.lease == 15s);

  CHECK_THAT(config_error("[delivery]\nworkers = -1\n"), Catch::Contains("delivery.workers"));
  CHECK_THAT(config_error("[delivery]\nworkers = 257\n"), Catch::Contains("delivery.workers"));
  CHECK_THAT(config_error("[delivery]\ngive_up_after = \"31d\"\n"),
             Catch::Contains("delivery.give_up_after"));
  CHECK_THAT(config_error("[delivery]\ngive_up_after = \"800h\"\n"),
             Catch::Contains("delivery.give_up_after"));
  CHECK_THAT(config_error("[delivery]\nlease = \"0s\"\n"), Catch::Contains("delivery.lease"));
  // The lease must outlast one attempt: request timeout plus pool wait (30 s + 5 s).
  CHECK_THAT(config_error("[delivery]\nlease = \"35s\"\n"), Catch::Contains("delivery.lease"));
  CHECK(config_error("[delivery]\nlease = \"36s\"\n").empty());
  CHECK_THAT(config_error("[delivery]\nlease = \"25h\"\n"), Catch::Contains("delivery.lease"));
  CHECK_THAT(config_error("[delivery]\nretries = 3\n"), Catch::Contains("delivery.retries"));
}
