// The accuracy table (accuracy.hpp): for each split and seed, train every
// model on the training part, score the test pairs, and print mean and
// standard deviation over the seeds, then kith's figures against targets.
#include "accuracy.hpp"

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <string>

#include "metrics.hpp"
#include "models.hpp"
#include "report.hpp"

namespace kith::bench {

namespace {

struct Series {
  std::vector<double> auc, precision, recall, seconds;
};

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

void run_accuracy(const Dataset& data, const std::vector<std::uint64_t>& seeds) {
  const std::vector<std::pair<std::string, std::function<Split(const Dataset&, std::uint64_t)>>>
      splits = {
          {"random 80/20", random_split},
          {"temporal per user", temporal_split},
          {"cold users (<=5)", cold_user_split},
          {"cold items (<=3)", cold_item_split},
      };
  std::printf("\n== Accuracy: will u flag i, given u is shown i? (issue 5, item 4)\n");
  std::printf(
      "flag = rating <= 2; every rating an exposure; hide budget = top %.0f %% of test pairs by "
      "score\n"
      "\"kith +positives\" is also fed a positive signal (like a favourite) for every training "
      "rating >= %.0f; the baselines and\n"
      "\"kith Engine\" see flags and exposures only, as issue 5 defines the task\n",
      kHideBudget * 100, kPositiveAtOrAbove);
  std::printf(
      "cold users: a random 20 %% of users keep at most %zu random training ratings, only their "
      "test pairs count;\n"
      "cold items: the same for a random 20 %% of items, at most %zu; the temporal split differs "
      "between seeds only\n"
      "in the order of equal times (and in the models' own randomness)\n"
      "\"warm reference\" is not a model: user+item Bayes counted on every rating but the one "
      "it scores, test pairs\n"
      "included, so nothing is cold (on the cold splits: what knowing all the other ratings "
      "would give)\n",
      kColdUserEvents, kColdItemEvents);
  std::printf("%-18s %-16s %8s %6s %7s %6s %7s %6s %6s %9s %11s\n", "split", "model", "AUC", "sd",
              "prec@5%", "sd", "rec@5%", "sd", "flags%", "test", "fit+score s");
  std::map<std::string, std::map<std::string, Series>> figures;
  for (const auto& [split_name, make_split] : splits) {
    std::vector<double> flag_share, test_size;
    for (std::uint64_t seed : seeds) {
      const Split split = make_split(data, seed);
      std::vector<char> flags;
      for (const Rating& r : split.test) flags.push_back(r.flag());
      double flagged = 0;
      for (char f : flags) flagged += f;
      flag_share.push_back(flags.empty() ? 0 : flagged / static_cast<double>(flags.size()));
      test_size.push_back(static_cast<double>(flags.size()));
      for (auto& model : all_models()) {
        const double start = now_seconds();
        model->train(data, split.train, seed);
        std::vector<double> scores;
        scores.reserve(split.test.size());
        for (const Rating& r : split.test) scores.push_back(model->score(data, r));
        const double seconds = now_seconds() - start;
        const RankFigures f = rank_figures(scores, flags, seed);
        Series& s = figures[split_name][model->name()];
        s.auc.push_back(f.auc);
        s.precision.push_back(f.precision);
        s.recall.push_back(f.recall);
        s.seconds.push_back(seconds);
      }
    }
    for (const auto& model : all_models()) {
      const Series& s = figures[split_name][model->name()];
      const MeanSd auc = mean_sd(s.auc), precision = mean_sd(s.precision),
                   recall = mean_sd(s.recall);
      std::printf("%-18s %-16s %8.4f %6.4f %7.4f %6.4f %7.4f %6.4f %6.2f %9.0f %11.2f\n",
                  split_name.c_str(), model->name().c_str(), auc.mean, auc.sd, precision.mean,
                  precision.sd, recall.mean, recall.sd, 100 * mean_sd(flag_share).mean,
                  mean_sd(test_size).mean, mean_sd(s.seconds).mean);
    }
    std::fflush(stdout);
  }

  auto mean_of = [&](const std::string& split, const std::string& model, auto member) {
    return mean_sd(figures[split][model].*member).mean;
  };
  const std::string bayes = "user+item Bayes";
  // The targets hold for the task as issue 5 defines it (flags and
  // exposures: "kith Engine"); the variant also fed positives gets more
  // input than the baselines, so its lines are labelled.
  for (const std::string kith : {"kith Engine", "kith +positives"}) {
    const std::string label = kith == "kith Engine" ? "" : "+positives: ";
    std::printf("\nTargets (%s%s, means over %zu seed%s):\n", kith.c_str(),
                kith == "kith Engine"
                    ? ", flags and exposures only as issue 5 defines the task"
                    : ", also fed ratings >= 4 as positives: more input than the baselines",
                seeds.size(), seeds.size() == 1 ? "" : "s");
    const double auc_random = mean_of("random 80/20", kith, &Series::auc);
    const double auc_temporal = mean_of("temporal per user", kith, &Series::auc);
    print_target(label + "AUC, random split", auc_random, "", ">=", 0.80);
    print_target(label + "AUC, temporal split", auc_temporal, "", ">=", 0.78);
    for (const auto& [split_name, make_split] : splits) {
      const double p = mean_of(split_name, kith, &Series::precision);
      print_target(label + "precision at 5 %, " + split_name, p, "", ">=", 0.55);
    }
    for (const auto& [split_name, make_split] : splits) {
      const double a = mean_of(split_name, kith, &Series::auc),
                   b = mean_of(split_name, bayes, &Series::auc);
      print_target(label + "AUC vs user+item Bayes, " + split_name, a, "", ">=", b);
      const double pa = mean_of(split_name, kith, &Series::precision);
      const double pb = mean_of(split_name, bayes, &Series::precision);
      print_target(label + "precision vs user+item Bayes, " + split_name, pa, "", ">=", pb);
    }
  }
  std::fflush(stdout);
}

}  // namespace kith::bench
