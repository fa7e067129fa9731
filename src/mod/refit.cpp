// The full refit (refit.hpp). First version: purges forgotten statuses.
#include "refit.hpp"

#include <chrono>
#include <mutex>

namespace kith::mod::detail {

std::vector<Evidence> run_refit(std::shared_mutex& mutex, SignalStore& store, Blend&,
                                std::unordered_map<std::uint32_t, Evidence>&,
                                std::int64_t& last_refit_at, double& last_refit_seconds) {
  const auto start = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex);
  store.purge_forgotten();
  last_refit_at = store.latest_at;
  last_refit_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return {};
}

}  // namespace kith::mod::detail
