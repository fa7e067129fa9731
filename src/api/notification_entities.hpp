// Rendering notifications and direct-message conversations as Mastodon
// entities (Notification, Conversation), for their endpoints and for the
// streaming hub, which renders each event for the user it is sent to.
// Internal to the api module.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

namespace pqxx {
class transaction_base;
}
namespace kith::mod {
class Engine;
}

namespace kith::api {

// The Notification entity of notification `id`, if it belongs to `viewer`
// and its status (if any) is still visible to `viewer`. Statuses carry the
// verdicts of `moderation` (status_filters.hpp) when it is not null.
std::optional<nlohmann::json> render_notification(pqxx::transaction_base& tx, std::int64_t id,
                                                  std::int64_t viewer, std::string_view host,
                                                  const mod::Engine* moderation = nullptr);

// The Conversation entity of account_conversations row `id`, if it belongs
// to `viewer`.
std::optional<nlohmann::json> render_conversation(pqxx::transaction_base& tx, std::int64_t id,
                                                  std::int64_t viewer, std::string_view host,
                                                  const mod::Engine* moderation = nullptr);

}  // namespace kith::api
