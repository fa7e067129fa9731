// The Web Push worker (api/web_push.hpp): from a 'web_push' job to an
// encrypted POST at the subscription's push service.
//
//   dispatch()  one coroutine on the worker's strand: while fewer than
//               `workers` messages are in flight, claim due jobs through the
//               pool; when none is due, sleep for idle_poll
//   send()      loads the subscription and the notification, builds
//               Mastodon's payload, encrypts it (aes128gcm, or aesgcm for a
//               legacy subscription), signs the VAPID JWT, POSTs it through
//               the http::Client and records the outcome
//
// No pqxx here outside pool.run; nothing logged that could identify a
// token, a key or the payload.
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <random>

#include "client_support.hpp"
#include "kith/ap/delivery.hpp"
#include "kith/ap/web_push_crypto.hpp"
#include "kith/api/web_push.hpp"
#include "kith/db/jobs.hpp"
#include "kith/db/pool.hpp"
#include "kith/db/web_push.hpp"
#include "kith/http/client.hpp"
#include "kith/http/url.hpp"

namespace kith::api {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using json = nlohmann::json;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
// Mastodon's Web::NotificationSerializer truncates the body to 140 characters.
constexpr std::size_t kMaxBodyCharacters = 140;
// The JWT's lifetime (RFC 8292 2: at most 24 hours).
constexpr std::chrono::hours kJwtLifetime{12};
// How long finished jobs are kept, for operators reading the jobs table.
constexpr std::chrono::hours kKeepFinished{24};
constexpr std::chrono::minutes kPurgeInterval{10};

struct VapidKey {
  webpush::KeyPair pair;
  std::string public_text;
};

std::string make_vapid_key_text() {
  const webpush::KeyPair pair = webpush::generate_key_pair();
  return webpush::base64url_encode(pair.private_key) + " " +
         webpush::base64url_encode(pair.public_key);
}

std::optional<VapidKey> parse_vapid_key(const std::string& text) {
  const auto space = text.find(' ');
  if (space == std::string::npos) return std::nullopt;
  auto private_key = webpush::base64url_decode(std::string_view(text).substr(0, space));
  auto public_key = webpush::base64url_decode(std::string_view(text).substr(space + 1));
  if (!private_key || !public_key || private_key->size() != webpush::kPrivateKeyBytes ||
      !webpush::valid_public_key(*public_key))
    return std::nullopt;
  return VapidKey{webpush::KeyPair{std::move(*private_key), std::move(*public_key)},
                  text.substr(space + 1)};
}

// The visible text of a small piece of HTML (a status's content, a bio):
// tags dropped, <br> and paragraph ends as spaces, the five entities
// Mastodon's sanitiser writes decoded.
std::string plain_text(std::string_view html) {
  std::string out;
  for (std::size_t i = 0; i < html.size(); ++i) {
    const char c = html[i];
    if (c == '<') {
      const auto end = html.find('>', i);
      if (end == std::string_view::npos) break;
      const std::string_view tag = html.substr(i + 1, end - i - 1);
      if (tag.starts_with("br") || tag == "/p") out += ' ';
      i = end;
    } else if (c == '&') {
      static constexpr std::pair<std::string_view, char> kEntities[] = {
          {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
      bool decoded = false;
      for (const auto& [entity, character] : kEntities) {
        if (html.substr(i).starts_with(entity)) {
          out += character;
          i += entity.size() - 1;
          decoded = true;
          break;
        }
      }
      if (!decoded) out += c;
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// At most `limit` UTF-8 characters, the last one an ellipsis when cut.
std::string truncate_characters(const std::string& text, std::size_t limit) {
  std::size_t characters = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (++characters == limit) {
      // Is there more after this character?
      std::size_t next = i + 1;
      while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) ++next;
      if (next >= text.size()) return text;
      return text.substr(0, i) + "\u2026";
    }
  }
  return text;
}

// Mastodon's notification_mailer.<type>.subject, in English.
std::string title_for(const std::string& type, const std::string& name) {
  if (type == "mention") return "You were mentioned by " + name;
  if (type == "status") return name + " just posted";
  if (type == "reblog") return name + " boosted your post";
  if (type == "follow") return name + " followed you";
  if (type == "follow_request") return "Pending follower: " + name;
  if (type == "favourite") return name + " favourited your post";
  if (type == "poll") return "A poll by " + name + " has ended";
  if (type == "update") return name + " edited a post";
  if (type == "admin.sign_up") return name + " signed up";
  if (type == "admin.report") return "New report from " + name;
  if (type == "quote") return name + " quoted your post";
  return "New notification from " + name;
}

// Mastodon's Web::NotificationSerializer.
json payload_for(const db::WebPushDelivery& d, const std::string& icon) {
  const std::string name = d.from_display_name.empty() ? d.from_username : d.from_display_name;
  std::string body;
  if (!d.status_spoiler_text.empty())
    body = d.status_spoiler_text;
  else if (!d.status_text.empty())
    body = d.status_text_is_html ? plain_text(d.status_text) : d.status_text;
  else
    body = plain_text(d.from_note);
  // Empty: tokens are kept only as hashes (0014_web_push.sql).
  return json{{"access_token", ""},
              {"preferred_locale", d.locale},
              {"notification_id", d.notification_id},
              {"notification_type", d.type},
              {"icon", icon},
              {"title", title_for(d.type, name)},
              {"body", truncate_characters(body, kMaxBodyCharacters)}};
}

// What a prepared job needs on the I/O side.
struct PreparedPush {
  db::ClaimedJob job;
  std::optional<db::WebPushDelivery> delivery;  // nullopt: nothing to send any more
  std::string icon;
  std::string error;  // set: the job can never be sent
};

struct JobPayload {
  std::int64_t subscription_id = 0;
  std::int64_t notification_id = 0;
};

std::optional<JobPayload> parse_job(const std::string& text) {
  const json document = json::parse(text, nullptr, false);
  if (!document.is_object()) return std::nullopt;
  auto id_of = [&document](const char* key) -> std::optional<std::int64_t> {
    auto it = document.find(key);
    if (it == document.end() || !it->is_string()) return std::nullopt;
    return parse_id(it->get<std::string>());
  };
  auto subscription = id_of("subscription_id");
  auto notification = id_of("notification_id");
  if (!subscription || !notification) return std::nullopt;
  return JobPayload{*subscription, *notification};
}

}  // namespace

std::string vapid_public_key(pqxx::transaction_base& tx) {
  const std::string text = db::vapid_key_text(tx, make_vapid_key_text);
  const auto space = text.find(' ');
  return space == std::string::npos ? std::string() : text.substr(space + 1);
}

struct WebPushWorker::Impl {
  Impl(db::Pool& pool_, http::Client& client_, core::MetricsRegistry& metrics,
       WebPushOptions options_)
      : pool(pool_),
        client(client_),
        options(std::move(options_)),
        outcomes(metrics.counter("kith_web_push_messages_total",
                                 "Web Push messages by outcome: sent, gone (subscription "
                                 "deleted), retried, failed, skipped")) {
    for (const char* outcome : {"sent", "gone", "retried", "failed", "skipped"})
      outcomes.add({{"outcome", outcome}}, 0);
  }

  db::Pool& pool;
  http::Client& client;
  const WebPushOptions options;
  core::CounterFamily& outcomes;

  std::optional<asio::any_io_executor> io;
  std::optional<asio::strand<asio::any_io_executor>> strand;
  std::optional<asio::steady_timer> wake_timer;
  std::optional<asio::steady_timer> drain_timer;
  std::optional<asio::steady_timer> purge_timer;
  std::optional<VapidKey> vapid;  // loaded by the dispatcher before the first claim
  bool stopping = false;
  bool dispatcher_running = false;
  bool drained = false;
  std::vector<std::function<void()>> on_drained;
  std::map<std::int64_t, db::JobLease> in_flight;
  std::mt19937_64 random{std::random_device{}()};

  void count(const char* outcome) { outcomes.add({{"outcome", outcome}}); }
  double unit() { return std::uniform_real_distribution<double>(0.0, 1.0)(random); }

  asio::awaitable<void> sleep(milliseconds duration) {
    if (stopping) co_return;
    wake_timer->expires_after(duration);
    co_await wake_timer->async_wait(kTuple);
  }

  asio::awaitable<bool> load_vapid_key() {
    try {
      const std::string text = co_await pool.run([](pqxx::connection& c) {
        pqxx::work tx(c);
        std::string value = db::vapid_key_text(tx, make_vapid_key_text);
        tx.commit();
        return value;
      });
      vapid = parse_vapid_key(text);
      if (!vapid) spdlog::error("web push: the stored VAPID key is unusable; nothing is sent");
    } catch (const std::exception& e) {
      spdlog::warn("web push: cannot load the VAPID key: {} (retrying)", e.what());
    }
    co_return vapid.has_value();
  }

  asio::awaitable<void> dispatch() {
    while (!stopping && !vapid) {
      if (co_await load_vapid_key()) break;
      co_await sleep(milliseconds(5'000));
    }
    const std::string host = options.host;
    while (!stopping) {
      const std::size_t free =
          options.workers - std::min<std::size_t>(options.workers, in_flight.size());
      if (free == 0) {
        co_await sleep(options.idle_poll);
        continue;
      }
      std::vector<PreparedPush> batch;
      bool claimed = false;
      try {
        db::ClaimRequest request;
        request.queue = std::string(kWebPushQueue);
        request.limit = free;
        request.lease = options.lease;
        batch = co_await pool.run([&request, &host](pqxx::connection& c) {
          std::vector<PreparedPush> out;
          for (auto& job : db::claim(c, request)) {
            PreparedPush p;
            p.job = std::move(job);
            if (auto ids = parse_job(p.job.payload)) {
              p.delivery =
                  db::load_web_push_delivery(c, ids->subscription_id, ids->notification_id);
              if (p.delivery) {
                // The icon is a nicety: a message goes without one rather
                // than not at all.
                try {
                  pqxx::read_transaction tx(c);
                  if (auto account = render_account(tx, p.delivery->from_account_id, host))
                    p.icon = account->value("avatar_static", "");
                } catch (const std::exception& e) {
                  spdlog::debug("web push: no icon for job {}: {}", p.job.lease.id, e.what());
                }
              }
            } else {
              p.error = "malformed web push job payload";
            }
            out.push_back(std::move(p));
          }
          return out;
        });
        claimed = true;
      } catch (const std::exception& e) {
        spdlog::warn("web push: cannot claim jobs: {}", e.what());
      }
      if (!claimed) {
        co_await sleep(milliseconds(5'000));
        continue;
      }
      if (stopping) {
        std::vector<db::JobLease> leases;
        for (const auto& p : batch) leases.push_back(p.job.lease);
        try {
          if (!leases.empty())
            co_await pool.run([&leases](pqxx::connection& c) { return db::release(c, leases); });
        } catch (const std::exception&) {
          // Reclaimed after their lease.
        }
        break;
      }
      if (batch.empty()) {
        co_await sleep(options.idle_poll);
        continue;
      }
      for (auto& p : batch) {
        in_flight.emplace(p.job.lease.id, p.job.lease);
        asio::co_spawn(*strand, send(std::move(p)), asio::detached);
      }
    }
    dispatcher_running = false;
    maybe_finish_drain();
  }

  http::OutgoingRequest build_request(const db::WebPushDelivery& d, const std::string& plaintext,
                                      const http::Url& endpoint, std::string& error) const {
    http::OutgoingRequest request;
    request.method = "POST";
    request.url = endpoint.text_without_fragment();
    auto ua_public = webpush::base64url_decode(d.subscription.key_p256dh);
    auto auth = webpush::base64url_decode(d.subscription.key_auth);
    if (!ua_public || !auth) {
      error = "the subscription's keys do not decode";
      return request;
    }
    const auto expires = std::chrono::duration_cast<std::chrono::seconds>(
                             (std::chrono::system_clock::now() + kJwtLifetime).time_since_epoch())
                             .count();
    auto jwt = webpush::vapid_jwt(vapid->pair, endpoint.origin.serialize(), expires,
                                  "https://" + options.host + "/");
    if (!jwt) {
      error = "signing the VAPID JWT failed";
      return request;
    }
    request.headers = {{"TTL", std::to_string(std::chrono::seconds(kWebPushGiveUpAfter).count())},
                       {"Urgency", "normal"},
                       {"Content-Type", "application/octet-stream"}};
    if (d.subscription.standard) {
      auto body = webpush::encrypt_aes128gcm(plaintext, *ua_public, *auth);
      if (!body) {
        error = "encryption failed (a bad client key, or the payload is too large)";
        return request;
      }
      request.body.assign(body->begin(), body->end());
      request.headers.push_back({"Content-Encoding", "aes128gcm"});
      request.headers.push_back({"Authorization", "vapid t=" + *jwt + ", k=" + vapid->public_text});
    } else {
      auto message = webpush::encrypt_aesgcm(plaintext, *ua_public, *auth);
      if (!message) {
        error = "encryption failed (a bad client key, or the payload is too large)";
        return request;
      }
      request.body.assign(message->ciphertext.begin(), message->ciphertext.end());
      request.headers.push_back({"Content-Encoding", "aesgcm"});
      request.headers.push_back({"Encryption", "salt=" + webpush::base64url_encode(message->salt)});
      request.headers.push_back(
          {"Crypto-Key", "dh=" + webpush::base64url_encode(message->sender_public_key) +
                             ";p256ecdsa=" + vapid->public_text});
      request.headers.push_back({"Authorization", "WebPush " + *jwt});
    }
    return request;
  }

  asio::awaitable<void> send(PreparedPush p) {
    const db::JobLease lease = p.job.lease;
    try {
      co_await attempt(p);
    } catch (const std::exception& e) {
      spdlog::warn("web push job {}: outcome not recorded ({}); retried after its lease", lease.id,
                   e.what());
    }
    in_flight.erase(lease.id);
    if (!stopping) wake_timer->cancel();
    maybe_finish_drain();
  }

  asio::awaitable<void> attempt(PreparedPush& p) {
    const db::JobLease lease = p.job.lease;
    if (!p.error.empty()) {
      co_await pool.run([&](pqxx::connection& c) { return db::fail(c, lease, p.error); });
      count("failed");
      co_return;
    }
    if (!p.delivery) {
      // The subscription, its token or the notification went away.
      co_await pool.run([&](pqxx::connection& c) { return db::complete(c, lease); });
      count("skipped");
      co_return;
    }
    const db::WebPushDelivery& d = *p.delivery;
    json payload = payload_for(d, p.icon);
    std::string plaintext = payload.dump();
    if (plaintext.size() > webpush::kMaxPlaintextBytes) {
      payload["icon"] = "";
      plaintext = payload.dump();
    }
    std::string error;
    auto endpoint = http::parse_url(d.subscription.endpoint);
    http::OutgoingRequest request;
    if (!endpoint)
      error = "endpoint unusable: " + std::string(http::describe(endpoint.error));
    else
      request = build_request(d, plaintext, *endpoint.url, error);
    if (!error.empty()) {
      co_await pool.run([&](pqxx::connection& c) { return db::fail(c, lease, error); });
      count("failed");
      spdlog::info("web push job {}: failed: {}", lease.id, error);
      co_return;
    }
    const http::ClientResult result =
        co_await asio::co_spawn(*io, client.request(std::move(request)), asio::use_awaitable);
    const auto now = std::chrono::system_clock::now();
    const int status = result.response ? result.response->status : 0;
    if (status == 404 || status == 410) {
      const std::int64_t subscription_id = d.subscription.id;
      co_await pool.run([&](pqxx::connection& c) {
        db::delete_web_push_subscription_by_id(c, subscription_id);
        return db::complete(c, lease);
      });
      count("gone");
      spdlog::info("web push job {}: the push service answered {}: subscription {} deleted",
                   lease.id, status, subscription_id);
      co_return;
    }
    ap::Classification c = ap::classify(result, now);
    // The endpoint's path is the device's capability URL: log and store
    // only the reason (http_503, timeout, ...), never the path.
    c.detail = c.reason;
    switch (c.outcome) {
      case ap::DeliveryOutcome::delivered:
        co_await pool.run([&](pqxx::connection& conn) { return db::complete(conn, lease); });
        count("sent");
        break;
      case ap::DeliveryOutcome::permanent:
        co_await pool.run([&](pqxx::connection& conn) { return db::fail(conn, lease, c.detail); });
        count("failed");
        spdlog::info("web push job {}: failed for good: {}", lease.id, c.detail);
        break;
      case ap::DeliveryOutcome::retry: {
        const ap::RetryDecision decision = ap::next_attempt(
            p.job.attempts, p.job.created_at, now,
            std::chrono::duration_cast<milliseconds>(kWebPushGiveUpAfter), c.retry_after, unit());
        if (decision.give_up) {
          co_await pool.run([&](pqxx::connection& conn) {
            return db::fail(conn, lease, "gave up: " + c.detail);
          });
          count("failed");
        } else {
          co_await pool.run([&](pqxx::connection& conn) {
            return db::retry(conn, lease, decision.delay, c.detail);
          });
          count("retried");
          spdlog::info("web push job {}: attempt {} failed ({}); retried later", lease.id,
                       p.job.attempts, c.detail);
        }
        break;
      }
    }
  }

  asio::awaitable<void> purge() {
    while (!stopping) {
      try {
        const auto now = std::chrono::system_clock::now();
        co_await pool.run([&now](pqxx::connection& c) {
          return db::purge_finished(c, kWebPushQueue, now - kKeepFinished, now - kKeepFinished);
        });
      } catch (const std::exception&) {
        // The next round tries again.
      }
      if (stopping) break;
      purge_timer->expires_after(kPurgeInterval);
      co_await purge_timer->async_wait(kTuple);
    }
  }

  void begin_shutdown(milliseconds drain, std::function<void()> done) {
    if (drained) {
      if (done) done();
      return;
    }
    if (done) on_drained.push_back(std::move(done));
    if (stopping) return;
    stopping = true;
    wake_timer->cancel();
    purge_timer->cancel();
    drain_timer->expires_after(drain);
    drain_timer->async_wait([this](boost::system::error_code ec) {
      if (!ec && !drained) asio::co_spawn(*strand, abandon_in_flight(), asio::detached);
    });
    maybe_finish_drain();
  }

  asio::awaitable<void> abandon_in_flight() {
    std::vector<db::JobLease> leases;
    for (const auto& [id, lease] : in_flight) leases.push_back(lease);
    try {
      if (!leases.empty())
        co_await pool.run([&leases](pqxx::connection& c) { return db::release(c, leases); });
    } catch (const std::exception&) {
      // Reclaimed after their lease.
    }
    finish_drain();
  }

  void finish_drain() {
    if (drained) return;
    drained = true;
    drain_timer->cancel();
    for (auto& done : on_drained) done();
    on_drained.clear();
  }

  void maybe_finish_drain() {
    if (stopping && !dispatcher_running && in_flight.empty()) finish_drain();
  }
};

WebPushWorker::WebPushWorker(db::Pool& pool, http::Client& client, core::MetricsRegistry& metrics,
                             WebPushOptions options)
    : impl_(std::make_unique<Impl>(pool, client, metrics, std::move(options))) {}

WebPushWorker::~WebPushWorker() = default;

void WebPushWorker::start(asio::any_io_executor executor) {
  Impl& impl = *impl_;
  impl.io = executor;
  impl.strand.emplace(asio::make_strand(executor));
  impl.wake_timer.emplace(*impl.strand);
  impl.drain_timer.emplace(*impl.strand);
  impl.purge_timer.emplace(*impl.strand);
  impl.dispatcher_running = true;
  asio::co_spawn(*impl.strand, impl.dispatch(), asio::detached);
  asio::co_spawn(*impl.strand, impl.purge(), asio::detached);
}

void WebPushWorker::begin_shutdown(milliseconds drain, std::function<void()> done) {
  if (!impl_->strand) {
    if (done) done();
    return;
  }
  asio::post(*impl_->strand, [impl = impl_.get(), drain, done = std::move(done)]() mutable {
    impl->begin_shutdown(drain, std::move(done));
  });
}

}  // namespace kith::api
