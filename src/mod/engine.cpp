// The Engine facade (include/kith/mod/engine.hpp): one lock around the
// signal store, the fitted model and the instance-wide evidence.
//
// The one idea: reads share the lock and never wait for a refit; record()
// holds it exclusively for O(1) work; refit() copies what it needs under a
// shared lock, fits outside any lock, and swaps the result in under a short
// exclusive one, replaying the edge changes that arrived meanwhile.
//
// What it must never do: let a refit overwrite a signal recorded while it
// ran, or return who flagged anything.
#include "kith/mod/engine.hpp"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "blend.hpp"
#include "rates.hpp"
#include "refit.hpp"
#include "signal_store.hpp"

namespace kith::mod {

using detail::kNoIndex;

struct Engine::State {
  mutable std::shared_mutex mutex;
  std::mutex refit_mutex;  // one refit at a time
  detail::SignalStore store;
  detail::Blend blend;
  // Statuses with instance-wide evidence (bridged, acted or decided), by
  // status index.
  std::unordered_map<std::uint32_t, Evidence> evidence;
  std::int64_t last_refit_at = 0;
  double last_refit_seconds = 0;

  Preferences preferences_of(std::uint32_t user) const {
    if (user == kNoIndex) return {};
    const auto it = store.preferences.find(user);
    return it == store.preferences.end() ? Preferences{} : it->second;
  }

  // The layered verdict; fills the explanation's numbers when asked.
  Verdict decide(AccountId viewer, StatusId status, AccountId author_id, std::int64_t at,
                 Explanation* explanation) const {
    const std::uint32_t user = store.account_index(viewer);
    const std::uint32_t item = store.status_index(status);
    std::uint32_t author = author_id != 0 ? store.account_index(author_id) : kNoIndex;
    if (author == kNoIndex && item != kNoIndex) author = store.statuses.authors[item];
    const Preferences prefs = preferences_of(user);

    const detail::Rates rates =
        detail::rates_for(store, user, item, author, at != 0 ? at : store.latest_at);
    detail::FactorTerms terms;
    if (user != kNoIndex) {
      terms.user_bias = store.accounts.bias[user];
      terms.user_factor = store.accounts.factor[user];
    }
    if (item != kNoIndex) {
      terms.item_bias = store.statuses.bias[item];
      terms.item_factor = store.statuses.factor[item];
    }
    terms.viewer_model = store.viewer_mu;
    if (user != kNoIndex) terms.viewer_model += store.accounts.viewer_bias[user];
    const detail::Features baseline = detail::features_of(
        detail::ordinary_status(rates), detail::viewer_terms(terms, terms.viewer_model));
    if (item != kNoIndex) terms.viewer_model += store.statuses.viewer_bias[item];
    if (user != kNoIndex && item != kNoIndex)
      terms.viewer_model +=
          double{store.accounts.viewer_factor[user]} * store.statuses.viewer_factor[item] +
          double{store.accounts.viewer_factor2[user]} * store.statuses.viewer_factor2[item];
    Verdict v;
    v.probability = blend.probability(detail::features_of(rates, terms));
    const double threshold = blend.threshold(prefs.sensitivity, baseline);
    if (explanation != nullptr) {
      explanation->preferences = prefs;
      explanation->threshold = threshold;
      explanation->viewer_rate = rates.viewer;
      explanation->status_rate = rates.status;
      explanation->author_rate = rates.author;
    }

    const bool own_flag = user != kNoIndex && item != kNoIndex && store.flagged(user, item);
    const bool muted = user != kNoIndex && author != kNoIndex && store.muted(user, author);
    // Nobody is warned about their own posts by a prediction.
    const bool own_status = user != kNoIndex && user == author;
    const bool community =
        item != kNoIndex && (store.statuses.state[item] & detail::kStatusActed) != 0;
    if (community && explanation != nullptr) {
      const auto it = evidence.find(item);
      if (it != evidence.end()) explanation->community = it->second;
    }
    if (own_flag) {
      v.action = Action::hide;
      v.reason = Reason::own_flag;
      v.probability = 1;
    } else if (muted) {
      v.action = Action::hide;
      v.reason = Reason::muted_author;
    } else if (!prefs.opt_out && !own_status && v.probability >= threshold) {
      v.action = prefs.action == Action::none ? Action::warn : prefs.action;
      v.reason = Reason::predicted;
      if (community && v.action == Action::warn) v.reason = Reason::community;
    } else if (community) {
      v.action = Action::warn;
      v.reason = Reason::community;
    }
    return v;
  }
};

Engine::Engine() : state_(std::make_unique<State>()) {}
Engine::~Engine() = default;

bool Engine::record(const Signal& signal) {
  std::unique_lock lock(state_->mutex);
  return state_->store.record(signal);
}

void Engine::set_account(AccountId account, const AccountFacts& facts) {
  std::unique_lock lock(state_->mutex);
  state_->store.set_account(account, facts);
}

void Engine::set_preferences(AccountId account, const Preferences& preferences) {
  Preferences clean = preferences;
  clean.sensitivity = std::isfinite(clean.sensitivity) ? std::clamp(clean.sensitivity, 0.0, 1.0)
                                                       : Preferences{}.sensitivity;
  if (clean.action == Action::none) clean.action = Action::warn;
  std::unique_lock lock(state_->mutex);
  const std::uint32_t user = state_->store.ensure_account(account);
  if (user == kNoIndex) return;
  state_->store.preferences[user] = clean;
}

Preferences Engine::preferences(AccountId account) const {
  std::shared_lock lock(state_->mutex);
  return state_->preferences_of(state_->store.account_index(account));
}

void Engine::set_admin_decision(StatusId status, bool confirmed) {
  std::unique_lock lock(state_->mutex);
  const std::uint32_t item = state_->store.status_index(status);
  if (item == kNoIndex) return;
  std::uint8_t& state = state_->store.statuses.state[item];
  state |= detail::kStatusDecided;
  if (confirmed) {
    state |= detail::kStatusConfirmed | detail::kStatusActed;
  } else {
    state &= static_cast<std::uint8_t>(~(detail::kStatusConfirmed | detail::kStatusActed));
  }
  const auto it = state_->evidence.find(item);
  if (it != state_->evidence.end()) {
    it->second.admin_confirmed = confirmed;
    it->second.acted = confirmed;
  }
}

void Engine::forget_status(StatusId status) {
  std::unique_lock lock(state_->mutex);
  const std::uint32_t item = state_->store.status_index(status);
  if (item == kNoIndex) return;
  state_->evidence.erase(item);
  state_->store.forget_status(status);
}

Verdict Engine::verdict(AccountId viewer, StatusId status, AccountId author,
                        std::int64_t at) const {
  std::shared_lock lock(state_->mutex);
  return state_->decide(viewer, status, author, at, nullptr);
}

Explanation Engine::explain(AccountId viewer, StatusId status, AccountId author,
                            std::int64_t at) const {
  std::shared_lock lock(state_->mutex);
  Explanation explanation;
  explanation.verdict = state_->decide(viewer, status, author, at, &explanation);
  return explanation;
}

std::vector<Evidence> Engine::review_queue(std::size_t limit) const {
  std::shared_lock lock(state_->mutex);
  std::vector<Evidence> queue;
  for (const auto& [item, evidence] : state_->evidence)
    if (evidence.acted || evidence.bridged || evidence.admin_confirmed) queue.push_back(evidence);
  // Undecided first, then by intercept, then by trusted weight.
  std::sort(queue.begin(), queue.end(), [](const Evidence& a, const Evidence& b) {
    if (a.admin_confirmed.has_value() != b.admin_confirmed.has_value())
      return !a.admin_confirmed.has_value();
    if (a.intercept != b.intercept) return a.intercept > b.intercept;
    return a.trusted_flag_weight > b.trusted_flag_weight;
  });
  if (queue.size() > limit) queue.resize(limit);
  return queue;
}

bool Engine::acted_for_everyone(StatusId status) const {
  std::shared_lock lock(state_->mutex);
  const std::uint32_t item = state_->store.status_index(status);
  return item != kNoIndex && (state_->store.statuses.state[item] & detail::kStatusActed) != 0;
}

std::vector<Evidence> Engine::refit() {
  std::lock_guard refit_lock(state_->refit_mutex);
  return detail::run_refit(state_->mutex, state_->store, state_->blend, state_->evidence,
                           state_->last_refit_at, state_->last_refit_seconds);
}

Stats Engine::stats() const {
  std::shared_lock lock(state_->mutex);
  const detail::SignalStore& store = state_->store;
  Stats s;
  s.accounts = store.accounts.size();
  s.statuses = store.statuses.size() - store.free_statuses.size() - store.forgotten.size();
  for (std::uint32_t a = 0; a < store.accounts.size(); ++a)
    if (store.accounts.author_exposure_weight[a] > 0) ++s.authors;
  s.flags = store.flags;
  s.exposures = store.edges.size();
  const std::size_t evidence_bytes =
      state_->evidence.size() * (sizeof(Evidence) + sizeof(std::uint32_t) + 2 * sizeof(void*)) +
      (state_->blend.quantiles.capacity() + state_->blend.relative_quantiles.capacity()) *
          sizeof(float);
  s.bytes = store.bytes() + evidence_bytes + sizeof(State);
  if (s.accounts > 0)
    s.bytes_per_account = static_cast<double>(store.accounts.bytes()) / s.accounts;
  if (store.statuses.size() > 0)
    s.bytes_per_status = static_cast<double>(store.statuses.bytes()) / store.statuses.size();
  // A flag is a bit on an exposure edge: each stored edge costs its slot,
  // plus its share of the held-out exposures' recorded times.
  if (store.edges.size() > 0) {
    const std::size_t held_out_bytes = store.held_out_pairs.capacity() * sizeof(std::uint64_t) +
                                       store.held_out_at.capacity() * sizeof(std::uint32_t);
    s.bytes_per_flag =
        static_cast<double>(store.edges.bytes() + held_out_bytes) / store.edges.size();
  }
  s.last_refit_at = state_->last_refit_at;
  s.last_refit_seconds = state_->last_refit_seconds;
  return s;
}

}  // namespace kith::mod
