// Database views -> Mastodon entities (https://docs.joinmastodon.org/entities/),
// field by field: Account (and CredentialAccount), Status, Relationship.
// One direction per file, like to_activitystreams.hpp for federation.
//
// The rules clients depend on: ids are strings; times look like
// 2024-01-01T00:00:00.000Z; optional values are null, not missing; a Status
// always carries reblog, in_reply_to_id, media_attachments, url and
// account.acct, and never scheduled_at. kith's local-only visibility is
// shown the way glitch-soc shows its local-only posts: visibility "public"
// with "local_only": true, so that clients that know only the four
// Mastodon visibilities keep working.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string_view>

#include "kith/db/client_views.hpp"

namespace kith::api {

// The Account entity. `host` is this server's authority (for acct and
// default avatar URLs).
nlohmann::json account_json(const db::AccountView& account, std::string_view host);

// The CredentialAccount of verify_credentials and update_credentials: the
// Account plus `source` (the note as plain text) and `role`.
struct AccountSource {
  std::string note;  // plain text; "" derives it from the HTML
  // Profile fields as typed (plain text); nullopt derives them from the HTML.
  std::optional<std::vector<db::ProfileField>> fields;
  std::string privacy = "public";
  bool sensitive = false;
  std::string language;
  std::int64_t follow_requests_count = 0;
};
nlohmann::json credential_account_json(const db::AccountView& account, const AccountSource& source,
                                       std::string_view host);

// The Status entity. `reblog` is the rendered boosted status when `status`
// is a boost. `with_text`: include the source text (a DELETE answers with
// it, so that clients can offer "delete and redraft").
nlohmann::json status_json(const db::StatusView& status, const db::AccountView& author,
                           const nlohmann::json* reblog, std::string_view host, bool with_text);

// The MediaAttachment entity. A local upload's url and preview_url are
// local_media_url (null while it is processing); a remote one's are its
// remote URL.
nlohmann::json media_attachment_json(const db::MediaView& media, std::string_view host);
// https://<host>/system/media/<file_name>: where the daemon serves uploads.
std::string local_media_url(std::string_view host, std::string_view file_name);

// The Relationship entity.
nlohmann::json relationship_json(const db::RelationshipView& relationship);

// acct: "alice" for a local account, "bob@remote.example" for a remote one.
std::string acct_of(const db::AccountView& account);

// The Mastodon visibility name of statuses.visibility (local -> public).
std::string_view mastodon_visibility(std::string_view stored);

}  // namespace kith::api
