// A user's side of community moderation (kith-specific, no Mastodon
// equivalent): their choices about the verdicts the engine makes for them,
// and "why is this hidden for me?". Internal to the api module; the web
// page (src/web/explanation.cpp) words the same data for a browser.
//
//   GET   /api/v1/kith/moderation/preferences                 read:accounts
//   PATCH /api/v1/kith/moderation/preferences                 write:accounts
//         opt_out (bool), sensitivity (0..1), action (warn|hide); each
//         optional, the others kept; a bad value is a 422 and changes
//         nothing
//   GET   /api/v1/kith/moderation/statuses/:id/explanation    read:statuses
//
// Preferences live in mod_preferences (migration 0017), are loaded into
// the engine at start (load_moderation_preferences, called by the
// moderation service's load) and written through on every change.
//
// What it must never do: say who flagged a status. The explanation is the
// viewer's own numbers and the community's counts, as mod::Engine::explain
// returns them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "kith/mod/engine.hpp"

namespace pqxx {
class transaction_base;
}

namespace kith::api {

// Every stored preference into `engine`; at most kMaxLoadedPreferences
// rows (the newest first when there are more; the rest keep defaults).
inline constexpr std::size_t kMaxLoadedPreferences = 10'000'000;
void load_moderation_preferences(pqxx::transaction_base& tx, mod::Engine& engine);

std::string_view action_name(mod::Action action);  // none, warn, hide
std::string_view reason_name(mod::Reason reason);  // none, own_flag, muted_author, predicted,
                                                   // community
nlohmann::json preferences_json(const mod::Preferences& preferences);

// The explanation of the verdict on `status_id` for `viewer`, as the
// filters show it (status_filters.hpp: on the viewer's own status only an
// instance-wide action counts), except that a mute or block of the author
// is named (reason muted_author): kith's own visibility rules apply it.
// Redacted with redact_explanation.
mod::Explanation explain_for_viewer(const mod::Engine& engine, std::int64_t viewer,
                                    std::int64_t status_id, std::int64_t author_id);
// What an explanation may show (explain_for_viewer applies it): nothing
// that moves with other people's flags on the viewer's own status or on a
// status nothing acts on; elsewhere rates and probability rounded to
// kExplanationStep; community counts only once acted on for everyone.
void redact_explanation(mod::Explanation& explanation, bool viewer_is_author);
nlohmann::json explanation_json(const mod::Explanation& explanation, std::int64_t status_id);

// The status a viewer is shown for `status_id` (the boosted one for a
// boost) and its author; nullopt when the viewer may not see it.
struct ExplainedStatus {
  std::int64_t status_id = 0;
  std::int64_t author_id = 0;
};
std::optional<ExplainedStatus> status_for_explanation(pqxx::transaction_base& tx,
                                                      std::int64_t status_id, std::int64_t viewer);

}  // namespace kith::api
