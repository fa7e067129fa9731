// The community moderation engine (issue 5): users' flags and other
// signals in, per-viewer and instance-wide verdicts out. Pure in-memory
// state, no I/O: the daemon feeds it from PostgreSQL at start and from
// every new signal afterwards (app/moderation_service), the benchmark
// (bench/moderation) feeds it MovieLens.
//
// The one idea: three layers, cheapest first.
//   1. The viewer's own signals act at once: a status the viewer flagged,
//      or whose author the viewer muted or blocked, is hidden for them on
//      the next read (record() updates a per-viewer structure in O(1)).
//   2. Online shrunk (Bayesian) rates for viewer, status and author (and
//      the viewer's recent rate, decayed over about a day), plus the last
//      refit's factor model, predict whether the viewer would flag a
//      status they are shown at a given time; above the viewer's threshold
//      it is warned on or hidden for that viewer only. New flags move the
//      rates at once and everyone's predictions within a minute (the next
//      refit at most).
//   3. Instance-wide action only when the bridging condition holds: a high
//      status intercept (flag rate not explained by the factor axis) backed
//      by trusted flaggers on both sides of that axis. Such statuses are
//      marked for everyone and queued for an admin with the evidence
//      (counts and diversity, never who).
// Trust weights: new accounts and accounts that flag in lock-step with a
// group weigh less; admin-vouched seeds and admin confirmations weigh more.
//
// Thread safety: every member may be called from any thread. Reads
// (verdict, explain, review_queue, stats) take a shared lock and never
// wait for a refit: refit() builds the new model outside the lock and
// swaps it in. record() is O(1) amortised under an exclusive lock.
//
// What it must never do: keep who flagged what in anything it returns
// to someone other than the flagger; allocate without bound (every table
// is sized by the accounts and statuses fed to it, per-entry costs are in
// stats()); block on I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kith::mod {

using AccountId = std::int64_t;  // accounts.id (local or remote)
using StatusId = std::int64_t;   // statuses.id

enum class SignalKind : std::uint8_t {
  exposure,      // the viewer was shown the status (timeline, thread, notification, stream)
  flag,          // a report naming the status (local, or a remote Flag)
  unflag,        // the flag withdrawn (report resolved as mistaken by its author)
  positive,      // favourite, boost or reply by the viewer
  author_mute,   // the viewer muted the author (status may be 0)
  author_block,  // the viewer blocked the author, or their domain (status may be 0)
  // Undoing (appended, so the values above keep their numbers):
  author_unmute,  // the viewer no longer mutes nor blocks the author (status may be 0)
  unpositive,     // the viewer's positive withdrawn (unfavourite, unboost, reply deleted)
};

struct Signal {
  AccountId rater = 0;
  StatusId status = 0;  // 0 when the signal is about the author only
  AccountId author = 0;
  SignalKind kind = SignalKind::exposure;
  std::int64_t at = 0;  // unix seconds
};

enum class Action : std::uint8_t { none, warn, hide };

// A viewer's choices (PATCH /api/v1/kith/moderation/preferences).
struct Preferences {
  bool opt_out = false;  // no predicted verdicts at all (own flags and instance-wide still apply)
  double sensitivity = 0.5;      // 0 (only near-certain) .. 1 (warn early)
  Action action = Action::warn;  // what a predicted verdict does: warn or hide
};

// What an account is, for trust: when it was created, whether an admin
// vouches for it (a trust seed), whether it is local.
struct AccountFacts {
  std::int64_t created_at = 0;  // unix seconds
  bool local = false;
  bool admin_vouched = false;
};

enum class Reason : std::uint8_t { none, own_flag, muted_author, predicted, community };

struct Verdict {
  Action action = Action::none;
  Reason reason = Reason::none;
  double probability = 0;  // predicted chance the viewer would flag it
};

// Instance-wide evidence on one status: counts and diversity, never who.
struct Evidence {
  StatusId status = 0;
  AccountId author = 0;
  std::uint32_t flaggers = 0;                // distinct accounts that flagged it
  std::uint32_t exposures = 0;               // accounts shown it
  double trusted_flag_weight = 0;            // sum of the flaggers' trust weights
  std::uint32_t flaggers_negative_side = 0;  // flaggers with factor < 0
  std::uint32_t flaggers_positive_side = 0;  // flaggers with factor > 0
  double intercept = 0;                      // the status's fitted intercept
  bool bridged = false;                      // the bridging condition holds
  bool acted = false;                        // marked for everyone (until an admin overturns)
  std::optional<bool> admin_confirmed;       // set once an admin has decided
};

// "Why is this hidden for me?", in data; the API and the page word it.
struct Explanation {
  Verdict verdict;
  Preferences preferences;
  double threshold = 0;  // the viewer's threshold the probability is compared with
  double viewer_rate = 0, status_rate = 0, author_rate = 0;  // shrunk flag rates
  std::optional<Evidence> community;                         // when an instance-wide action applies
};

struct Stats {
  std::size_t accounts = 0, statuses = 0, authors = 0, flags = 0, exposures = 0;
  std::size_t bytes = 0;  // everything the engine holds
  double bytes_per_account = 0, bytes_per_status = 0, bytes_per_flag = 0;
  std::int64_t last_refit_at = 0;  // unix seconds
  double last_refit_seconds = 0;
};

class Engine {
 public:
  Engine();
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Returns whether the signal changed anything; for an exposure, whether
  // the viewer had not been shown the status before (what to persist).
  bool record(const Signal& signal);
  void set_account(AccountId account, const AccountFacts& facts);
  void set_preferences(AccountId account, const Preferences& preferences);
  Preferences preferences(AccountId account) const;
  // An admin's decision on a queued status: confirmed keeps the
  // instance-wide action and raises the flaggers' trust; overturned lifts
  // it and lowers their trust.
  void set_admin_decision(StatusId status, bool confirmed);
  // Forget a status (deleted) or an account (deleted, purged).
  void forget_status(StatusId status);

  // `at`: when the viewer is shown the status (unix seconds); 0 means the
  // newest signal's time, which is "now" on a live server.
  Verdict verdict(AccountId viewer, StatusId status, AccountId author, std::int64_t at = 0) const;
  Explanation explain(AccountId viewer, StatusId status, AccountId author,
                      std::int64_t at = 0) const;
  // Statuses acted on for everyone or awaiting an admin, worst first.
  std::vector<Evidence> review_queue(std::size_t limit) const;
  bool acted_for_everyone(StatusId status) const;

  // Full refit of the factor model and trust weights from everything
  // recorded; call from a background thread (the daemon: once a minute
  // when something changed). Returns statuses whose instance-wide state
  // changed, so the caller can persist it and notify admins.
  std::vector<Evidence> refit();
  Stats stats() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace kith::mod
