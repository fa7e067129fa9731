// Admin work saved (attacks.hpp, run_admin), issue 5 item 6.
//
// Scenario: "an admin would act" on a status when, on the full data, its
// flag rate is >= 0.5 with at least 5 raters. All ratings are replayed in
// time order into one Engine (an exposure per rating, a flag per rating
// <= 2, accounts created at their first rating), with a refit every
// kRefitEvery ratings (MovieLens is too sparse in time for a wall-clock
// refit period to mean anything). The point an admin would act is the first
// rating after which the status's running counts meet the same condition.
// Just before that rating is recorded, the Engine is asked for every user
// who has not yet rated the status: if more than half get warn or hide, the
// status counts as handled before the admin. Every status the Engine acts on
// for everyone at any refit of the replay is checked against the same
// condition on the full data: if it does not meet it, the action is false.
// The replay runs twice: every user at the default sensitivity (0.5, the
// target's figure), then every user at 1.0 (warn early).
#include <cstdio>
#include <map>
#include <set>
#include <vector>

#include "attacks.hpp"
#include "models.hpp"
#include "report.hpp"

namespace kith::bench {

namespace {

inline constexpr std::size_t kRefitEvery = 1000;
inline constexpr double kAdminFlagRate = 0.5;
inline constexpr std::uint32_t kAdminRaters = 5;

bool admin_condition(std::uint32_t flags, std::uint32_t raters) {
  return raters >= kAdminRaters && flags >= kAdminFlagRate * raters;
}

struct Replay {
  std::size_t reached = 0, handled = 0, acted_before = 0;
  double warned_share_sum = 0;  // summed over reached statuses: share of askers warned
  std::size_t any_warned = 0;   // reached statuses warned for at least a quarter of askers
  std::set<std::int64_t> ever_acted;
};

// The time-ordered replay with every user at `sensitivity`.
Replay replay(const Dataset& data, const std::vector<char>& admin_item, double sensitivity) {
  Replay out;
  mod::Engine engine;
  std::vector<std::int64_t> first(data.users(), 0);
  for (const Rating& r : data.ratings)
    if (first[r.user] == 0 || r.at < first[r.user]) first[r.user] = r.at;
  for (std::uint32_t u = 0; u < data.users(); ++u) {
    engine.set_account(data.user_ids[u], {.created_at = first[u], .local = true});
    engine.set_preferences(data.user_ids[u], {.sensitivity = sensitivity});
  }
  std::vector<std::uint32_t> run_flags(data.items(), 0), run_raters(data.items(), 0);
  std::vector<char> reached(data.items(), 0);
  std::vector<std::vector<char>> rated(data.items());
  auto refit = [&] {
    for (const mod::Evidence& e : engine.refit())
      if (e.acted) out.ever_acted.insert(e.status);
  };
  for (std::size_t n = 0; n < data.ratings.size(); ++n) {
    const Rating& r = data.ratings[n];
    const std::int64_t status = data.item_ids[r.item], author = author_account(data, r.item);
    if (rated[r.item].empty()) rated[r.item].assign(data.users(), 0);
    if (!reached[r.item] && admin_item[r.item] &&
        admin_condition(run_flags[r.item] + r.flag(), run_raters[r.item] + 1)) {
      reached[r.item] = 1;
      ++out.reached;
      std::size_t asked = 0, acted = 0;
      for (std::uint32_t u = 0; u < data.users(); ++u) {
        if (rated[r.item][u]) continue;
        ++asked;
        acted += engine.verdict(data.user_ids[u], status, author).action != mod::Action::none;
      }
      out.handled += 2 * acted > asked;
      out.any_warned += 4 * acted >= asked;
      out.warned_share_sum +=
          asked > 0 ? static_cast<double>(acted) / static_cast<double>(asked) : 0;
      out.acted_before += engine.acted_for_everyone(status);
    }
    rated[r.item][r.user] = 1;
    run_flags[r.item] += r.flag();
    run_raters[r.item] += 1;
    mod::Signal s{.rater = data.user_ids[r.user],
                  .status = status,
                  .author = author,
                  .kind = mod::SignalKind::exposure,
                  .at = r.at};
    engine.record(s);
    if (r.flag()) {
      s.kind = mod::SignalKind::flag;
      engine.record(s);
    }
    if ((n + 1) % kRefitEvery == 0) refit();
  }
  refit();
  for (std::uint32_t i = 0; i < data.items(); ++i)
    if (engine.acted_for_everyone(data.item_ids[i])) out.ever_acted.insert(data.item_ids[i]);
  return out;
}

}  // namespace

void run_admin(const Dataset& data) {
  std::printf("\n== Admin work saved (issue 5, item 6)\n");
  std::printf(
      "an admin would act: flag rate >= %.1f with >= %u raters on the full data; replay in time "
      "order, refit every\n"
      "%zu ratings; handled = warn or hide for more than half of the users who had not rated it "
      "yet, just before\n"
      "the rating that meets the condition; every user at the default sensitivity 0.5, then all at "
      "1.0\n",
      kAdminFlagRate, kAdminRaters, kRefitEvery);
  std::vector<std::uint32_t> flags(data.items(), 0), raters(data.items(), 0);
  for (const Rating& r : data.ratings) {
    flags[r.item] += r.flag();
    raters[r.item] += 1;
  }
  std::vector<char> admin_item(data.items(), 0);
  std::size_t admin_items = 0;
  std::map<std::int64_t, std::uint32_t> index_of;
  for (std::uint32_t i = 0; i < data.items(); ++i) {
    admin_item[i] = admin_condition(flags[i], raters[i]);
    admin_items += admin_item[i];
    index_of[data.item_ids[i]] = i;
  }
  std::printf("statuses an admin would act on: %zu\n", admin_items);
  double default_handled = 0, default_false = 0;
  for (double sensitivity : {0.5, 1.0}) {
    const Replay r = replay(data, admin_item, sensitivity);
    std::size_t false_actions = 0, false_near = 0, false_few = 0;
    for (std::int64_t id : r.ever_acted) {
      const std::uint32_t i = index_of[id];
      if (admin_item[i]) continue;
      ++false_actions;
      false_few += raters[i] < kAdminRaters;
      false_near += raters[i] >= kAdminRaters && flags[i] >= 0.3 * raters[i];
    }
    const double reached = std::max<double>(1, static_cast<double>(r.reached));
    const double handled_share = static_cast<double>(r.handled) / reached;
    const double false_share =
        r.ever_acted.empty() ? 0 : static_cast<double>(false_actions) / r.ever_acted.size();
    std::printf(
        "sensitivity %.1f: condition reached in the replay for %zu; handled for most users before "
        "that point: %zu "
        "(%.1f %%);\n  for at least a quarter: %zu (%.1f %%); mean share of users warned at that "
        "point %.1f %%; "
        "already acted on for everyone: %zu\n",
        sensitivity, r.reached, r.handled, 100 * handled_share, r.any_warned,
        100 * r.any_warned / reached, 100 * r.warned_share_sum / reached, r.acted_before);
    std::printf(
        "  statuses acted on for everyone at some refit: %zu, not meeting the admin condition: %zu "
        "(%.1f %%): "
        "%zu with fewer than %u raters, %zu with >= %u raters and flag rate 0.3..0.5\n",
        r.ever_acted.size(), false_actions, 100 * false_share, false_few, kAdminRaters, false_near,
        kAdminRaters);
    if (sensitivity == 0.5) {
      default_handled = handled_share;
      default_false = false_share;
    }
  }
  std::printf("\nTargets (default sensitivity 0.5):\n");
  print_target("handled before an admin would act", 100 * default_handled, "%", ">=", 70);
  print_target("false instance-wide actions", 100 * default_false, "%", "<=", 2);
  std::fflush(stdout);
}

}  // namespace kith::bench
