// Notification and Conversation entities (notification_entities.hpp),
// https://docs.joinmastodon.org/entities/Notification/ and
// https://docs.joinmastodon.org/entities/Conversation/.
//
// A notification is shown only with everything it is about: its sender
// (not suspended) and, for the types about a status, that status as the
// viewer may see it; otherwise it is left out, as Mastodon drops
// notifications whose target is gone. What it must never do: show another
// account's notification or conversation, or a status the viewer may not see.
#include "notification_entities.hpp"

#include <pqxx/pqxx>

#include "client_support.hpp"
#include "kith/db/notifications.hpp"

namespace kith::api {
namespace {

using json = nlohmann::json;

// The Report entity of report `id` (admin.report notifications).
std::optional<json> render_report(pqxx::transaction_base& tx, std::int64_t id,
                                  std::string_view host) {
  const auto rows = tx.exec_params(
      "SELECT r.target_account_id, r.comment, r.action_taken_at IS NOT NULL,"
      " to_char(r.action_taken_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
      " to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
      " array_to_string(r.status_ids, ','), r.uri IS NOT NULL AND a.domain IS NULL"
      " FROM reports r JOIN accounts a ON a.id = r.account_id WHERE r.id = $1",
      id);
  if (rows.empty()) return std::nullopt;
  const pqxx::row& r = rows[0];
  auto target = render_account(tx, r[0].as<std::int64_t>(), host);
  if (!target) return std::nullopt;
  json status_ids = json::array();
  const std::string ids = r[5].as<std::string>();
  for (std::size_t start = 0; start < ids.size();) {
    std::size_t end = ids.find(',', start);
    if (end == std::string::npos) end = ids.size();
    status_ids.push_back(ids.substr(start, end - start));
    start = end + 1;
  }
  return json{{"id", std::to_string(id)},
              {"action_taken", r[2].as<bool>()},
              {"action_taken_at", r[3].is_null() ? json(nullptr) : json(r[3].as<std::string>())},
              {"category", "other"},
              {"comment", r[1].as<std::string>()},
              {"forwarded", r[6].as<bool>()},
              {"created_at", r[4].as<std::string>()},
              {"status_ids", status_ids.empty() ? json(nullptr) : status_ids},
              {"rule_ids", nullptr},
              {"target_account", *target}};
}

}  // namespace

std::optional<nlohmann::json> render_notification(pqxx::transaction_base& tx, std::int64_t id,
                                                  std::int64_t viewer, std::string_view host,
                                                  const mod::Engine* moderation) {
  auto view = db::notification_view(tx, id, viewer);
  if (!view) return std::nullopt;
  auto account = render_account(tx, view->from_account_id, host);
  if (!account) return std::nullopt;
  json out{{"id", std::to_string(view->id)},
           {"type", view->type},
           {"group_key", view->group_key},
           {"created_at", view->created_at},
           {"account", std::move(*account)}};
  if (view->status_id) {
    // In the notifications context: a hide filter drops the notification.
    auto status =
        render_status(tx, *view->status_id, viewer, host, moderation, FilterContext::notifications);
    if (!status) return std::nullopt;
    out["status"] = std::move(*status);
  }
  if (view->type == "admin.report") {
    if (!view->report_id) return std::nullopt;
    auto report = render_report(tx, *view->report_id, host);
    if (!report) return std::nullopt;
    out["report"] = std::move(*report);
  }
  return out;
}

std::optional<nlohmann::json> render_conversation(pqxx::transaction_base& tx, std::int64_t id,
                                                  std::int64_t viewer, std::string_view host,
                                                  const mod::Engine* moderation) {
  const auto rows = tx.exec_params(
      "SELECT array_to_string(participant_account_ids, ','), last_status_id, unread"
      " FROM account_conversations WHERE id = $1 AND account_id = $2",
      id, viewer);
  if (rows.empty()) return std::nullopt;
  std::vector<std::int64_t> participants;
  const std::string ids = rows[0][0].as<std::string>();
  for (std::size_t start = 0; start < ids.size();) {
    std::size_t end = ids.find(',', start);
    if (end == std::string::npos) end = ids.size();
    if (auto participant = parse_id(std::string_view(ids).substr(start, end - start));
        participant && *participant != viewer)
      participants.push_back(*participant);
    start = end + 1;
  }
  std::optional<json> last_status;
  if (!rows[0][1].is_null())
    last_status = render_status(tx, rows[0][1].as<std::int64_t>(), viewer, host, moderation);
  return json{{"id", std::to_string(id)},
              {"unread", rows[0][2].as<bool>()},
              {"accounts", render_accounts(tx, participants, host)},
              {"last_status", last_status ? *last_status : json(nullptr)}};
}

}  // namespace kith::api
