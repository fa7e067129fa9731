// The moderation service (see moderation_service.hpp): the start-up load,
// the `kith_mod` listener, the worker thread (exposure batches, refits,
// instance-wide actions, pruning) and the gauges.
//
// Threads: the listener's (db/stream_listener) parses notifications and
// records them into the engine, O(1) each; the worker thread owns one
// database connection of its own, so neither the pool nor the I/O threads
// ever wait for a load or a refit. The worker sleeps on a condition
// variable that stop() signals, so SIGTERM never waits for a timer; its
// statements are bounded by kStatementTimeout and cancelled by stop().
//
// Losing nothing: the load starts only once the listener listens; when the
// listener reconnects (notifications sent in the gap are lost) the load
// runs again; a notification that fails costs only itself. The load reads
// rows, so it restores what exists, never what was undone.
//
// What it does NOT handle (yet), and how undoing reaches the engine:
// - Several daemons on one database: signals, admins' decisions and
//   users' preferences reach every daemon's engine (the triggers notify
//   all listeners; decisions and preferences since migration 0020), but
//   each daemon refits on its own, so for up to a refit interval their
//   instance-wide states may differ.
// - Undoing is announced: an unmute or unblock (when neither is left), an
//   unfavourite, an unboost and a deleted reply (when no other positive of
//   the account on the status is left) by the triggers ('u', 'n':
//   SignalKind::author_unmute, unpositive; migrations 0016 and 0018), a
//   lifted domain block as 'D' (0019); an ended mute has no row change, so
//   the worker sweeps for ended mutes once per refit interval.
// - Deleted accounts and reports without statuses are not signals.
#include "moderation_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <pqxx/pqxx>
#include <unordered_set>

#include "../db/sql_arrays.hpp"
#include "client_support.hpp"
#include "kith/api/moderation.hpp"
#include "kith/db/pool.hpp"
#include "kith/db/stream_listener.hpp"
#include "moderation_preferences.hpp"
#include "routes_internal.hpp"

namespace kith::api {
namespace {

using Clock = std::chrono::steady_clock;
// Exposure rows per INSERT.
constexpr std::size_t kInsertBatch = 5000;

std::int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string one_line(std::string_view message) {
  std::string line(message);
  std::replace(line.begin(), line.end(), '\n', ' ');
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

// Streams the rows of `query` through a cursor, kLoadBatch at a time, so
// the load holds one batch besides what the engine keeps. Returns false
// when stopped.
template <class OnRow>
bool for_each_row(pqxx::work& tx, const std::string& cursor, const std::string& query,
                  const std::atomic<bool>& stopping, OnRow on_row) {
  tx.exec("DECLARE " + cursor + " NO SCROLL CURSOR FOR " + query);
  const std::string fetch =
      "FETCH " + std::to_string(ModerationService::kLoadBatch) + " FROM " + cursor;
  for (;;) {
    if (stopping.load()) return false;
    const pqxx::result rows = tx.exec(fetch);
    if (rows.empty()) break;
    for (const auto& row : rows) on_row(row);
  }
  tx.exec("CLOSE " + cursor);
  return true;
}

float finite(double value) {
  return std::isfinite(value) ? static_cast<float>(value) : 0.0f;
}

}  // namespace

ModerationService::ModerationService(mod::Engine& engine, const core::ModerationConfig& config,
                                     std::string connection_string)
    : engine_(engine), config_(config), connection_string_(std::move(connection_string)) {}

ModerationService::~ModerationService() {
  stop();
}

void ModerationService::start() {
  if (thread_.joinable()) return;
  // Listening starts before loading, so that nothing committed during the
  // load is missed (what arrives twice is recorded once: record() is
  // idempotent).
  listener_ = std::make_unique<db::StreamListener>(
      connection_string_, kModerationChannel,
      [this](std::vector<std::string> payloads) { on_notifications(std::move(payloads)); });
  listener_->start();
  thread_ = std::thread([this] { run(); });
}

void ModerationService::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stopping_flag_ = true;
  wake_.notify_all();
  // The worker may be inside a statement (a FETCH of the load, a prune
  // batch, a refit's writes): cancel it, so that it throws now instead of
  // running to its end or to kStatementTimeout. Nothing is lost: the load
  // is redone at the next start, exposures are best-effort.
  {
    std::lock_guard lock(connection_mutex_);
    if (connection_ && thread_.joinable()) {
      try {
        connection_->cancel_query();
      } catch (const std::exception& e) {
        spdlog::warn("moderation: cannot cancel the running statement: {}", one_line(e.what()));
      }
    }
  }
  if (listener_) listener_->stop();
  if (thread_.joinable()) thread_.join();
}

void ModerationService::record(const mod::Signal& signal) {
  engine_.record(signal);
  ++signals_direct_;
  ++changes_since_refit_;
}

void ModerationService::record_exposures(std::int64_t viewer, std::span<const ShownStatus> shown) {
  // Only first sightings are new to the engine, and only those are
  // written: a timeline read again costs no database write.
  std::vector<std::int64_t> first_seen;
  for (const ShownStatus& s : shown)
    if (engine_.record(mod::Signal{viewer, s.status_id, s.author_id, mod::SignalKind::exposure,
                                   moderation_unix_now()}))
      first_seen.push_back(s.status_id);
  if (first_seen.empty()) return;
  ++changes_since_refit_;
  if (queue_exposure_rows(viewer, first_seen)) wake_.notify_all();
}

bool ModerationService::queue_exposure_rows(std::int64_t viewer,
                                            std::span<const std::int64_t> statuses) {
  if (config_.max_exposures == 0) return false;
  std::lock_guard lock(mutex_);
  for (std::int64_t status_id : statuses) {
    if (pending_exposures_.size() >= kMaxPendingExposures) {
      ++exposures_dropped_;
      continue;
    }
    pending_exposures_.emplace_back(viewer, status_id);
  }
  return pending_exposures_.size() >= kFlushBatch;
}

void ModerationService::record_decision(std::int64_t status_id, bool confirmed) {
  engine_.set_admin_decision(status_id, confirmed);
  ++changes_since_refit_;
}

void ModerationService::on_notifications(std::vector<std::string> payloads) {
  const std::int64_t now_ms = unix_now_ms();
  bool wake = false;
  // One notification that fails (the engine out of memory, say) costs
  // only itself: the rest of the batch is still recorded.
  for (const std::string& payload : payloads) {
    try {
      on_notification(payload, now_ms, wake);
    } catch (const std::exception& e) {
      spdlog::warn("moderation: a {} notification was not recorded: {}", kModerationChannel,
                   one_line(e.what()));
    }
  }
  if (wake) wake_.notify_all();
}

void ModerationService::on_notification(const std::string& payload, std::int64_t now_ms,
                                        bool& wake) {
  auto notice = parse_moderation_notice(payload);
  if (!notice) {
    spdlog::warn("moderation: ignored a malformed {} notification", kModerationChannel);
    return;
  }
  switch (notice->kind) {
    case ModerationNotice::Kind::signal:
      // A withdrawn positive leaves its exposure in the engine; written
      // as a row, the next start's load finds it too (the sighting itself
      // was not new to the engine, so nothing wrote it before).
      if (engine_.record(notice->signal) && notice->signal.kind == mod::SignalKind::unpositive &&
          queue_exposure_rows(notice->signal.rater, std::span(&notice->signal.status, 1)))
        wake = true;
      ++signals_notified_;
      ++changes_since_refit_;
      last_signal_lag_seconds_ = std::max<double>(0, (now_ms - notice->sent_at_ms) / 1000.0);
      break;
    case ModerationNotice::Kind::status_deleted:
      engine_.forget_status(notice->signal.status);
      ++changes_since_refit_;
      break;
    case ModerationNotice::Kind::account_facts:
      engine_.set_account(notice->signal.rater, notice->facts);
      ++changes_since_refit_;
      break;
    case ModerationNotice::Kind::admin_decision:
      record_decision(notice->signal.status, notice->confirmed);
      break;
    case ModerationNotice::Kind::preferences:
      engine_.set_preferences(notice->signal.rater, notice->preferences);
      break;
    case ModerationNotice::Kind::domain_block:
    case ModerationNotice::Kind::domain_unblock: {
      std::lock_guard lock(mutex_);
      if (pending_domain_blocks_.size() < kMaxPendingDomainBlocks) {
        pending_domain_blocks_.push_back({notice->signal.rater, notice->domain,
                                          notice->kind == ModerationNotice::Kind::domain_unblock});
        wake = true;
      }
      break;
    }
  }
}

void ModerationService::drop_connection() {
  std::lock_guard lock(connection_mutex_);
  connection_.reset();
}

bool ModerationService::ensure_connection() {
  if (connection_ && connection_->is_open()) return true;
  drop_connection();
  try {
    auto connection =
        std::make_unique<pqxx::connection>(db::with_connect_timeout(connection_string_));
    pqxx::nontransaction setup(*connection);
    setup.exec("SET statement_timeout = " +
               std::to_string(std::chrono::milliseconds(kStatementTimeout).count()));
    setup.commit();
    std::lock_guard lock(connection_mutex_);
    connection_ = std::move(connection);
    return true;
  } catch (const std::exception& e) {
    spdlog::warn("moderation: cannot connect to the database: {}", one_line(e.what()));
    return false;
  }
}

void ModerationService::run() {
  auto last_flush = Clock::now();
  auto last_refit = Clock::now();
  auto last_prune = Clock::now();
  auto last_mute_sweep = Clock::now();
  bool pruned_before_load = false;
  bool first_refit_done = false;
  // The listener's connection count when the last load began: when it
  // reconnects, what was notified in the gap is lost, so the load runs
  // again (record() is idempotent; it reads only rows, so what it cannot
  // see again, a deletion or an undone signal, is not missed either way).
  unsigned loaded_listens = 0;
  // After a failure (no database, a load or a write that threw) nothing
  // is tried before retry_at; the delay doubles up to kMaxLoadBackoff.
  std::chrono::seconds backoff{0};
  auto retry_at = Clock::now();
  for (;;) {
    bool flush_due = false;
    {
      std::unique_lock lock(mutex_);
      const bool backing_off = Clock::now() < retry_at;
      wake_.wait_until(
          lock, backing_off ? retry_at : Clock::now() + std::chrono::seconds(1),
          [this, backing_off] {
            return stopping_ ||
                   (!backing_off && (pending_exposures_.size() >= kFlushBatch ||
                                     (!pending_domain_blocks_.empty() && loaded_.load())));
          });
      if (stopping_) break;
      if (Clock::now() < retry_at) continue;
      flush_due = pending_exposures_.size() >= kFlushBatch;
    }
    try {
      const bool connected = ensure_connection();
      if (connected) {
        const unsigned listens = listener_ ? listener_->connections() : 0;
        const bool reload = loaded_.load() && listens != loaded_listens;
        // A load starts only once the listener listens, so that nothing
        // committed after the load's snapshot goes unheard.
        if (!loaded_.load() || reload) {
          if (listener_ && !listener_->listening()) continue;
          // Exposures past retention are pruned before the first load, not
          // after: loading them would only grow the engine until the next
          // prune.
          if (!pruned_before_load) {
            pruned_before_load = true;  // once, even if it fails
            last_prune = Clock::now();
            prune_exposures(*connection_);
          }
          if (reload)
            spdlog::info("moderation: the listener reconnected; loading again what it missed");
          loaded_listens = listens;
          if (!load(*connection_)) continue;  // stopped
          backoff = std::chrono::seconds{0};
          if (reload) {
            ++changes_since_refit_;
            continue;
          }
          refit_and_persist(*connection_, true);
          first_refit_done = true;
          last_refit = Clock::now();
          continue;
        }
        resolve_domain_blocks(*connection_);
        const auto now = Clock::now();
        if (now - last_mute_sweep >= config_.refit_interval) {
          sweep_expired_mutes(*connection_);
          last_mute_sweep = now;
        }
        if (flush_due || now - last_flush >= kFlushInterval) {
          flush_exposures(*connection_);
          last_flush = now;
        }
        if (!first_refit_done ||
            (changes_since_refit_.load() > 0 && now - last_refit >= config_.refit_interval)) {
          refit_and_persist(*connection_, !first_refit_done);
          first_refit_done = true;
          last_refit = Clock::now();
        }
        if (now - last_prune >= kPruneInterval) {
          prune_exposures(*connection_);
          last_prune = now;
        }
        backoff = std::chrono::seconds{0};
        continue;
      }
    } catch (const std::exception& e) {
      if (!stopping_flag_.load()) spdlog::warn("moderation: {}", one_line(e.what()));
      drop_connection();
    }
    // Not connected, or something failed: wait before the next attempt.
    backoff = backoff.count() == 0 ? std::chrono::seconds{1}
                                   : std::min<std::chrono::seconds>(backoff * 2, kMaxLoadBackoff);
    retry_at = Clock::now() + backoff;
  }
  // On the way out: what is buffered, if the database is still there (on
  // a new connection if stop() cancelled a statement on the old one).
  try {
    bool pending = false;
    {
      std::lock_guard lock(mutex_);
      pending = !pending_exposures_.empty();
    }
    if (loaded_.load() && pending && ensure_connection()) flush_exposures(*connection_);
  } catch (const std::exception& e) {
    spdlog::warn("moderation: exposures not written at shutdown: {}", one_line(e.what()));
  }
  drop_connection();
}

bool ModerationService::load(pqxx::connection& connection) {
  const auto started = Clock::now();
  std::size_t rows = 0;
  pqxx::work tx(connection);
  tx.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
  // Mutes loaded are those not ended at the snapshot; later ends are the
  // sweep's (sweep_expired_mutes).
  const double snapshot_at = tx.exec1("SELECT extract(epoch FROM now())::float8")[0].as<double>();
  // Users' preferences (mod_preferences, migration 0017) before anything
  // is rendered with defaults for long.
  load_moderation_preferences(tx, engine_);
  // Trust facts first: local accounts (admins are the vouched seeds) and
  // every account that ever reported (remote Flag actors included).
  bool complete = for_each_row(
      tx, "mod_facts",
      "SELECT a.id, extract(epoch FROM a.created_at)::bigint, a.domain IS NULL,"
      " coalesce(u.admin, false) FROM accounts a LEFT JOIN users u ON u.account_id = a.id"
      " WHERE a.domain IS NULL OR a.id IN (SELECT account_id FROM reports)",
      stopping_flag_, [this, &rows](const pqxx::row& row) {
        engine_.set_account(
            row[0].as<std::int64_t>(),
            mod::AccountFacts{row[1].as<std::int64_t>(), row[2].as<bool>(), row[3].as<bool>()});
        ++rows;
      });
  // Then every signal table, each row (rater, status or 0, author, unix
  // seconds); their order does not matter (an edge ends the same whether
  // its flag or its exposure comes first).
  struct SignalTable {
    const char* cursor;
    mod::SignalKind kind;
    std::string query;
  };
  const SignalTable tables[] = {
      // Reports (local and from remote Flags) name statuses: each is a flag.
      {"mod_flags", mod::SignalKind::flag,
       "SELECT r.account_id, s.id, s.account_id, extract(epoch FROM r.created_at)::bigint"
       " FROM reports r CROSS JOIN LATERAL unnest(r.status_ids) AS named(id)"
       " JOIN statuses s ON s.id = named.id AND s.deleted_at IS NULL"},
      {"mod_mutes", mod::SignalKind::author_mute,
       "SELECT account_id, 0, target_account_id, extract(epoch FROM created_at)::bigint"
       " FROM mutes WHERE expires_at IS NULL OR expires_at > now()"},
      {"mod_blocks", mod::SignalKind::author_block,
       "SELECT account_id, 0, target_account_id, extract(epoch FROM created_at)::bigint"
       " FROM blocks"},
      {"mod_domain_blocks", mod::SignalKind::author_block,
       "SELECT b.account_id, 0, a.id, extract(epoch FROM b.created_at)::bigint"
       " FROM account_domain_blocks b CROSS JOIN LATERAL"
       " (SELECT id FROM accounts WHERE domain = b.domain ORDER BY id DESC LIMIT " +
           std::to_string(kMaxAccountsPerBlockedDomain) + ") a"},
      {"mod_favourites", mod::SignalKind::positive,
       "SELECT f.account_id, s.id, s.account_id, extract(epoch FROM f.created_at)::bigint"
       " FROM favourites f JOIN statuses s ON s.id = f.status_id AND s.deleted_at IS NULL"
       " WHERE s.account_id <> f.account_id"},
      {"mod_boosts", mod::SignalKind::positive,
       "SELECT b.account_id, o.id, o.account_id, extract(epoch FROM b.created_at)::bigint"
       " FROM statuses b JOIN statuses o ON o.id = b.reblog_of_id AND o.deleted_at IS NULL"
       " WHERE b.reblog_of_id IS NOT NULL AND b.deleted_at IS NULL"
       " AND o.account_id <> b.account_id"},
      {"mod_replies", mod::SignalKind::positive,
       "SELECT r.account_id, p.id, p.account_id, extract(epoch FROM r.created_at)::bigint"
       " FROM statuses r JOIN statuses p ON p.id = r.in_reply_to_id AND p.deleted_at IS NULL"
       " WHERE r.in_reply_to_id IS NOT NULL AND r.deleted_at IS NULL"
       " AND r.account_id <> p.account_id"},
      {"mod_exposures_load", mod::SignalKind::exposure,
       "SELECT e.account_id, s.id, s.account_id, extract(epoch FROM e.seen_at)::bigint"
       " FROM mod_exposures e JOIN statuses s ON s.id = e.status_id AND s.deleted_at IS NULL"
       " WHERE s.account_id <> e.account_id"},
  };
  for (const SignalTable& table : tables)
    complete =
        complete && for_each_row(tx, table.cursor, table.query, stopping_flag_,
                                 [this, &rows, kind = table.kind](const pqxx::row& row) {
                                   engine_.record(mod::Signal{
                                       row[0].as<std::int64_t>(), row[1].as<std::int64_t>(),
                                       row[2].as<std::int64_t>(), kind, row[3].as<std::int64_t>()});
                                   ++rows;
                                 });
  // Admins' decisions last, once the statuses they are about are known.
  complete = complete && for_each_row(tx, "mod_decisions",
                                      "SELECT status_id, state = 'confirmed'"
                                      " FROM mod_instance_actions"
                                      " WHERE state IN ('confirmed', 'overturned')",
                                      stopping_flag_, [this, &rows](const pqxx::row& row) {
                                        engine_.set_admin_decision(row[0].as<std::int64_t>(),
                                                                   row[1].as<bool>());
                                        ++rows;
                                      });
  if (!complete) return false;
  tx.commit();
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  load_seconds_ = seconds;
  // A reload (after a listener reconnect) keeps the sweep's place: mutes
  // that ended before its snapshot are not in it either.
  if (mutes_checked_until_ <= 0) mutes_checked_until_ = snapshot_at;
  loaded_ = true;
  const mod::Stats stats = engine_.stats();
  spdlog::info(
      "moderation: loaded {} rows in {:.3f} s: {} accounts, {} statuses, {} flags, {} exposures",
      rows, seconds, stats.accounts, stats.statuses, stats.flags, stats.exposures);
  return true;
}

void ModerationService::flush_exposures(pqxx::connection& connection) {
  std::vector<std::pair<std::int64_t, std::int64_t>> batch;
  {
    std::lock_guard lock(mutex_);
    batch.swap(pending_exposures_);
  }
  if (batch.empty()) return;
  // Sorted, so that two daemons writing at once take row locks in the
  // same order.
  std::sort(batch.begin(), batch.end());
  batch.erase(std::unique(batch.begin(), batch.end()), batch.end());
  // A batch whose write fails (the database away, the statement cancelled
  // by stop()) goes back to wait for the next attempt: only a first
  // sighting is ever queued, so a row lost here would be lost for good.
  // What does not fit under kMaxPendingExposures is counted as dropped.
  try {
    write_exposures(connection, batch);
  } catch (...) {
    std::lock_guard lock(mutex_);
    const std::size_t room =
        kMaxPendingExposures - std::min(kMaxPendingExposures, pending_exposures_.size());
    const std::size_t kept = std::min(room, batch.size());
    pending_exposures_.insert(pending_exposures_.end(), batch.begin(), batch.begin() + kept);
    exposures_dropped_ += batch.size() - kept;
    throw;
  }
  exposures_written_ += batch.size();
}

void ModerationService::write_exposures(
    pqxx::connection& connection, const std::vector<std::pair<std::int64_t, std::int64_t>>& batch) {
  pqxx::work tx(connection);
  for (std::size_t begin = 0; begin < batch.size(); begin += kInsertBatch) {
    const std::size_t end = std::min(batch.size(), begin + kInsertBatch);
    std::vector<std::int64_t> viewers, statuses;
    viewers.reserve(end - begin);
    statuses.reserve(end - begin);
    for (std::size_t i = begin; i < end; ++i) {
      viewers.push_back(batch[i].first);
      statuses.push_back(batch[i].second);
    }
    tx.exec_params(
        "INSERT INTO mod_exposures (account_id, status_id)"
        " SELECT * FROM unnest($1::bigint[], $2::bigint[]) ON CONFLICT DO NOTHING",
        db::bigint_array_literal(viewers), db::bigint_array_literal(statuses));
  }
  tx.commit();
}

void ModerationService::resolve_domain_blocks(pqxx::connection& connection) {
  std::vector<PendingDomainBlock> blocks;
  {
    std::lock_guard lock(mutex_);
    blocks.swap(pending_domain_blocks_);
  }
  if (blocks.empty()) return;
  pqxx::work tx(connection);
  for (const PendingDomainBlock& block : blocks) {
    // A lifted block lifts the engine's mark on the domain's accounts
    // except those the user still mutes or blocks one by one. Which
    // accounts the block marked (the newest then, or at the last start) is
    // not known, so far more are unmarked: unmarking an unmarked one
    // changes nothing.
    const pqxx::result accounts =
        block.lifted
            ? tx.exec_params(
                  "SELECT a.id FROM accounts a WHERE a.domain = $1"
                  " AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = $2"
                  " AND b.target_account_id = a.id)"
                  " AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = $2"
                  " AND m.target_account_id = a.id AND (m.expires_at IS NULL OR m.expires_at > "
                  "now()))"
                  " ORDER BY a.id DESC LIMIT $3",
                  block.domain, block.rater, kMaxAccountsPerLiftedDomain)
            : tx.exec_params("SELECT id FROM accounts WHERE domain = $1 ORDER BY id DESC LIMIT $2",
                             block.domain, kMaxAccountsPerBlockedDomain);
    const mod::SignalKind kind =
        block.lifted ? mod::SignalKind::author_unmute : mod::SignalKind::author_block;
    for (const auto& row : accounts)
      engine_.record(
          mod::Signal{block.rater, 0, row[0].as<std::int64_t>(), kind, moderation_unix_now()});
  }
  tx.commit();
  ++changes_since_refit_;
}

void ModerationService::sweep_expired_mutes(pqxx::connection& connection) {
  if (mutes_checked_until_ <= 0) return;  // not loaded yet
  pqxx::work tx(connection);
  const double now = tx.exec1("SELECT extract(epoch FROM now())::float8")[0].as<double>();
  // Mutes that ended since the last sweep, oldest first, unless a block or
  // the user's block of the author's domain keeps the author hidden, are
  // announced as unmutes on kith_mod (to every daemon, this one included)
  // rather than recorded here: notifications arrive in commit order, so a
  // mute made again after this snapshot (its 'm' commits later) always
  // lands after the unmute, never before it.
  const pqxx::result ended = tx.exec_params(
      "SELECT ended_at, kith_mod_notify('u', account_id, 0, target_account_id) FROM ("
      " SELECT m.account_id, m.target_account_id,"
      " extract(epoch FROM m.expires_at)::float8 AS ended_at"
      " FROM mutes m JOIN accounts a ON a.id = m.target_account_id"
      " WHERE m.expires_at > to_timestamp($1) AND m.expires_at <= to_timestamp($2)"
      " AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = m.account_id"
      " AND b.target_account_id = m.target_account_id)"
      " AND NOT EXISTS (SELECT 1 FROM account_domain_blocks d WHERE d.account_id = m.account_id"
      " AND d.domain = a.domain)"
      " ORDER BY m.expires_at LIMIT $3) ended",
      mutes_checked_until_, now, kMaxExpiredMutesPerSweep);
  tx.commit();
  // A full batch: the next sweep goes on from the last end seen (mutes
  // ending in the same microsecond beyond the batch are left to the next
  // start).
  mutes_checked_until_ = ended.size() == static_cast<std::size_t>(kMaxExpiredMutesPerSweep)
                             ? ended.back()[0].as<double>()
                             : now;
}

void ModerationService::refit_and_persist(pqxx::connection& connection, bool first) {
  changes_since_refit_ = 0;
  // Changes a failed write left behind are written with these (refit()
  // reports each change once); for a status in both, the newer wins.
  std::vector<mod::Evidence> changed = engine_.refit();
  ++refits_;
  {
    std::unordered_set<mod::StatusId> fresh;
    for (const mod::Evidence& e : changed) fresh.insert(e.status);
    for (mod::Evidence& e : unpersisted_)
      if (!fresh.count(e.status)) changed.push_back(std::move(e));
  }
  unpersisted_ = changed;
  pqxx::work tx(connection);
  std::vector<std::int64_t> acted;
  for (const mod::Evidence& e : changed) {
    if (e.acted) acted.push_back(e.status);
    tx.exec_params(
        "INSERT INTO mod_instance_actions (status_id, author_id, state, flaggers, exposures,"
        " trusted_flag_weight, flaggers_negative_side, flaggers_positive_side, intercept, bridged,"
        " acted_at)"
        " SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
        " CASE WHEN $3 = 'acted' THEN now() END WHERE EXISTS (SELECT 1 FROM statuses WHERE id = $1)"
        " ON CONFLICT (status_id) DO UPDATE SET flaggers = EXCLUDED.flaggers,"
        " exposures = EXCLUDED.exposures, trusted_flag_weight = EXCLUDED.trusted_flag_weight,"
        " flaggers_negative_side = EXCLUDED.flaggers_negative_side,"
        " flaggers_positive_side = EXCLUDED.flaggers_positive_side,"
        " intercept = EXCLUDED.intercept, bridged = EXCLUDED.bridged, updated_at = now(),"
        // An admin's decision stands whatever the model says later.
        " state = CASE WHEN mod_instance_actions.state IN ('confirmed', 'overturned')"
        " THEN mod_instance_actions.state ELSE EXCLUDED.state END,"
        " acted_at = coalesce(mod_instance_actions.acted_at, EXCLUDED.acted_at)",
        e.status, e.author, std::string(moderation_state(e)), static_cast<std::int64_t>(e.flaggers),
        static_cast<std::int64_t>(e.exposures), finite(e.trusted_flag_weight),
        static_cast<std::int64_t>(e.flaggers_negative_side),
        static_cast<std::int64_t>(e.flaggers_positive_side), finite(e.intercept), e.bridged);
  }
  // The first refit after a start rebuilds every action from scratch: one
  // kept as acted that the model no longer supports is cleared.
  if (first)
    tx.exec_params(
        "UPDATE mod_instance_actions SET state = 'cleared', updated_at = now()"
        " WHERE state = 'acted' AND NOT (status_id = ANY($1::bigint[]))",
        db::bigint_array_literal(acted));
  tx.commit();
  unpersisted_.clear();
  instance_actions_written_ += changed.size();
  if (!changed.empty())
    spdlog::info("moderation: refit changed the instance-wide state of {} status(es)",
                 changed.size());
}

void ModerationService::prune_exposures(pqxx::connection& connection) {
  const auto retention =
      std::chrono::duration_cast<std::chrono::seconds>(config_.exposure_retention).count();
  // Deletes the rows seen at or before `cutoff` (a timestamp expression of
  // $1) kPruneBatch at a time, each batch its own short transaction, until
  // none is left or stop() is called.
  std::size_t deleted = 0;
  auto delete_in_batches = [&](const std::string& cutoff, const auto& argument) {
    const std::string sql =
        "DELETE FROM mod_exposures WHERE ctid IN (SELECT ctid FROM mod_exposures WHERE seen_at " +
        cutoff + " LIMIT " + std::to_string(kPruneBatch) + ")";
    for (;;) {
      if (stopping_flag_.load()) return false;
      pqxx::work tx(connection);
      const std::size_t n = tx.exec_params(sql, argument).affected_rows();
      tx.commit();
      deleted += n;
      if (n < static_cast<std::size_t>(kPruneBatch)) return true;
    }
  };
  bool complete = delete_in_batches("< now() - make_interval(secs => $1)", retention);
  // The row cap, from the planner's estimate (no count(*) of a large
  // table): drop the oldest share of the time span, assuming rows spread
  // evenly over it. The cutoff is fixed first, so the batches converge.
  if (complete) {
    pqxx::work tx(connection);
    const pqxx::row estimate = tx.exec1(
        "SELECT greatest(reltuples, 0)::bigint FROM pg_class"
        " WHERE oid = 'mod_exposures'::regclass");
    // (The estimate may not count the rows just deleted yet.)
    const auto rows = estimate[0].as<std::int64_t>() - static_cast<std::int64_t>(deleted);
    const auto cap = static_cast<std::int64_t>(config_.max_exposures);
    std::optional<std::string> cutoff;
    if (rows > cap) {
      const double excess = rows > 0 ? double(rows - cap) / double(rows) : 1.0;
      const pqxx::row row = tx.exec_params1(
          "SELECT (min(seen_at) + (now() - min(seen_at)) * $1::float8)::text FROM mod_exposures",
          excess);
      if (!row[0].is_null()) cutoff = row[0].as<std::string>();
    }
    tx.commit();
    if (cutoff) delete_in_batches("<= $1::timestamptz", *cutoff);
  }
  if (deleted > 0) spdlog::info("moderation: pruned {} exposure row(s)", deleted);
}

void ModerationService::register_gauges(core::MetricsRegistry& metrics) {
  metrics.gauge(
      "kith_moderation_model_entries", "What the moderation engine holds, by kind", [this] {
        const mod::Stats s = engine_.stats();
        return std::vector<core::GaugeSample>{{{{"kind", "accounts"}}, double(s.accounts)},
                                              {{{"kind", "statuses"}}, double(s.statuses)},
                                              {{{"kind", "authors"}}, double(s.authors)},
                                              {{{"kind", "flags"}}, double(s.flags)},
                                              {{{"kind", "exposures"}}, double(s.exposures)}};
      });
  metrics.gauge("kith_moderation_model_bytes", "Bytes the moderation engine holds", [this] {
    return std::vector<core::GaugeSample>{{{}, double(engine_.stats().bytes)}};
  });
  metrics.gauge("kith_moderation_model_bytes_per_entry",
                "The moderation engine's bytes per account, status and stored flag", [this] {
                  const mod::Stats s = engine_.stats();
                  return std::vector<core::GaugeSample>{
                      {{{"kind", "account"}}, s.bytes_per_account},
                      {{{"kind", "status"}}, s.bytes_per_status},
                      {{{"kind", "flag"}}, s.bytes_per_flag}};
                });
  metrics.gauge("kith_moderation_refit_seconds", "How long the last full refit took", [this] {
    return std::vector<core::GaugeSample>{{{}, engine_.stats().last_refit_seconds}};
  });
  metrics.gauge(
      "kith_moderation_refit_age_seconds", "Seconds since the last full refit ended (-1: none yet)",
      [this] {
        const std::int64_t at = engine_.stats().last_refit_at;
        return std::vector<core::GaugeSample>{
            {{}, at == 0 ? -1.0 : double(std::max<std::int64_t>(0, moderation_unix_now() - at))}};
      });
  metrics.gauge("kith_moderation_refits", "Full refits since start", [this] {
    return std::vector<core::GaugeSample>{{{}, double(refits_.load())}};
  });
  metrics.gauge("kith_moderation_signal_lag_seconds",
                "From the commit of the last notified signal to the engine", [this] {
                  return std::vector<core::GaugeSample>{{{}, last_signal_lag_seconds_.load()}};
                });
  metrics.gauge("kith_moderation_signals", "Signals recorded since start, by path", [this] {
    return std::vector<core::GaugeSample>{
        {{{"path", "notification"}}, double(signals_notified_.load())},
        {{{"path", "direct"}}, double(signals_direct_.load())}};
  });
  metrics.gauge(
      "kith_moderation_instance_actions_written",
      "Instance-wide state changes written to mod_instance_actions since start", [this] {
        return std::vector<core::GaugeSample>{{{}, double(instance_actions_written_.load())}};
      });
  metrics.gauge("kith_moderation_loaded", "1 once the engine was loaded from the database at start",
                [this] {
                  return std::vector<core::GaugeSample>{{{}, loaded_.load() ? 1.0 : 0.0}};
                });
  metrics.gauge("kith_moderation_load_seconds", "How long the start-up load took", [this] {
    return std::vector<core::GaugeSample>{{{}, load_seconds_.load()}};
  });
  metrics.gauge("kith_moderation_exposures",
                "Exposure rows written, waiting, and dropped (buffer full)", [this] {
                  std::size_t pending = 0;
                  {
                    std::lock_guard lock(mutex_);
                    pending = pending_exposures_.size();
                  }
                  return std::vector<core::GaugeSample>{
                      {{{"state", "written"}}, double(exposures_written_.load())},
                      {{{"state", "pending"}}, double(pending)},
                      {{{"state", "dropped"}}, double(exposures_dropped_.load())}};
                });
}

// The free functions for handlers and rendering paths.

void record_signal(ApiRoutes& routes, const mod::Signal& signal) {
  if (routes.moderation_service) {
    routes.moderation_service->record(signal);
  } else if (routes.context.moderation != nullptr) {
    routes.context.moderation->record(signal);
  }
}

void record_exposures(ApiRoutes& routes, std::int64_t viewer, std::span<const ShownStatus> shown) {
  if (routes.context.moderation == nullptr || viewer == 0) return;
  std::vector<ShownStatus> kept;
  kept.reserve(std::min(shown.size(), kMaxExposuresPerCall));
  for (const ShownStatus& s : shown) {
    if (kept.size() >= kMaxExposuresPerCall) break;
    if (s.status_id > 0 && s.author_id != viewer) kept.push_back(s);
  }
  if (kept.empty()) return;
  if (routes.moderation_service) {
    routes.moderation_service->record_exposures(viewer, kept);
  } else {
    for (const ShownStatus& s : kept)
      routes.context.moderation->record(mod::Signal{
          viewer, s.status_id, s.author_id, mod::SignalKind::exposure, moderation_unix_now()});
  }
}

namespace {

// Whether a rendered Status's `filtered` holds one of kith's system filters
// (status_filters.cpp: their ids start with "kith-").
bool carries_moderation_verdict(const nlohmann::json& status) {
  const auto filtered = status.find("filtered");
  if (filtered == status.end() || !filtered->is_array()) return false;
  for (const auto& result : *filtered) {
    const auto filter = result.find("filter");
    if (filter == result.end() || !filter->is_object()) continue;
    const auto id = filter->find("id");
    if (id != filter->end() && id->is_string() &&
        id->get_ref<const std::string&>().starts_with("kith-"))
      return true;
  }
  return false;
}

}  // namespace

void record_exposures(ApiRoutes& routes, std::int64_t viewer, const nlohmann::json& statuses) {
  if (routes.context.moderation == nullptr) return;
  std::vector<ShownStatus> shown;
  auto add = [&shown](const nlohmann::json& status) {
    if (shown.size() >= kMaxExposuresPerCall || !status.is_object()) return;
    const nlohmann::json* shown_status = &status;
    if (auto reblog = status.find("reblog"); reblog != status.end() && reblog->is_object())
      shown_status = &*reblog;
    // Shown behind a community-moderation warning (or reported, where
    // hide does not remove it): not "shown and not flagged", or the model
    // would learn that those predicted to flag it did not.
    if (carries_moderation_verdict(*shown_status)) return;
    const auto id = shown_status->find("id");
    const auto account = shown_status->find("account");
    if (id == shown_status->end() || !id->is_string() || account == shown_status->end() ||
        !account->is_object())
      return;
    const auto account_id = account->find("id");
    if (account_id == account->end() || !account_id->is_string()) return;
    auto status_id = parse_id(id->get_ref<const std::string&>());
    auto author_id = parse_id(account_id->get_ref<const std::string&>());
    if (status_id && author_id) shown.push_back(ShownStatus{*status_id, *author_id});
  };
  if (statuses.is_array()) {
    for (const auto& status : statuses) add(status);
  } else {
    add(statuses);
  }
  record_exposures(routes, viewer, shown);
}

// kith/api/moderation.hpp

void start_moderation_service(ApiRoutes& routes, std::string connection_string,
                              core::MetricsRegistry& metrics) {
  if (routes.context.moderation == nullptr || routes.moderation_service) return;
  routes.moderation_service = std::make_shared<ModerationService>(
      *routes.context.moderation, routes.context.config.moderation, std::move(connection_string));
  routes.moderation_service->register_gauges(metrics);
  routes.moderation_service->start();
}

void stop_moderation_service(ApiRoutes& routes) {
  if (routes.moderation_service) routes.moderation_service->stop();
}

}  // namespace kith::api
