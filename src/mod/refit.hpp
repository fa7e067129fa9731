// The full refit: trust weights, the factor model, the blend and the
// instance-wide (bridging) evidence, rebuilt from everything recorded.
//
// The one idea: copy under a shared lock, compute with no lock held, swap
// under a short exclusive lock. Changes recorded while the refit ran are
// logged by the store and replayed onto the swapped-in counters, so no
// signal is lost and readers never wait for the fit.
//
// What it must never do: hold the exclusive lock for more than copying
// arrays, or run twice at once (the engine serialises refits).
#pragma once

#include <cstdint>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "blend.hpp"
#include "kith/mod/engine.hpp"
#include "signal_store.hpp"

namespace kith::mod::detail {

std::vector<Evidence> run_refit(std::shared_mutex& mutex, SignalStore& store, Blend& blend,
                                std::unordered_map<std::uint32_t, Evidence>& evidence,
                                std::int64_t& last_refit_at, double& last_refit_seconds);

}  // namespace kith::mod::detail
