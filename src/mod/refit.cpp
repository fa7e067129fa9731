// The full refit (refit.hpp): snapshot, trust, factor model, blend,
// bridging, swap.
#include "refit.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>

#include "bridging.hpp"
#include "factor_model.hpp"
#include "trust.hpp"

namespace kith::mod::detail {

namespace {

// Held-out exposures (held_out(), signal_store.hpp) are left out of the
// factor fit to fit the blend on, once there are enough flags for the blend
// to learn from.
inline constexpr std::size_t kMinFlagsForBlend = 200;
inline constexpr float kTrustedViewer = 0.5f;
inline constexpr double kMinTrustScale = 0.5, kMaxTrustScale = 20;
inline constexpr std::size_t kMaxBlendSamples = 60'000;

struct Snapshot {
  std::size_t users = 0, items = 0;
  std::vector<std::uint64_t> edges;
  std::vector<std::uint32_t> created_at;
  std::vector<std::uint8_t> account_bits;
  std::vector<std::uint32_t> authors;
  std::vector<std::uint8_t> item_state;
  std::int64_t now = 0;
  // Raw positive counts, and which held-out exposures carry a positive
  // (sorted pairs), so the blend can leave each one's own positive out.
  std::vector<std::uint16_t> user_positives, item_positives;
  std::vector<std::uint64_t> held_out_positives;
  double total_positives = 0, raw_exposures = 0;
  // Each viewer's recent sums (held-out exposures were never added to
  // them), and when each held-out exposure was recorded, sorted by pair.
  std::vector<std::uint32_t> recent_at;
  std::vector<float> recent_flags, recent_exposures;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> held_out_at;
};

// Exposures grouped by user, with the trust weight of each.
struct ByUser {
  Csr csr;                    // weight: 0 for held-out exposures (the factor fit's view)
  std::vector<float> weight;  // every exposure's trust weight
};

ByUser group_by_user(const Snapshot& snap) {
  ByUser g;
  g.csr.start.assign(snap.users + 1, 0);
  for (std::uint64_t e : snap.edges) ++g.csr.start[edge_user(e) + 1];
  for (std::size_t u = 0; u < snap.users; ++u) g.csr.start[u + 1] += g.csr.start[u];
  std::vector<std::uint32_t> fill(g.csr.start.begin(), g.csr.start.end() - 1);
  g.csr.other.resize(snap.edges.size());
  for (std::uint64_t e : snap.edges)
    g.csr.other[fill[edge_user(e)]++] = edge_item(e) | (edge_flagged(e) ? Csr::kFlag : 0);
  return g;
}

Csr group_by_item(const Csr& by_user, std::size_t items) {
  Csr c;
  c.start.assign(items + 1, 0);
  for (std::uint32_t packed : by_user.other) ++c.start[(packed & ~Csr::kFlag) + 1];
  for (std::size_t i = 0; i < items; ++i) c.start[i + 1] += c.start[i];
  std::vector<std::uint32_t> fill(c.start.begin(), c.start.end() - 1);
  c.other.resize(by_user.other.size());
  c.weight.resize(by_user.other.size());
  for (std::uint32_t u = 0; u < by_user.rows(); ++u)
    for (std::uint32_t e = by_user.start[u]; e < by_user.start[u + 1]; ++e) {
      const std::uint32_t packed = by_user.other[e];
      const std::uint32_t pos = fill[packed & ~Csr::kFlag]++;
      c.other[pos] = u | (packed & Csr::kFlag);
      c.weight[pos] = by_user.weight[e];
    }
  return c;
}

// Trust inputs: flags grouped by user, account facts, admin feedback.
TrustInputs trust_inputs(const Snapshot& snap, const Csr& by_user) {
  TrustInputs in;
  in.user_start.assign(snap.users + 1, 0);
  in.feedback.resize(snap.users);
  for (std::uint32_t u = 0; u < snap.users; ++u) {
    for (std::uint32_t e = by_user.start[u]; e < by_user.start[u + 1]; ++e) {
      const std::uint32_t packed = by_user.other[e];
      if (!(packed & Csr::kFlag)) continue;
      const std::uint32_t item = packed & ~Csr::kFlag;
      in.flagged_items.push_back(item);
      const std::uint8_t state = snap.item_state[item];
      if (state & kStatusDecided) {
        if (state & kStatusConfirmed) {
          ++in.feedback[u].confirmed;
        } else {
          ++in.feedback[u].overturned;
        }
      }
    }
    in.user_start[u + 1] = static_cast<std::uint32_t>(in.flagged_items.size());
  }
  // Flags on authors the account flagged several statuses of.
  in.concentrated_start.assign(snap.users + 1, 0);
  std::vector<std::pair<std::uint32_t, std::uint32_t>> by_author;  // (author, item)
  for (std::uint32_t u = 0; u < snap.users; ++u) {
    by_author.clear();
    for (std::uint32_t e = in.user_start[u]; e < in.user_start[u + 1]; ++e) {
      const std::uint32_t item = in.flagged_items[e];
      if (snap.authors[item] != kNoIndex) by_author.emplace_back(snap.authors[item], item);
    }
    std::sort(by_author.begin(), by_author.end());
    for (std::size_t first = 0; first < by_author.size();) {
      std::size_t last = first;
      while (last < by_author.size() && by_author[last].first == by_author[first].first) ++last;
      if (last - first >= kConcentratedFlags)
        for (std::size_t k = first; k < last; ++k)
          in.concentrated_items.push_back(by_author[k].second);
      first = last;
    }
    in.concentrated_start[u + 1] = static_cast<std::uint32_t>(in.concentrated_items.size());
  }
  in.created_at = snap.created_at;
  in.bits = snap.account_bits;
  in.now = snap.now;
  return in;
}

// Trust is relative: scales the weights so that the average exposure's
// viewer weighs 1 (an instance whose accounts are all new is not an
// instance of distrusted accounts, and the rates' pseudo-counts keep their
// meaning). Returns the scale, which new accounts get too.
float normalise_trust(const Csr& by_user, std::vector<float>& trust) {
  double sum = 0, count = 0;
  for (std::size_t u = 0; u < by_user.rows(); ++u) {
    const double n = by_user.start[u + 1] - by_user.start[u];
    sum += n * trust[u];
    count += n;
  }
  if (count == 0 || sum <= 0) return 1.f;
  const auto scale = static_cast<float>(std::clamp(count / sum, kMinTrustScale, kMaxTrustScale));
  for (float& t : trust) t = std::clamp(t * scale, kMinTrust, kMaxTrust);
  return scale;
}

// Every exposure's weight: the account's trust, times its share on the
// author when it flagged many of that author's statuses.
void weigh_exposures(const Snapshot& snap, const std::vector<float>& trust, ByUser& g) {
  g.weight.resize(g.csr.other.size());
  g.csr.weight.resize(g.csr.other.size());
  std::vector<std::uint32_t> flagged_authors;
  for (std::uint32_t u = 0; u < snap.users; ++u) {
    const std::uint32_t begin = g.csr.start[u], end = g.csr.start[u + 1];
    flagged_authors.clear();
    for (std::uint32_t e = begin; e < end; ++e) {
      const std::uint32_t packed = g.csr.other[e];
      const std::uint32_t author = snap.authors[packed & ~Csr::kFlag];
      if ((packed & Csr::kFlag) && author != kNoIndex) flagged_authors.push_back(author);
    }
    std::sort(flagged_authors.begin(), flagged_authors.end());
    for (std::uint32_t e = begin; e < end; ++e) {
      const std::uint32_t packed = g.csr.other[e];
      const std::uint32_t item = packed & ~Csr::kFlag;
      float w = trust[u];
      const std::uint32_t author = snap.authors[item];
      if (flagged_authors.size() > kFlagsPerAuthorCounted && author != kNoIndex) {
        const auto range = std::equal_range(flagged_authors.begin(), flagged_authors.end(), author);
        w *= author_share(static_cast<std::uint32_t>(range.second - range.first));
      }
      g.weight[e] = w;
      g.csr.weight[e] = held_out(edge_key(u, item)) ? 0.f : w;
    }
  }
}

// The trust-weighted sums that rates read, recomputed with the new weights
// and sides.
struct Sums {
  std::vector<float> author_flag, author_exposure;
  std::vector<float> item_flag, item_exposure;
  std::vector<std::uint32_t> item_raw_exposures;
  std::array<std::vector<float>, 2> side_flag, side_exposure;
  std::vector<std::uint32_t> user_flags, user_exposures;  // raw
  double total_flag = 0, total_exposure = 0;
};

Sums weighted_sums(const Snapshot& snap, const ByUser& g, const std::vector<float>& user_factor) {
  Sums s;
  s.author_flag.assign(snap.users, 0);
  s.author_exposure.assign(snap.users, 0);
  s.user_flags.assign(snap.users, 0);
  s.user_exposures.assign(snap.users, 0);
  s.item_flag.assign(snap.items, 0);
  s.item_exposure.assign(snap.items, 0);
  s.item_raw_exposures.assign(snap.items, 0);
  for (int k = 0; k < 2; ++k) {
    s.side_flag[k].assign(snap.items, 0);
    s.side_exposure[k].assign(snap.items, 0);
  }
  for (std::uint32_t u = 0; u < snap.users; ++u) {
    const std::array<float, 2> shares = side_shares(user_factor[u]);
    for (std::uint32_t e = g.csr.start[u]; e < g.csr.start[u + 1]; ++e) {
      const std::uint32_t packed = g.csr.other[e];
      const std::uint32_t item = packed & ~Csr::kFlag;
      const float w = g.weight[e];
      const float f = (packed & Csr::kFlag) ? w : 0.f;
      ++s.user_exposures[u];
      if (packed & Csr::kFlag) ++s.user_flags[u];
      s.item_flag[item] += f;
      s.item_exposure[item] += w;
      ++s.item_raw_exposures[item];
      for (int k = 0; k < 2; ++k) {
        s.side_flag[k][item] += f * shares[k];
        s.side_exposure[k][item] += w * shares[k];
      }
      const std::uint32_t author = snap.authors[item];
      if (author != kNoIndex) {
        s.author_flag[author] += f;
        s.author_exposure[author] += w;
      }
      s.total_flag += f;
      s.total_exposure += w;
    }
  }
  return s;
}

// Fits the blend on the held-out exposures, each with its own exposure
// left out of the rates (as a pair the engine has never seen) and its
// viewer's recent rate weighed by how close in time it is to the viewer's
// newest activity, as a new exposure is: the recent rate's weight is
// learnt from the held-out exposures that resemble what verdicts are asked
// for (the next exposures), not from old ones, where a viewer's drift
// since then points the other way.
void fit_blend_on_holdout(const Snapshot& snap, const ByUser& g, const Sums& s,
                          const FactorParams& p, const FactorParams& viewer, Blend& blend) {
  const auto positive_of = [&](std::uint64_t pair) {
    return std::binary_search(snap.held_out_positives.begin(), snap.held_out_positives.end(), pair);
  };
  std::vector<Features> x, x_baseline;
  std::vector<float> y, w;
  for (std::uint32_t u = 0; u < snap.users && x.size() < kMaxBlendSamples; ++u) {
    const std::array<float, 2> shares = side_shares(p.user_factor[u]);
    for (std::uint32_t e = g.csr.start[u]; e < g.csr.start[u + 1]; ++e) {
      const std::uint32_t packed = g.csr.other[e];
      const std::uint32_t item = packed & ~Csr::kFlag;
      if (!held_out(edge_key(u, item))) continue;
      const double weight = g.weight[e];
      const double flag = (packed & Csr::kFlag) ? 1.0 : 0.0;
      RateCounts c;
      c.total_flags = s.total_flag - weight * flag;
      c.total_exposures = s.total_exposure - weight;
      c.has_user = true;
      c.user_flags = s.user_flags[u] - flag;
      c.user_exposures = s.user_exposures[u] - 1.0;
      c.user_recent_flags = snap.recent_flags[u];
      c.user_recent_exposures = snap.recent_exposures[u];
      const auto when =
          std::lower_bound(snap.held_out_at.begin(), snap.held_out_at.end(),
                           std::pair<std::uint64_t, std::uint32_t>{edge_key(u, item), 0});
      if (when != snap.held_out_at.end() && when->first == edge_key(u, item))
        c.recent_closeness = recent_closeness(when->second, snap.recent_at[u]);
      const std::uint32_t author = snap.authors[item];
      if (author != kNoIndex) {
        c.has_author = true;
        c.author_flags = s.author_flag[author] - weight * flag;
        c.author_exposures = s.author_exposure[author] - weight;
      }
      c.has_item = true;
      c.item_flags = s.item_flag[item] - weight * flag;
      c.item_exposures = s.item_exposure[item] - weight;
      c.item_raw_exposures = s.item_raw_exposures[item] - 1.0;
      for (int k = 0; k < 2; ++k) {
        c.side_flags += shares[k] * s.side_flag[k][item];
        c.side_exposures += shares[k] * s.side_exposure[k][item];
      }
      c.side_flags -= weight * flag;
      c.side_exposures -= weight;
      const double positive = positive_of(edge_key(u, item)) ? 1.0 : 0.0;
      c.total_positives = snap.total_positives - positive;
      c.total_raw_exposures = snap.raw_exposures - 1.0;
      c.user_positives = std::max(0.0, snap.user_positives[u] - positive);
      c.item_positives = std::max(0.0, snap.item_positives[item] - positive);
      FactorTerms t{p.user_bias[u], p.user_factor[u], p.item_bias[item], p.item_factor[item], 0};
      const double viewer_alone = viewer.mu + viewer.user_bias[u];
      t.viewer_model = viewer_alone + viewer.item_bias[item] +
                       viewer.user_factor[u] * viewer.item_factor[item] +
                       viewer.user_factor2[u] * viewer.item_factor2[item];
      const Rates rates = rates_from(c);
      x.push_back(features_of(rates, t));
      x_baseline.push_back(features_of(ordinary_status(rates), viewer_terms(t, viewer_alone)));
      y.push_back(static_cast<float>(flag));
      w.push_back(static_cast<float>(std::max(weight, 1e-3)));
    }
  }
  std::size_t flags = 0;
  for (float v : y) flags += v > 0.5f;
  if (flags < kMinFlagsForBlend / kHoldoutOneIn) return;
  blend.weights = fit_blend(x, y, w);
  // Thresholds come from what trusted viewers are shown: distrusted
  // accounts' exposures must not move everyone's threshold.
  std::vector<float> probabilities, relative;
  probabilities.reserve(x.size());
  relative.reserve(x.size());
  double trusted_flags = 0;
  for (std::size_t n = 0; n < x.size(); ++n)
    if (w[n] >= kTrustedViewer) {
      trusted_flags += y[n];
      probabilities.push_back(static_cast<float>(blend.probability(x[n])));
      relative.push_back(static_cast<float>(blend.logit_of(x[n]) - blend.logit_of(x_baseline[n])));
    }
  if (probabilities.empty()) return;
  blend.flag_share = trusted_flags / static_cast<double>(probabilities.size());
  blend.quantiles = probability_quantiles(std::move(probabilities));
  blend.relative_quantiles = probability_quantiles(std::move(relative));
  blend.fitted = true;
}

}  // namespace

static std::vector<Evidence> refit_once(std::shared_mutex& mutex, SignalStore& store, Blend& blend,
                                        std::unordered_map<std::uint32_t, Evidence>& evidence,
                                        std::int64_t& last_refit_at, double& last_refit_seconds) {
  const auto started = std::chrono::steady_clock::now();

  // 1. Copy what the fit needs. Writers are excluded while the shared lock
  //    is held, so switching on the change log here is race-free.
  Snapshot snap;
  {
    std::shared_lock lock(mutex);
    snap.users = store.accounts.size();
    snap.items = store.statuses.size();
    snap.edges.reserve(store.edges.size());
    store.edges.for_each([&](std::uint64_t e) {
      if (store.statuses.state[edge_item(e)] & kStatusForgotten) return;
      snap.edges.push_back(e);
      if ((e & kPositiveBit) && held_out(e)) snap.held_out_positives.push_back(e & kPairMask);
    });
    snap.user_positives = store.accounts.positives_given;
    snap.item_positives = store.statuses.positives;
    snap.total_positives = store.total_positives;
    snap.raw_exposures = static_cast<double>(snap.edges.size());
    snap.created_at = store.accounts.created_at;
    snap.account_bits = store.accounts.bits;
    snap.authors = store.statuses.authors;
    snap.item_state = store.statuses.state;
    snap.now = store.latest_at;
    snap.recent_at = store.accounts.recent_at;
    snap.recent_exposures.resize(snap.users);
    snap.recent_flags.resize(snap.users);
    for (std::uint32_t u = 0; u < snap.users; ++u) {
      const Accounts::RecentSums recent = store.accounts.recent_sums(u);
      snap.recent_exposures[u] = static_cast<float>(recent.exposures);
      snap.recent_flags[u] = static_cast<float>(recent.flags);
    }
    snap.held_out_at.reserve(store.held_out_pairs.size());
    for (std::size_t k = 0; k < store.held_out_pairs.size(); ++k)
      snap.held_out_at.emplace_back(store.held_out_pairs[k], store.held_out_at[k]);
    store.logging_changes = true;
    store.changes.clear();
  }

  // 2. Trust, weights, factor model, sums, blend, evidence: no lock held.
  std::sort(snap.held_out_positives.begin(), snap.held_out_positives.end());
  std::sort(snap.held_out_at.begin(), snap.held_out_at.end());
  ByUser by_user = group_by_user(snap);
  snap.edges.clear();
  snap.edges.shrink_to_fit();
  TrustResult trust = compute_trust(trust_inputs(snap, by_user.csr));
  const float trust_scale = normalise_trust(by_user.csr, trust.trust);
  weigh_exposures(snap, trust.trust, by_user);
  std::size_t flags = 0;
  for (std::uint32_t packed : by_user.csr.other) flags += (packed & Csr::kFlag) != 0;
  if (flags < kMinFlagsForBlend) {
    // Too little to hold anything out: fit on everything.
    by_user.csr.weight = by_user.weight;
  }
  const Csr by_item = group_by_item(by_user.csr, snap.items);
  FactorOptions options;
  const FactorParams params = fit_factor_model(by_user.csr, by_item, options);
  const FactorParams viewer = fit_logistic_model(by_user.csr, by_item, LogisticOptions{});
  const Sums sums = weighted_sums(snap, by_user, params.user_factor);
  Blend new_blend;
  if (flags >= kMinFlagsForBlend)
    fit_blend_on_holdout(snap, by_user, sums, params, viewer, new_blend);

  std::vector<std::pair<std::uint32_t, Evidence>> candidates;
  for (std::uint32_t item = 0; item < snap.items; ++item) {
    const bool known = evidence.count(item) != 0 || (snap.item_state[item] & kStatusDecided);
    if (!known && (params.mu + params.item_bias[item] < kBridgeNeutralFlagRate ||
                   by_item.start[item + 1] - by_item.start[item] < 2 * kMinFlaggersPerSide))
      continue;
    Evidence e = evidence_of(item, by_item, trust.trust, params.user_factor, params.mu,
                             params.item_bias[item]);
    if (e.bridged || known) candidates.emplace_back(item, e);
  }

  // 3. Swap in, replay what arrived meanwhile, settle instance-wide states.
  std::vector<Evidence> changed;
  std::unique_lock lock(mutex);
  Accounts& a = store.accounts;
  Statuses& st = store.statuses;
  for (std::size_t u = 0; u < a.size(); ++u) {
    const bool old = u < snap.users;
    if (old) a.trust[u] = trust.trust[u];
    a.bias[u] = old ? params.user_bias[u] : 0.f;
    a.factor[u] = old ? params.user_factor[u] : 0.f;
    a.viewer_bias[u] = old ? viewer.user_bias[u] : 0.f;
    a.viewer_factor[u] = old ? viewer.user_factor[u] : 0.f;
    a.viewer_factor2[u] = old ? viewer.user_factor2[u] : 0.f;
    a.author_flag_weight[u] = old ? sums.author_flag[u] : 0.f;
    a.author_exposure_weight[u] = old ? sums.author_exposure[u] : 0.f;
  }
  store.trust_scale = trust_scale;
  store.viewer_mu = viewer.mu;
  store.total_flag_weight = sums.total_flag;
  store.total_exposure_weight = sums.total_exposure;
  for (std::size_t i = 0; i < st.size(); ++i) {
    const bool old = i < snap.items;
    const bool gone = (st.state[i] & kStatusForgotten) != 0;
    if (old && gone) {
      // Forgotten while the refit ran: take its new sums out again.
      const std::uint32_t author = snap.authors[i];
      if (author != kNoIndex) {
        a.author_flag_weight[author] -= sums.item_flag[i];
        a.author_exposure_weight[author] -= sums.item_exposure[i];
      }
      store.total_flag_weight -= sums.item_flag[i];
      store.total_exposure_weight -= sums.item_exposure[i];
    }
    const bool keep = old && !gone;
    st.bias[i] = keep ? params.item_bias[i] : 0.f;
    st.factor[i] = keep ? params.item_factor[i] : 0.f;
    st.viewer_bias[i] = keep ? viewer.item_bias[i] : 0.f;
    st.viewer_factor[i] = keep ? viewer.item_factor[i] : 0.f;
    st.viewer_factor2[i] = keep ? viewer.item_factor2[i] : 0.f;
    st.flag_weight[i] = keep ? sums.item_flag[i] : 0.f;
    st.exposure_weight[i] = keep ? sums.item_exposure[i] : 0.f;
    st.positive_flag_weight[i] = keep ? sums.side_flag[1][i] : 0.f;
    st.positive_exposure_weight[i] = keep ? sums.side_exposure[1][i] : 0.f;
  }
  for (const EdgeChange& change : store.changes) store.apply(change, true);
  store.logging_changes = false;
  std::vector<EdgeChange>().swap(store.changes);
  if (new_blend.fitted) blend = std::move(new_blend);

  // Instance-wide states: an admin's decision wins; otherwise the bridging
  // condition decides.
  std::unordered_map<std::uint32_t, Evidence> next;
  for (auto& [item, e] : candidates) {
    if (st.state[item] & kStatusForgotten) continue;
    const std::uint8_t state = st.state[item];
    const bool decided = (state & kStatusDecided) != 0;
    e.status = st.ids[item];
    const std::uint32_t author = st.authors[item];
    e.author = author == kNoIndex ? 0 : a.ids[author];
    if (decided) e.admin_confirmed = (state & kStatusConfirmed) != 0;
    e.acted = decided ? (state & kStatusConfirmed) != 0 : e.bridged;
    if (e.acted != ((state & kStatusActed) != 0)) changed.push_back(e);
    st.state[item] =
        static_cast<std::uint8_t>(e.acted ? state | kStatusActed : state & ~kStatusActed);
    next.emplace(item, e);
  }
  for (const auto& [item, e] : evidence) {
    if (next.count(item) || (st.state[item] & kStatusForgotten)) continue;
    // Neither bridged nor decided any more (or created meanwhile): keep
    // what an admin decided or what was evidence since the snapshot.
    if (item >= snap.items || (st.state[item] & kStatusDecided)) {
      next.emplace(item, e);
      continue;
    }
    if (st.state[item] & kStatusActed) {
      Evidence lifted = e;
      lifted.acted = false;
      lifted.bridged = false;
      changed.push_back(lifted);
      st.state[item] &= static_cast<std::uint8_t>(~kStatusActed);
    }
  }
  evidence = std::move(next);
  store.purge_forgotten();
  last_refit_at = store.latest_at;
  last_refit_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return changed;
}

std::vector<Evidence> run_refit(std::shared_mutex& mutex, SignalStore& store, Blend& blend,
                                std::unordered_map<std::uint32_t, Evidence>& evidence,
                                std::int64_t& last_refit_at, double& last_refit_seconds) {
  try {
    return refit_once(mutex, store, blend, evidence, last_refit_at, last_refit_seconds);
  } catch (...) {
    // A failed refit (out of memory) keeps the previous model; the change
    // log it opened must not keep growing.
    std::unique_lock lock(mutex);
    store.logging_changes = false;
    std::vector<EdgeChange>().swap(store.changes);
    throw;
  }
}

}  // namespace kith::mod::detail
