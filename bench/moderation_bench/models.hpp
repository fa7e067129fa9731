// The models compared on the moderation task (bench/moderation): kith's
// Engine and four baselines, behind one small interface.
//
// The one idea: every model is trained on the same training ratings and
// scores the same test pairs; a higher score means "more likely flagged".
// The baselines are the simple things an operator could build instead:
//   popularity       the item's raw flag count
//   item Bayes       the item's flag rate shrunk towards the global rate
//   user+item Bayes  shrunk user and item rates added on the logit scale
//   logistic biases  logistic regression on user and item bias terms (SGD)
// The Engine is fed exactly what the daemon would feed it: an exposure for
// every rating, a flag for every rating <= 2, each account's facts. Last
// comes a reference that is not a model: user+item Bayes counted on every
// rating but the scored one, test pairs included (what full knowledge of
// the others gives; never a target).
//
// What it must never do: tune a baseline or the Engine on the test pairs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data.hpp"
#include "kith/mod/engine.hpp"

namespace kith::bench {

class Model {
 public:
  virtual ~Model() = default;
  virtual std::string name() const = 0;
  virtual void train(const Dataset& data, const std::vector<Rating>& train, std::uint64_t seed) = 0;
  virtual double score(const Dataset& data, const Rating& pair) const = 0;
};

std::vector<std::unique_ptr<Model>> all_models();  // the baselines, kith, the reference
std::unique_ptr<Model> make_item_bayes();

// How MovieLens maps onto kith's ids: accounts are userIds, statuses are
// movieIds, and author a is account kAuthorAccountBase + a.
inline constexpr std::int64_t kAuthorAccountBase = 1'000'000'000;
std::int64_t author_account(const Dataset& data, std::uint32_t item);

// Feeds training ratings to an Engine as the daemon would (exposure for
// every rating, a flag for rating <= 2, account facts with created_at the
// account's first training rating) and refits it. With positives, a rating
// >= kPositiveAtOrAbove is also a positive signal (as a favourite is).
inline constexpr float kPositiveAtOrAbove = 4;
void feed_engine(mod::Engine& engine, const Dataset& data, const std::vector<Rating>& train,
                 bool positives = false);

// The Engine as a Model; engine() exposes it for the attack simulations.
class EngineModel : public Model {
 public:
  explicit EngineModel(bool positives = false) : positives_(positives) {}
  std::string name() const override { return positives_ ? "kith +positives" : "kith Engine"; }
  void train(const Dataset& data, const std::vector<Rating>& train, std::uint64_t seed) override;
  double score(const Dataset& data, const Rating& pair) const override;
  mod::Engine& engine() { return *engine_; }

 private:
  std::unique_ptr<mod::Engine> engine_;
  bool positives_ = false;
};

}  // namespace kith::bench
