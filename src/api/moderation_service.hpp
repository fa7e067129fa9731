// The moderation service: everything between PostgreSQL and the community
// moderation engine (mod/engine.hpp, ApiContext::moderation). Internal to
// the api module; serve.cpp reaches it through kith/api/moderation.hpp.
//
// The one idea: PostgreSQL is the truth, the engine a rebuildable cache of
// it. Reports, mutes, blocks, domain blocks, favourites, boosts, replies
// and exposures are rows; at start one background thread streams them into
// the engine through cursors (a batch at a time, so the load holds no more
// than the engine will); afterwards the triggers of migration 0016 announce
// every new one on channel `kith_mod` with the signal in the payload, so a
// signal reaches the engine within milliseconds however it was written (the
// client API, the inbox worker applying a remote Flag, another daemon). The
// same thread writes buffered exposures in batches, refits the model at
// most once per moderation.refit_interval when something changed, keeps
// the instance-wide actions the refit reports (mod_instance_actions) and
// prunes old exposures. Handlers that commit a signal also record it
// directly (record() is idempotent), so that a report acts for its author
// before the notification comes back.
//
// What it must never do: run database work or a refit on an I/O thread;
// buffer without bound (exposures beyond kMaxPendingExposures are recorded
// in the engine but not persisted, and counted); keep who flagged what
// anywhere but the reports table.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/connection>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "kith/core/config.hpp"
#include "kith/core/metrics.hpp"
#include "kith/http/message.hpp"
#include "kith/mod/engine.hpp"
#include "moderation_notice.hpp"

namespace kith::db {
class StreamListener;
}

namespace kith::api {

struct ApiRoutes;

// The channel of migration 0016's triggers.
inline constexpr const char* kModerationChannel = "kith_mod";

// Seconds since the Unix epoch: the clock of mod::Signal::at.
inline std::int64_t moderation_unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// An instance-wide state in the words of mod_instance_actions.state
// (migration 0016), which the admin API also answers with: "acted",
// "cleared" (undecided, not acted on), "confirmed" or "overturned".
inline const char* moderation_state(const mod::Evidence& evidence) {
  if (evidence.admin_confirmed) return *evidence.admin_confirmed ? "confirmed" : "overturned";
  return evidence.acted ? "acted" : "cleared";
}

// The answer of a moderation endpoint when this daemon runs no engine.
inline http::Response moderation_unavailable() {
  return http::error_response(503, "Community moderation is not running here");
}

// A status as shown to a viewer: the boosted status for a boost.
struct ShownStatus {
  std::int64_t status_id = 0;
  std::int64_t author_id = 0;
};

class ModerationService {
 public:
  // Exposures waiting to be written; beyond this they are dropped (still
  // recorded in the engine) and counted.
  static constexpr std::size_t kMaxPendingExposures = 100'000;
  // The thread writes as soon as this many wait (else every kFlushInterval).
  static constexpr std::size_t kFlushBatch = 10'000;
  static constexpr std::chrono::seconds kFlushInterval{2};
  static constexpr std::chrono::hours kPruneInterval{1};
  // Exposure rows per DELETE when pruning: each batch is a short
  // transaction, and stop() is honoured between batches.
  static constexpr int kPruneBatch = 10'000;
  // The worker connection's statement_timeout: no statement (a FETCH, a
  // batch of a prune, an INSERT) holds the thread longer, whatever the
  // database does; stop() also cancels the statement running.
  static constexpr std::chrono::seconds kStatementTimeout{30};
  // A load that fails is retried after a delay that doubles up to this.
  static constexpr std::chrono::seconds kMaxLoadBackoff{60};
  // Rows per cursor FETCH while loading.
  static constexpr int kLoadBatch = 10'000;
  // A user's domain block blocks at most this many accounts of that domain
  // (the newest known), so one block cannot flood the engine.
  static constexpr int kMaxAccountsPerBlockedDomain = 1000;
  // A lifted domain block unmarks at most this many (the newest known).
  static constexpr int kMaxAccountsPerLiftedDomain = 100'000;
  // Domain blocks (made or lifted) waiting to be resolved into accounts.
  static constexpr std::size_t kMaxPendingDomainBlocks = 1000;
  // Ended mutes announced to the engine per sweep (one sweep per
  // moderation.refit_interval).
  static constexpr int kMaxExpiredMutesPerSweep = 10'000;

  ModerationService(mod::Engine& engine, const core::ModerationConfig& config,
                    std::string connection_string);
  ~ModerationService();  // stop()
  ModerationService(const ModerationService&) = delete;
  ModerationService& operator=(const ModerationService&) = delete;

  // Starts the listener and the worker thread (which loads first).
  void start();
  // Prompt: wakes both threads, cancels the worker's running statement
  // and joins them; the worker writes what is buffered on its way out if
  // the database answers (reconnecting once if the cancelled statement
  // cost it its connection; within kStatementTimeout). Idempotent.
  void stop();

  // A signal committed by this daemon: into the engine now.
  void record(const mod::Signal& signal);
  // Statuses shown to `viewer`: into the engine now, buffered for writing.
  void record_exposures(std::int64_t viewer, std::span<const ShownStatus> shown);
  // Admin decisions are written by the handler; this only tells the
  // engine (and counts it as a change for the next refit).
  void record_decision(std::int64_t status_id, bool confirmed);

  void register_gauges(core::MetricsRegistry& metrics);
  bool loaded() const { return loaded_.load(); }

 private:
  // Buffers exposure rows to write; true when a batch is due.
  bool queue_exposure_rows(std::int64_t viewer, std::span<const std::int64_t> statuses);
  void on_notifications(std::vector<std::string> payloads);
  void on_notification(const std::string& payload, std::int64_t now_ms, bool& wake);
  void run();
  bool ensure_connection();
  void drop_connection();
  bool load(pqxx::connection& connection);
  void flush_exposures(pqxx::connection& connection);
  void write_exposures(pqxx::connection& connection,
                       const std::vector<std::pair<std::int64_t, std::int64_t>>& batch);
  void resolve_domain_blocks(pqxx::connection& connection);
  void sweep_expired_mutes(pqxx::connection& connection);
  void refit_and_persist(pqxx::connection& connection, bool first);
  void prune_exposures(pqxx::connection& connection);

  mod::Engine& engine_;
  core::ModerationConfig config_;
  std::string connection_string_;
  std::unique_ptr<db::StreamListener> listener_;
  std::unique_ptr<pqxx::connection> connection_;  // the worker thread's own
  // Held while connection_ is replaced or reset (worker) and while stop()
  // cancels its statement; never across a statement.
  std::mutex connection_mutex_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<bool> stopping_flag_{false};  // the same, for the load's cursor loops
  std::vector<std::pair<std::int64_t, std::int64_t>> pending_exposures_;  // viewer, status
  struct PendingDomainBlock {
    std::int64_t rater = 0;
    std::string domain;
    bool lifted = false;
  };
  std::vector<PendingDomainBlock> pending_domain_blocks_;
  // Unix seconds (the database's clock) up to which ended mutes were
  // announced; 0 until the first load (worker thread only).
  double mutes_checked_until_ = 0;
  std::thread thread_;
  // Instance-wide changes a refit reported whose write failed (worker
  // thread only); one entry per status at most.
  std::vector<mod::Evidence> unpersisted_;

  std::atomic<bool> loaded_{false};
  std::atomic<std::uint64_t> changes_since_refit_{0};
  std::atomic<std::uint64_t> signals_notified_{0};
  std::atomic<std::uint64_t> signals_direct_{0};
  std::atomic<std::uint64_t> exposures_dropped_{0};
  std::atomic<std::uint64_t> exposures_written_{0};
  std::atomic<std::uint64_t> refits_{0};
  std::atomic<std::uint64_t> instance_actions_written_{0};
  std::atomic<double> load_seconds_{0};
  std::atomic<double> last_signal_lag_seconds_{0};
};

// For handlers and rendering paths. Each does nothing without an engine;
// without a started service they record into the engine only.
//
// A signal the caller has just committed (a report's flags: the author's
// own verdict then changes at once, before the notification arrives).
void record_signal(ApiRoutes& routes, const mod::Signal& signal);
// Statuses rendered for `viewer` (timelines, threads, notifications,
// streaming events): "shown and not flagged" is half of what the model
// learns from. Call it with what was actually sent; at most
// kMaxExposuresPerCall are taken; the viewer's own statuses are skipped.
inline constexpr std::size_t kMaxExposuresPerCall = 200;
void record_exposures(ApiRoutes& routes, std::int64_t viewer, std::span<const ShownStatus> shown);
// The same from rendered Mastodon Status entities (one object or an array;
// a boost counts for the boosted status; objects without ids are skipped).
void record_exposures(ApiRoutes& routes, std::int64_t viewer, const nlohmann::json& statuses);

}  // namespace kith::api
