// Brigading and minority simulations (attacks.hpp).
//
// Scenario, per seed: the random 80/20 split; items grouped into authors by
// author_of(movieId). A target author is drawn among the authors with at
// least the median number of training ratings. Sybil accounts (1, 5, 10,
// 20 % of the users) each copy all training ratings of a random real user
// (same statuses, stars and times, so their accounts are as old as the
// copied user's: the strongest camouflage) and then flag every status of
// the target, after the last rating. Models are refitted on training +
// sybil activity.
//   hidden rate   share of (honest user, target status) pairs the user has
//                 not rated in training for which the Engine's verdict is
//                 warn or hide; for the plain flag-rate baseline, for which
//                 the item's shrunk flag rate is at least the clean run's
//                 5 % hide-budget threshold
//   kith p        the change of kith's mean predicted probability on
//                 those pairs (points): whether the model moves at all
//   acted         share of the target's statuses acted on for everyone
//                 (acted_for_everyone), and in review_queue() at all
//   collateral    AUC on the test pairs of all other authors' statuses
// A second brigade uses fresh accounts: each sybil replays its copied
// activity within the day before the attack (its account is a day old).
// Minority test: users are split into two clusters by the sign of the
// leading singular vector of the user-centred rating matrix (training
// ratings); cluster A is the smaller one (the minority), the target is the
// author (among those with at least the median number of ratings, and at
// least 10 from each cluster) that A rates highest compared with B, the sybils copy users of
// cluster B, and the hidden rate is measured for cluster A's honest users.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>

#include "attacks.hpp"
#include "metrics.hpp"
#include "models.hpp"
#include "report.hpp"

namespace kith::bench {

namespace {

inline constexpr double kSybilShares[] = {0.01, 0.05, 0.10, 0.20};
inline constexpr std::int64_t kSybilIdBase = 2'000'000'000;
inline constexpr int kPowerIterations = 30;
inline constexpr double kMinRatingsFromEachCluster = 10;
inline constexpr std::int64_t kSecondsPerDay = 86400;
inline constexpr std::size_t kQueueLimit = 1'000'000;  // the whole review queue

std::size_t index_of_status(const Dataset& data, std::int64_t status) {
  const auto it = std::find(data.item_ids.begin(), data.item_ids.end(), status);
  return static_cast<std::size_t>(it - data.item_ids.begin());
}

struct World {
  Dataset data;  // the dataset with sybil accounts appended
  std::vector<Rating> train;
};

struct Outcome {
  double kith_hidden = 0, kith_probability = 0, base_hidden = 0, kith_acted = 0, kith_queued = 0;
  double kith_auc_other = 0, base_auc_other = 0;
};

// Leading singular vector of the user-centred rating matrix: one number per user.
std::vector<double> user_axis(const Dataset& data, const std::vector<Rating>& train) {
  std::vector<double> sum(data.users()), count(data.users());
  for (const Rating& r : train) {
    sum[r.user] += r.stars;
    count[r.user] += 1;
  }
  std::vector<double> u(data.users(), 0), v(data.items(), 1);
  for (std::size_t k = 0; k < v.size(); ++k) v[k] = std::sin(static_cast<double>(k) + 1);
  for (int it = 0; it < kPowerIterations; ++it) {
    std::fill(u.begin(), u.end(), 0);
    for (const Rating& r : train) u[r.user] += (r.stars - sum[r.user] / count[r.user]) * v[r.item];
    double norm = 0;
    for (double x : u) norm += x * x;
    for (double& x : u) x /= std::sqrt(norm) + 1e-12;
    std::fill(v.begin(), v.end(), 0);
    for (const Rating& r : train) v[r.item] += (r.stars - sum[r.user] / count[r.user]) * u[r.user];
    norm = 0;
    for (double x : v) norm += x * x;
    for (double& x : v) x /= std::sqrt(norm) + 1e-12;
  }
  return u;
}

World with_sybils(const Dataset& data, const std::vector<Rating>& train, std::size_t sybils,
                  const std::vector<std::uint32_t>& donors,
                  const std::vector<std::uint32_t>& target_items, std::mt19937_64& rng,
                  bool fresh) {
  World w{data, train};
  std::vector<std::vector<const Rating*>> by_user(data.users());
  for (const Rating& r : train) by_user[r.user].push_back(&r);
  std::int64_t last = 0;
  for (const Rating& r : train) last = std::max(last, r.at);
  for (std::size_t s = 0; s < sybils; ++s) {
    const std::uint32_t sybil = static_cast<std::uint32_t>(w.data.user_ids.size());
    w.data.user_ids.push_back(kSybilIdBase + static_cast<std::int64_t>(s));
    const std::uint32_t donor =
        donors[std::uniform_int_distribution<std::size_t>(0, donors.size() - 1)(rng)];
    std::vector<char> copied(data.items(), 0);
    for (const Rating* r : by_user[donor]) {
      Rating copy = *r;
      copy.user = sybil;
      // Fresh accounts replay the copied activity in the day before the attack.
      if (fresh) copy.at = last - kSecondsPerDay + (r->at % kSecondsPerDay);
      if (std::find(target_items.begin(), target_items.end(), r->item) != target_items.end()) {
        copy.stars = 1;  // a copied rating of the target becomes a flag
        copied[r->item] = 1;
      }
      w.train.push_back(copy);
    }
    for (std::uint32_t item : target_items)
      if (!copied[item])
        w.train.push_back({.user = sybil, .item = item, .stars = 1, .at = last + 3600});
  }
  std::stable_sort(w.train.begin(), w.train.end(),
                   [](const Rating& a, const Rating& b) { return a.at < b.at; });
  return w;
}

Outcome measure(const World& w, const Split& split, const std::vector<std::uint32_t>& target_items,
                const std::vector<char>& is_target, const std::vector<char>& honest_viewer,
                double base_threshold, std::uint64_t seed) {
  EngineModel kith;
  kith.train(w.data, w.train, seed);
  auto base = make_item_bayes();
  base->train(w.data, w.train, seed);
  std::vector<char> seen(w.data.users() * target_items.size(), 0);
  std::map<std::uint32_t, std::size_t> column;
  for (std::size_t k = 0; k < target_items.size(); ++k) column[target_items[k]] = k;
  for (const Rating& r : w.train)
    if (is_target[r.item]) seen[r.user * target_items.size() + column[r.item]] = 1;
  Outcome o;
  double pairs = 0;
  for (std::uint32_t u = 0; u < w.data.users(); ++u) {
    if (u >= honest_viewer.size() || !honest_viewer[u]) continue;
    for (std::size_t k = 0; k < target_items.size(); ++k) {
      if (seen[u * target_items.size() + k]) continue;
      const Rating pair{.user = u, .item = target_items[k]};
      const auto v = kith.engine().verdict(w.data.user_ids[u], w.data.item_ids[pair.item],
                                           author_account(w.data, pair.item));
      o.kith_hidden += v.action != mod::Action::none;
      o.kith_probability += v.probability;
      o.base_hidden += base->score(w.data, pair) >= base_threshold;
      pairs += 1;
    }
  }
  o.kith_hidden /= std::max(pairs, 1.0);
  o.kith_probability /= std::max(pairs, 1.0);
  o.base_hidden /= std::max(pairs, 1.0);
  for (std::uint32_t item : target_items)
    o.kith_acted += kith.engine().acted_for_everyone(w.data.item_ids[item]);
  o.kith_acted /= std::max<double>(1, static_cast<double>(target_items.size()));
  for (const mod::Evidence& e : kith.engine().review_queue(kQueueLimit))
    o.kith_queued += is_target[index_of_status(w.data, e.status)] != 0;
  o.kith_queued /= std::max<double>(1, static_cast<double>(target_items.size()));
  std::vector<double> ks, bs;
  std::vector<char> flags;
  for (const Rating& r : split.test) {
    if (is_target[r.item]) continue;
    ks.push_back(kith.score(w.data, r));
    bs.push_back(base->score(w.data, r));
    flags.push_back(r.flag());
  }
  o.kith_auc_other = rank_figures(ks, flags, seed).auc;
  o.base_auc_other = rank_figures(bs, flags, seed).auc;
  return o;
}

double clean_threshold(const Dataset& data, const Split& split, std::uint64_t seed) {
  auto base = make_item_bayes();
  base->train(data, split.train, seed);
  std::vector<double> scores;
  for (const Rating& r : split.test) scores.push_back(base->score(data, r));
  std::sort(scores.begin(), scores.end());
  return scores[static_cast<std::size_t>((1 - kHideBudget) * static_cast<double>(scores.size()))];
}

struct Rows {
  std::map<double, std::vector<double>> kith_rise, kith_p_rise, base_rise, acted, queued, kith_drop,
      base_drop;
  std::vector<double> clean_kith, clean_base, clean_acted, clean_queued;
};

void print_rows(const Rows& rows, const char* who) {
  std::printf(
      "clean hidden rate for %s: kith %.2f %% (sd %.2f), flag-rate baseline %.2f %% (sd %.2f); "
      "target statuses before the attack: acted on for everyone %.2f %%, in the review queue %.2f "
      "%%\n",
      who, 100 * mean_sd(rows.clean_kith).mean, 100 * mean_sd(rows.clean_kith).sd,
      100 * mean_sd(rows.clean_base).mean, 100 * mean_sd(rows.clean_base).sd,
      100 * mean_sd(rows.clean_acted).mean, 100 * mean_sd(rows.clean_queued).mean);
  std::printf("%8s %12s %6s %10s %14s %6s %8s %8s %14s %6s %14s %6s\n", "sybils", "kith rise", "sd",
              "kith p", "baseline rise", "sd", "acted %", "queued %", "kith dAUC", "sd",
              "baseline dAUC", "sd");
  for (double share : kSybilShares) {
    const MeanSd kr = mean_sd(rows.kith_rise.at(share)), br = mean_sd(rows.base_rise.at(share));
    const MeanSd kd = mean_sd(rows.kith_drop.at(share)), bd = mean_sd(rows.base_drop.at(share));
    std::printf(
        "%7.0f%% %+10.2fpt %6.2f %+8.2fpt %+12.2fpt %6.2f %8.2f %8.2f %+14.4f %6.4f %+14.4f "
        "%6.4f\n",
        100 * share, kr.mean, kr.sd, mean_sd(rows.kith_p_rise.at(share)).mean, br.mean, br.sd,
        100 * mean_sd(rows.acted.at(share)).mean, 100 * mean_sd(rows.queued.at(share)).mean,
        kd.mean, kd.sd, bd.mean, bd.sd);
  }
}

}  // namespace

void run_attacks(const Dataset& data, const std::vector<std::uint64_t>& seeds) {
  std::printf("\n== Brigading and silencing (issue 5, item 5)\n");
  std::printf(
      "random 80/20 split; %u authors by hash of movieId; sybils copy all training ratings of a "
      "random real user\n"
      "(same statuses, stars and times: accounts as old as the copied user's) and flag every "
      "status of one target author;\n"
      "hidden rate = warn or hide over (honest user, target status) pairs not rated in training; "
      "baseline = item flag rate\n"
      "(shrunk) at least the clean 5 %% hide-budget threshold; dAUC = AUC on other authors' test "
      "pairs, after minus before\n",
      kAuthors);
  Rows brigade, minority, fresh_brigade;
  std::vector<double> cluster_a_users, target_lean, target_share_a;
  for (std::uint64_t seed : seeds) {
    const Split split = random_split(data, seed);
    std::mt19937_64 rng(seed * 31 + 7);
    const double threshold = clean_threshold(data, split, seed);
    std::vector<double> author_ratings(kAuthors, 0);
    std::vector<std::vector<double>> author_axis_sum(kAuthors, std::vector<double>(2, 0));
    std::vector<std::vector<double>> author_stars_sum(kAuthors, std::vector<double>(2, 0));
    const std::vector<double> axis = user_axis(data, split.train);
    for (const Rating& r : split.train) {
      const std::uint32_t a = author_of(data.item_ids[r.item]);
      author_ratings[a] += 1;
      author_axis_sum[a][axis[r.user] > 0] += 1;
      author_stars_sum[a][axis[r.user] > 0] += r.stars;
    }
    std::vector<double> sorted = author_ratings;
    std::sort(sorted.begin(), sorted.end());
    const double median = sorted[sorted.size() / 2];
    std::vector<std::uint32_t> candidates;
    for (std::uint32_t a = 0; a < kAuthors; ++a)
      if (author_ratings[a] >= median) candidates.push_back(a);

    for (int test = 0; test < 3; ++test) {
      // 0: brigade of aged accounts, 1: minority, 2: brigade of fresh accounts.
      Rows& rows = test == 0 ? brigade : test == 1 ? minority : fresh_brigade;
      std::uint32_t target = 0;
      std::vector<char> honest(data.users(), 1);
      std::vector<std::uint32_t> donors;
      if (test != 1) {
        target =
            candidates[std::uniform_int_distribution<std::size_t>(0, candidates.size() - 1)(rng)];
        for (std::uint32_t u = 0; u < data.users(); ++u) donors.push_back(u);
      } else {
        // Cluster A = the smaller side of the axis (the minority); the target
        // is the author whose training ratings come most from A.
        double positive = 0;
        for (double x : axis) positive += x > 0;
        const bool a_positive = 2 * positive < static_cast<double>(axis.size());
        const int side_a = a_positive ? 1 : 0, side_b = 1 - side_a;
        double best = -1e9;
        for (std::uint32_t a : candidates) {
          if (author_axis_sum[a][side_a] < kMinRatingsFromEachCluster ||
              author_axis_sum[a][side_b] < kMinRatingsFromEachCluster)
            continue;
          const double gap = author_stars_sum[a][side_a] / author_axis_sum[a][side_a] -
                             author_stars_sum[a][side_b] / author_axis_sum[a][side_b];
          if (gap > best) {
            best = gap;
            target = a;
          }
        }
        cluster_a_users.push_back(0);
        target_lean.push_back(best);
        target_share_a.push_back(author_axis_sum[target][side_a] /
                                 (author_axis_sum[target][0] + author_axis_sum[target][1]));
        for (std::uint32_t u = 0; u < data.users(); ++u) {
          const bool in_a = (axis[u] > 0) == a_positive;
          honest[u] = in_a;
          cluster_a_users.back() += in_a;
          if (!in_a) donors.push_back(u);
        }
      }
      std::vector<char> is_target(data.items(), 0);
      std::vector<std::uint32_t> target_items;
      for (std::uint32_t i = 0; i < data.items(); ++i)
        if (author_of(data.item_ids[i]) == target) {
          is_target[i] = 1;
          target_items.push_back(i);
        }
      const World clean = with_sybils(data, split.train, 0, donors, target_items, rng, test == 2);
      const Outcome before =
          measure(clean, split, target_items, is_target, honest, threshold, seed);
      rows.clean_kith.push_back(before.kith_hidden);
      rows.clean_base.push_back(before.base_hidden);
      rows.clean_acted.push_back(before.kith_acted);
      rows.clean_queued.push_back(before.kith_queued);
      for (double share : kSybilShares) {
        const std::size_t sybils =
            static_cast<std::size_t>(std::lround(share * static_cast<double>(data.users())));
        const World attacked =
            with_sybils(data, split.train, sybils, donors, target_items, rng, test == 2);
        const Outcome after =
            measure(attacked, split, target_items, is_target, honest, threshold, seed);
        rows.kith_rise[share].push_back(100 * (after.kith_hidden - before.kith_hidden));
        rows.kith_p_rise[share].push_back(100 * (after.kith_probability - before.kith_probability));
        rows.base_rise[share].push_back(100 * (after.base_hidden - before.base_hidden));
        rows.acted[share].push_back(after.kith_acted);
        rows.queued[share].push_back(after.kith_queued);
        rows.kith_drop[share].push_back(after.kith_auc_other - before.kith_auc_other);
        rows.base_drop[share].push_back(after.base_auc_other - before.base_auc_other);
      }
    }
  }
  std::printf(
      "\nBrigade: target drawn among authors with at least the median number of ratings; all "
      "honest users\n");
  print_rows(brigade, "honest users");
  std::printf(
      "\nBrigade of fresh accounts: the same, but each sybil replays its copied activity in the "
      "day before the "
      "attack\n(so its account is one day old); another target drawn the same way\n");
  print_rows(fresh_brigade, "honest users");
  std::printf(
      "\nMinority: users in two clusters by the sign of the leading singular vector, A the "
      "smaller;\n"
      "target = the author A rates highest compared with B (>= 10 ratings from each); sybils copy "
      "cluster-B users; hidden "
      "rate for A's honest users\n");
  std::printf(
      "cluster A: %.0f of %zu users on average; the target's mean stars from A minus from B: "
      "%+.2f; "
      "share of its training ratings from A: %.2f\n",
      mean_sd(cluster_a_users).mean, data.users(), mean_sd(target_lean).mean,
      mean_sd(target_share_a).mean);
  print_rows(minority, "cluster A");

  std::printf("\nTargets (kith Engine, means over seeds):\n");
  for (const auto& [rows, label] :
       {std::pair<const Rows*, std::string>{&brigade, ""},
        std::pair<const Rows*, std::string>{&fresh_brigade, "fresh: "}}) {
    const double rise5 = mean_sd(rows->kith_rise.at(0.05)).mean;
    const double rise20 = mean_sd(rows->kith_rise.at(0.20)).mean;
    print_target(label + "hidden-rate rise at 5 % sybils", rise5, "pt", "<=", 2);
    print_target(label + "hidden-rate rise at 20 % sybils", rise20, "pt", "<=", 5);
    const double acted_clean = 100 * mean_sd(rows->clean_acted).mean;
    for (double share : kSybilShares) {
      const double rise = 100 * mean_sd(rows->acted.at(share)).mean - acted_clean;
      print_target(label + "rise of target acted on for everyone, " +
                       std::to_string(static_cast<int>(100 * share)) + " % sybils",
                   rise, "pt", "<=", 0);
    }
    for (double share : kSybilShares) {
      const double drop = mean_sd(rows->kith_drop.at(share)).mean;
      print_target(label + "collateral AUC change, " +
                       std::to_string(static_cast<int>(100 * share)) + " % sybils",
                   drop, "", ">=", -0.005);
    }
  }
  for (double share : kSybilShares) {
    const double rise = mean_sd(minority.kith_rise.at(share)).mean;
    print_target(
        "minority: cluster A rise, " + std::to_string(static_cast<int>(100 * share)) + " % sybils",
        rise, "pt", "<=", 1);
  }
  std::fflush(stdout);
}

}  // namespace kith::bench
