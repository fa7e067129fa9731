// Signal storage (signal_store.hpp): dense indices, edges and online counters.
#include "signal_store.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "trust.hpp"

namespace kith::mod::detail {

namespace {

template <typename T>
std::size_t vector_bytes(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

std::uint32_t clamp_time(std::int64_t at) {
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(at, 0, 0xffffffffLL));
}

// Appends with 1.125x growth instead of the library's 2x, so the arrays'
// spare capacity (which stats() counts) stays under an eighth.
template <typename T>
void append(std::vector<T>& v, std::type_identity_t<T> value) {
  if (v.size() == v.capacity()) v.reserve(v.capacity() + v.capacity() / 8 + 16);
  v.push_back(value);
}

}  // namespace

void SignalStore::add_recent(std::uint32_t user, std::int64_t at, float exposure, float flag) {
  const std::uint32_t t = clamp_time(at);
  std::uint32_t& last = accounts.recent_at[user];
  auto [flags, exposures] = accounts.recent_sums(user);
  if (t > last) {
    // Newer than anything so far: decay the sums to t.
    const double decay = std::exp(-static_cast<double>(t - last) / kRecentSeconds);
    exposures *= decay;
    flags *= decay;
    last = t;
  } else {
    // Older: it counts decayed to the newest time.
    const double decay = std::exp(-static_cast<double>(last - t) / kRecentSeconds);
    exposure = static_cast<float>(exposure * decay);
    flag = static_cast<float>(flag * decay);
  }
  // At the cap both sums shrink by the same factor, so the flag share is
  // that of everything added, not of the flags alone.
  const double total = exposures + exposure;
  const double keep = total > kMaxRecentExposures ? kMaxRecentExposures / total : 1.0;
  exposures = total * keep;
  flags = std::clamp((flags + flag) * keep, 0.0, exposures);
  accounts.recent_exposures[user] =
      static_cast<std::uint16_t>(std::lround(exposures * kRecentExposureUnits));
  accounts.recent_flag_share[user] = static_cast<std::uint16_t>(
      exposures > 0 ? std::lround(flags / exposures * kRecentShareScale) : 0);
}

std::size_t Accounts::bytes() const {
  return vector_bytes(ids) + index.bytes() + vector_bytes(flags_given) +
         vector_bytes(exposures_seen) + vector_bytes(positives_given) +
         vector_bytes(author_flag_weight) + vector_bytes(author_exposure_weight) +
         vector_bytes(trust) + vector_bytes(created_at) + vector_bytes(bits) + vector_bytes(bias) +
         vector_bytes(factor) + vector_bytes(viewer_bias) + vector_bytes(viewer_factor) +
         vector_bytes(viewer_factor2) + vector_bytes(recent_at) + vector_bytes(recent_exposures) +
         vector_bytes(recent_flag_share);
}

std::size_t Statuses::bytes() const {
  const std::size_t sides =
      vector_bytes(positive_flag_weight) + vector_bytes(positive_exposure_weight);
  return vector_bytes(ids) + index.bytes() + vector_bytes(authors) + vector_bytes(exposures) +
         vector_bytes(positives) + vector_bytes(flag_weight) + vector_bytes(exposure_weight) +
         sides + vector_bytes(bias) + vector_bytes(factor) + vector_bytes(viewer_bias) +
         vector_bytes(viewer_factor) + vector_bytes(viewer_factor2) + vector_bytes(state);
}

std::size_t SignalStore::bytes() const {
  return accounts.bytes() + statuses.bytes() + edges.bytes() + mutes.bytes() +
         preferences.size() * (sizeof(std::uint32_t) + sizeof(Preferences) + 2 * sizeof(void*)) +
         vector_bytes(free_statuses) + vector_bytes(forgotten) + vector_bytes(changes) +
         vector_bytes(held_out_pairs) + vector_bytes(held_out_at);
}

std::uint32_t SignalStore::ensure_account(AccountId id) {
  std::uint32_t index = account_index(id);
  if (index != kNoIndex) return index;
  if (accounts.size() >= kMaxAccounts) return kNoIndex;
  index = static_cast<std::uint32_t>(accounts.size());
  append(accounts.ids, id);
  accounts.index.insert(index, accounts.ids);
  append(accounts.flags_given, 0);
  append(accounts.exposures_seen, 0);
  append(accounts.positives_given, 0);
  append(accounts.author_flag_weight, 0);
  append(accounts.author_exposure_weight, 0);
  append(accounts.trust, base_trust(0, 0, latest_at));
  append(accounts.created_at, 0);
  append(accounts.bits, 0);
  append(accounts.bias, 0);
  append(accounts.factor, 0);
  append(accounts.viewer_bias, 0);
  append(accounts.viewer_factor, 0);
  append(accounts.viewer_factor2, 0);
  append(accounts.recent_at, 0);
  append(accounts.recent_exposures, 0);
  append(accounts.recent_flag_share, 0);
  return index;
}

std::uint32_t SignalStore::ensure_status(StatusId id, std::uint32_t author) {
  std::uint32_t index = status_index(id);
  if (index != kNoIndex) {
    if (statuses.authors[index] == kNoIndex) statuses.authors[index] = author;
    return index;
  }
  if (!free_statuses.empty()) {
    index = free_statuses.back();
    free_statuses.pop_back();
    statuses.ids[index] = id;
    statuses.authors[index] = author;
    statuses.exposures[index] = 0;
    statuses.positives[index] = 0;
    statuses.flag_weight[index] = statuses.exposure_weight[index] = 0;
    statuses.positive_flag_weight[index] = statuses.positive_exposure_weight[index] = 0;
    statuses.bias[index] = statuses.factor[index] = 0;
    statuses.viewer_bias[index] = statuses.viewer_factor[index] = statuses.viewer_factor2[index] =
        0;
    statuses.state[index] = 0;
  } else {
    if (statuses.size() >= kMaxStatuses) return kNoIndex;
    index = static_cast<std::uint32_t>(statuses.size());
    append(statuses.ids, id);
    append(statuses.authors, author);
    append(statuses.exposures, 0);
    append(statuses.positives, 0);
    append(statuses.flag_weight, 0);
    append(statuses.exposure_weight, 0);
    append(statuses.positive_flag_weight, 0);
    append(statuses.positive_exposure_weight, 0);
    append(statuses.bias, 0);
    append(statuses.factor, 0);
    append(statuses.state, 0);
    append(statuses.viewer_bias, 0);
    append(statuses.viewer_factor, 0);
    append(statuses.viewer_factor2, 0);
  }
  statuses.index.insert(index, statuses.ids);
  return index;
}

void SignalStore::apply(const EdgeChange& change, bool weighted_only) {
  const std::uint32_t user = edge_user(change.edge);
  const std::uint32_t item = edge_item(change.edge);
  if (user >= accounts.size() || item >= statuses.size()) return;
  if (statuses.state[item] & kStatusForgotten) return;
  const float weight = accounts.trust[user];
  const std::array<float, 2> shares = side_shares(accounts.factor[user]);
  const std::uint32_t author = statuses.authors[item];
  if (change.exposure != 0) {
    const float w = weight * change.exposure;
    if (!weighted_only) {
      accounts.exposures_seen[user] += change.exposure;
      statuses.exposures[item] += change.exposure;
    }
    statuses.exposure_weight[item] += w;
    statuses.positive_exposure_weight[item] += w * shares[1];
    if (author != kNoIndex) accounts.author_exposure_weight[author] += w;
    total_exposure_weight += w;
  }
  if (change.flag != 0) {
    const float w = weight * change.flag;
    if (!weighted_only) {
      accounts.flags_given[user] += change.flag;
    }
    statuses.flag_weight[item] += w;
    statuses.positive_flag_weight[item] += w * shares[1];
    if (author != kNoIndex) accounts.author_flag_weight[author] += w;
    total_flag_weight += w;
  }
}

void SignalStore::count_positive(std::uint32_t user, std::uint32_t item, int change) {
  // Saturated counters stay saturated: they no longer know their exact count.
  auto step = [change](std::uint16_t& n) {
    if (n == kMaxPositives) return;
    if (change > 0) ++n;
    if (change < 0 && n > 0) --n;
  };
  step(accounts.positives_given[user]);
  step(statuses.positives[item]);
  total_positives += change;
}

bool SignalStore::record(const Signal& signal) {
  latest_at = std::max(latest_at, signal.at);
  const std::uint32_t user = ensure_account(signal.rater);
  if (user == kNoIndex) return false;
  const std::uint32_t author = signal.author != 0 ? ensure_account(signal.author) : kNoIndex;

  if (signal.kind == SignalKind::author_mute || signal.kind == SignalKind::author_block) {
    if (author == kNoIndex || author == user) return false;
    bool inserted = false;
    mutes.insert(edge_key(user, author), inserted);
    return inserted;
  }
  if (signal.kind == SignalKind::author_unmute) {
    // One mute edge stands for a mute and a block alike: the daemon sends
    // this when neither is left.
    if (author == kNoIndex) return false;
    return mutes.erase(edge_key(user, author));
  }
  if (signal.status == 0) return false;

  if (signal.kind == SignalKind::unpositive) {
    // Withdrawing a positive never creates anything; the exposure stays.
    const std::uint32_t item = status_index(signal.status);
    if (item == kNoIndex) return false;
    std::uint64_t* edge = edges.find(edge_key(user, item));
    if (edge == nullptr || (*edge & kPositiveBit) == 0) return false;
    *edge &= ~kPositiveBit;
    count_positive(user, item, -1);
    return true;
  }

  if (signal.kind == SignalKind::unflag) {
    // Withdrawing a flag never creates anything.
    const std::uint32_t item = status_index(signal.status);
    if (item == kNoIndex) return false;
    std::uint64_t* edge = edges.find(edge_key(user, item));
    if (edge == nullptr || !edge_flagged(*edge)) return false;
    *edge &= ~kFlagBit;
    --flags;
    if (!held_out(edge_key(user, item))) add_recent(user, signal.at, 0, -1);
    const EdgeChange change{edge_key(user, item), 0, -1};
    apply(change);
    if (logging_changes) changes.push_back(change);
    return true;
  }

  const std::uint32_t item = ensure_status(signal.status, author);
  if (item == kNoIndex) return false;
  std::uint64_t bit = 0;
  if (signal.kind == SignalKind::flag) bit = kFlagBit;
  if (signal.kind == SignalKind::positive) bit = kPositiveBit;
  bool inserted = false;
  std::uint64_t* edge = edges.insert(edge_key(user, item), inserted);
  const bool newly_flagged = bit == kFlagBit && !edge_flagged(*edge);
  const bool changed_bit = (*edge & bit) != bit;
  *edge |= bit;
  if (!inserted && !changed_bit) return false;
  if (newly_flagged) ++flags;
  if (held_out(edge_key(user, item))) {
    if (inserted) {
      append(held_out_pairs, edge_key(user, item));
      append(held_out_at, clamp_time(signal.at));
    }
  } else if (inserted || newly_flagged) {
    add_recent(user, signal.at, inserted ? 1.f : 0.f, newly_flagged ? 1.f : 0.f);
  }
  if (bit == kPositiveBit && changed_bit) count_positive(user, item, +1);
  const EdgeChange change{edge_key(user, item), static_cast<std::int8_t>(inserted ? 1 : 0),
                          static_cast<std::int8_t>(newly_flagged ? 1 : 0)};
  if (change.exposure != 0 || change.flag != 0) {
    apply(change);
    if (logging_changes) changes.push_back(change);
  }
  return true;
}

void SignalStore::set_account(AccountId account, const AccountFacts& facts) {
  const std::uint32_t index = ensure_account(account);
  if (index == kNoIndex) return;
  accounts.created_at[index] = clamp_time(facts.created_at);
  accounts.bits[index] = static_cast<std::uint8_t>((facts.local ? kAccountLocal : 0) |
                                                   (facts.admin_vouched ? kAccountVouched : 0));
  // Until the next refit, the weight is what the account is; behaviour
  // (lock-step, admin feedback) comes with the refit.
  accounts.trust[index] = std::clamp(
      base_trust(accounts.created_at[index], accounts.bits[index], latest_at) * trust_scale,
      kMinTrust, kMaxTrust);
}

void SignalStore::forget_status(StatusId status) {
  const std::uint32_t item = status_index(status);
  if (item == kNoIndex) return;
  // Its flags and exposures leave the author's and the global sums now;
  // viewers' own counts keep them until the purge (they are about the viewer).
  const std::uint32_t author = statuses.authors[item];
  if (author != kNoIndex) {
    accounts.author_flag_weight[author] -= statuses.flag_weight[item];
    accounts.author_exposure_weight[author] -= statuses.exposure_weight[item];
  }
  total_flag_weight -= statuses.flag_weight[item];
  total_exposure_weight -= statuses.exposure_weight[item];
  total_positives -= statuses.positives[item];
  statuses.index.erase(status, statuses.ids);
  statuses.ids[item] = 0;
  statuses.state[item] = kStatusForgotten;
  statuses.exposures[item] = 0;
  statuses.positives[item] = 0;
  statuses.flag_weight[item] = statuses.exposure_weight[item] = 0;
  statuses.positive_flag_weight[item] = statuses.positive_exposure_weight[item] = 0;
  forgotten.push_back(item);
}

void SignalStore::purge_forgotten() {
  if (forgotten.empty()) return;
  edges.retain([&](std::uint64_t edge) {
    const std::uint32_t item = edge_item(edge);
    if (!(statuses.state[item] & kStatusForgotten)) return true;
    const std::uint32_t user = edge_user(edge);
    accounts.exposures_seen[user] -= 1;
    if (edge_flagged(edge)) {
      accounts.flags_given[user] -= 1;
      --flags;
    }
    if ((edge & kPositiveBit) && accounts.positives_given[user] > 0 &&
        accounts.positives_given[user] < kMaxPositives)
      accounts.positives_given[user] -= 1;
    return false;
  });
  std::size_t kept = 0;
  for (std::size_t k = 0; k < held_out_pairs.size(); ++k) {
    if (statuses.state[edge_item(held_out_pairs[k])] & kStatusForgotten) continue;
    held_out_pairs[kept] = held_out_pairs[k];
    held_out_at[kept++] = held_out_at[k];
  }
  held_out_pairs.resize(kept);
  held_out_at.resize(kept);
  for (std::uint32_t item : forgotten) {
    statuses.state[item] = 0;
    free_statuses.push_back(item);
  }
  forgotten.clear();
}

}  // namespace kith::mod::detail
