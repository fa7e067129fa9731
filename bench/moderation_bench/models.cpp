// The baselines and the Engine adapter (models.hpp).
#include "models.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace kith::bench {

namespace {

inline constexpr double kItemPrior = 10;  // pseudo-ratings at the global rate
inline constexpr double kUserPrior = 10;
inline constexpr int kLogisticEpochs = 20;
inline constexpr double kLogisticRate = 0.05, kLogisticL2 = 0.002;

double logit(double p) {
  return std::log(p / (1 - p));
}

struct Counts {
  std::vector<double> user_flags, user_seen, item_flags, item_seen;
  double global = 0;
  Counts(const Dataset& data, const std::vector<Rating>& train)
      : user_flags(data.users()),
        user_seen(data.users()),
        item_flags(data.items()),
        item_seen(data.items()) {
    double flags = 0;
    for (const Rating& r : train) {
      user_seen[r.user] += 1;
      item_seen[r.item] += 1;
      if (r.flag()) {
        user_flags[r.user] += 1;
        item_flags[r.item] += 1;
        flags += 1;
      }
    }
    global =
        train.empty() ? 0.1 : std::clamp(flags / static_cast<double>(train.size()), 1e-4, 1 - 1e-4);
  }
  double item_rate(std::uint32_t i) const {
    return (item_flags[i] + kItemPrior * global) / (item_seen[i] + kItemPrior);
  }
  double user_rate(std::uint32_t u) const {
    return (user_flags[u] + kUserPrior * global) / (user_seen[u] + kUserPrior);
  }
};

class Popularity : public Model {
 public:
  std::string name() const override { return "popularity"; }
  void train(const Dataset& data, const std::vector<Rating>& train, std::uint64_t) override {
    counts_ = std::make_unique<Counts>(data, train);
  }
  double score(const Dataset&, const Rating& p) const override {
    return counts_->item_flags[p.item];
  }

 private:
  std::unique_ptr<Counts> counts_;
};

class ItemBayes : public Model {
 public:
  std::string name() const override { return "item Bayes"; }
  void train(const Dataset& data, const std::vector<Rating>& train, std::uint64_t) override {
    counts_ = std::make_unique<Counts>(data, train);
  }
  double score(const Dataset&, const Rating& p) const override {
    return counts_->item_rate(p.item);
  }

 private:
  std::unique_ptr<Counts> counts_;
};

class UserItemBayes : public Model {
 public:
  std::string name() const override { return "user+item Bayes"; }
  void train(const Dataset& data, const std::vector<Rating>& train, std::uint64_t) override {
    counts_ = std::make_unique<Counts>(data, train);
  }
  double score(const Dataset&, const Rating& p) const override {
    return logit(counts_->user_rate(p.user)) + logit(counts_->item_rate(p.item)) -
           logit(counts_->global);
  }

 private:
  std::unique_ptr<Counts> counts_;
};

class LogisticBiases : public Model {
 public:
  std::string name() const override { return "logistic biases"; }
  void train(const Dataset& data, const std::vector<Rating>& train, std::uint64_t seed) override {
    const Counts counts(data, train);
    global_ = logit(counts.global);
    user_.assign(data.users(), 0);
    item_.assign(data.items(), 0);
    std::vector<std::size_t> order(train.size());
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 rng(seed + 101);
    for (int epoch = 0; epoch < kLogisticEpochs; ++epoch) {
      std::shuffle(order.begin(), order.end(), rng);
      const double rate = kLogisticRate / (1 + 0.2 * epoch);
      for (std::size_t n : order) {
        const Rating& r = train[n];
        const double p = 1 / (1 + std::exp(-(global_ + user_[r.user] + item_[r.item])));
        const double g = (r.flag() ? 1.0 : 0.0) - p;
        global_ += rate * 0.1 * g;
        user_[r.user] += rate * (g - kLogisticL2 * user_[r.user]);
        item_[r.item] += rate * (g - kLogisticL2 * item_[r.item]);
      }
    }
  }
  double score(const Dataset&, const Rating& p) const override {
    return global_ + user_[p.user] + item_[p.item];
  }

 private:
  double global_ = 0;
  std::vector<double> user_, item_;
};

// Not a model: user+item Bayes counted on every rating of the data but the
// one it scores (test pairs included), so nothing is cold. On the cold
// splits it shows what the targets would ask of a model that knew every
// other rating.
class WarmReference : public Model {
 public:
  std::string name() const override { return "warm reference"; }
  void train(const Dataset& data, const std::vector<Rating>&, std::uint64_t) override {
    counts_ = std::make_unique<Counts>(data, data.ratings);
  }
  double score(const Dataset&, const Rating& p) const override {
    const double flag = p.flag() ? 1 : 0, g = counts_->global;
    const double user = (counts_->user_flags[p.user] - flag + kUserPrior * g) /
                        (counts_->user_seen[p.user] - 1 + kUserPrior);
    const double item = (counts_->item_flags[p.item] - flag + kItemPrior * g) /
                        (counts_->item_seen[p.item] - 1 + kItemPrior);
    return logit(user) + logit(item) - logit(g);
  }

 private:
  std::unique_ptr<Counts> counts_;
};

}  // namespace

std::int64_t author_account(const Dataset& data, std::uint32_t item) {
  return kAuthorAccountBase + author_of(data.item_ids[item]);
}

void feed_engine(mod::Engine& engine, const Dataset& data, const std::vector<Rating>& train,
                 bool positives) {
  std::vector<std::int64_t> first(data.users(), 0);
  for (const Rating& r : train)
    if (first[r.user] == 0 || r.at < first[r.user]) first[r.user] = r.at;
  for (std::uint32_t u = 0; u < data.users(); ++u)
    if (first[u] != 0)
      engine.set_account(data.user_ids[u], {.created_at = first[u], .local = true});
  for (const Rating& r : train) {
    mod::Signal s;
    s.rater = data.user_ids[r.user];
    s.status = data.item_ids[r.item];
    s.author = author_account(data, r.item);
    s.at = r.at;
    s.kind = mod::SignalKind::exposure;
    engine.record(s);
    if (r.flag()) {
      s.kind = mod::SignalKind::flag;
      engine.record(s);
    }
    if (positives && r.stars >= kPositiveAtOrAbove) {
      s.kind = mod::SignalKind::positive;
      engine.record(s);
    }
  }
  engine.refit();
}

void EngineModel::train(const Dataset& data, const std::vector<Rating>& train, std::uint64_t) {
  engine_ = std::make_unique<mod::Engine>();
  feed_engine(*engine_, data, train, positives_);
}

double EngineModel::score(const Dataset& data, const Rating& p) const {
  return engine_
      ->verdict(data.user_ids[p.user], data.item_ids[p.item], author_account(data, p.item), p.at)
      .probability;
}

std::unique_ptr<Model> make_item_bayes() {
  return std::make_unique<ItemBayes>();
}

std::vector<std::unique_ptr<Model>> all_models() {
  std::vector<std::unique_ptr<Model>> models;
  models.push_back(std::make_unique<Popularity>());
  models.push_back(std::make_unique<ItemBayes>());
  models.push_back(std::make_unique<UserItemBayes>());
  models.push_back(std::make_unique<LogisticBiases>());
  models.push_back(std::make_unique<EngineModel>(false));
  models.push_back(std::make_unique<EngineModel>(true));
  models.push_back(std::make_unique<WarmReference>());
  return models;
}

}  // namespace kith::bench
