// Placeholder implementation of kith::mod::Engine (include/kith/mod/engine.hpp):
// records nothing and returns no verdicts. Being replaced by the model.
#include "kith/mod/engine.hpp"

namespace kith::mod {

struct Engine::State {};

Engine::Engine() : state_(std::make_unique<State>()) {}
Engine::~Engine() = default;
void Engine::record(const Signal&) {}
void Engine::set_account(AccountId, const AccountFacts&) {}
void Engine::set_preferences(AccountId, const Preferences&) {}
Preferences Engine::preferences(AccountId) const { return {}; }
void Engine::set_admin_decision(StatusId, bool) {}
void Engine::forget_status(StatusId) {}
Verdict Engine::verdict(AccountId, StatusId, AccountId) const { return {}; }
Explanation Engine::explain(AccountId, StatusId, AccountId) const { return {}; }
std::vector<Evidence> Engine::review_queue(std::size_t) const { return {}; }
bool Engine::acted_for_everyone(StatusId) const { return false; }
std::vector<Evidence> Engine::refit() { return {}; }
Stats Engine::stats() const { return {}; }

}  // namespace kith::mod
