// Database views -> Mastodon entities (entities.hpp).
#include "kith/api/entities.hpp"

#include <nlohmann/json.hpp>

#include "kith/api/status_text.hpp"

namespace kith::api {
namespace {

using json = nlohmann::json;

json string_or_null(const std::string& value) {
  return value.empty() ? json(nullptr) : json(value);
}

json id_or_null(const std::optional<std::int64_t>& id) {
  return id ? json(std::to_string(*id)) : json(nullptr);
}

}  // namespace

std::string local_media_url(std::string_view host, std::string_view file_name) {
  return "https://" + std::string(host) + "/system/media/" + std::string(file_name);
}

namespace {

// Mastodon's picture for accounts without one; clients need a URL.
std::string missing_image(std::string_view host, std::string_view kind) {
  return "https://" + std::string(host) + "/" + std::string(kind) + "/original/missing.png";
}

// HTML -> plain text for source.note: tags dropped, <br> and </p> as
// newlines, the five entities decoded.
std::string html_to_text(std::string_view html) {
  std::string out;
  for (std::size_t i = 0; i < html.size(); ++i) {
    if (html[i] == '<') {
      const std::size_t end = html.find('>', i);
      if (end == std::string_view::npos) break;
      const std::string_view tag = html.substr(i, end - i + 1);
      if (tag.starts_with("<br")) out += '\n';
      if (tag == "</p>" && end + 1 < html.size()) out += "\n\n";
      i = end;
      continue;
    }
    if (html[i] == '&') {
      static const std::pair<std::string_view, char> entities[] = {
          {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
      bool decoded = false;
      for (const auto& [name, c] : entities) {
        if (html.substr(i).starts_with(name)) {
          out += c;
          i += name.size() - 1;
          decoded = true;
          break;
        }
      }
      if (decoded) continue;
    }
    out += html[i];
  }
  return out;
}

}  // namespace

// Mastodon's MediaAttachment entity: kith does not copy remote media, so a
// remote attachment's url and preview_url are the remote URL too.
json media_attachment_json(const db::MediaView& m, std::string_view host) {
  json meta = json::parse(m.meta_json, nullptr, false);
  if (!meta.is_object()) meta = json::object();
  // A local upload is served by this server (null while processing).
  const std::string url = m.file_path.empty() ? m.remote_url : local_media_url(host, m.file_path);
  return {
      {"id", std::to_string(m.id)},
      {"type", m.type},
      {"url", string_or_null(url)},
      {"preview_url", string_or_null(url)},
      {"remote_url", string_or_null(m.remote_url)},
      {"text_url", nullptr},
      {"meta", std::move(meta)},
      {"description", string_or_null(m.description)},
      {"blurhash", string_or_null(m.blurhash)},
  };
}

namespace {

// Mastodon's Poll entity; votes_count is the options' votes added up;
// voted and own_votes are the viewer's; with hide_totals the options'
// counts are null until the poll ends, but for its author.
json poll_json(const db::PollView& p) {
  json options = json::array();
  std::int64_t votes = 0;
  const bool hidden = p.hide_totals && !p.expired;
  for (const db::PollOptionView& option : p.options) {
    options.push_back(
        {{"title", option.title},
         {"votes_count", option.votes && !hidden ? json(*option.votes) : json(nullptr)}});
    votes += option.votes.value_or(0);
  }
  return {
      {"id", std::to_string(p.id)},
      {"expires_at", string_or_null(p.expires_at)},
      {"expired", p.expired},
      {"multiple", p.multiple},
      {"votes_count", votes},
      {"voters_count", p.voters_count ? json(*p.voters_count) : json(nullptr)},
      {"options", std::move(options)},
      {"emojis", json::array()},
      {"voted", p.voted},
      {"own_votes", p.own_votes},
  };
}

}  // namespace

std::string acct_of(const db::AccountView& account) {
  return account.domain.empty() ? account.username : account.username + "@" + account.domain;
}

std::string_view mastodon_visibility(std::string_view stored) {
  return stored == "local" ? "public" : stored;
}

json account_json(const db::AccountView& a, std::string_view host) {
  json fields = json::array();
  for (const db::ProfileField& field : a.fields)
    fields.push_back({{"name", field.name}, {"value", field.value}, {"verified_at", nullptr}});
  const std::string avatar = a.avatar_url.empty() ? missing_image(host, "avatars") : a.avatar_url;
  const std::string header = a.header_url.empty() ? missing_image(host, "headers") : a.header_url;
  return {
      {"id", std::to_string(a.id)},
      {"username", a.username},
      {"acct", acct_of(a)},
      {"display_name", a.display_name},
      {"locked", a.locked},
      {"bot", a.bot},
      {"discoverable", a.discoverable},
      {"group", a.group},
      {"created_at", a.created_at},
      {"note", a.note},
      {"url", a.url.empty() ? a.uri : a.url},
      {"uri", a.uri},
      {"avatar", avatar},
      {"avatar_static", avatar},
      {"header", header},
      {"header_static", header},
      {"followers_count", a.followers_count},
      {"following_count", a.following_count},
      {"statuses_count", a.statuses_count},
      {"last_status_at", string_or_null(a.last_status_at)},
      {"emojis", json::array()},
      {"fields", std::move(fields)},
      {"indexable", a.indexable},
      {"hide_collections", a.hide_collections},
      {"noindex", !a.indexable},
      {"roles", json::array()},
  };
}

json credential_account_json(const db::AccountView& account, const AccountSource& source,
                             std::string_view host) {
  json out = account_json(account, host);
  json fields = json::array();
  for (const db::ProfileField& field : source.fields ? *source.fields : account.fields)
    fields.push_back({{"name", field.name},
                      {"value", source.fields ? field.value : html_to_text(field.value)},
                      {"verified_at", nullptr}});
  out["source"] = {
      {"note", source.note.empty() ? html_to_text(account.note) : source.note},
      {"fields", std::move(fields)},
      {"privacy", source.privacy},
      {"sensitive", source.sensitive},
      {"language", source.language},
      {"follow_requests_count", source.follow_requests_count},
      {"discoverable", account.discoverable},
      {"hide_collections", account.hide_collections},
      {"indexable", account.indexable},
      {"attribution_domains", json::array()},
  };
  out["role"] = {
      {"id", "-99"}, {"name", ""}, {"permissions", "0"}, {"color", ""}, {"highlighted", false}};
  return out;
}

json status_json(const db::StatusView& s, const db::AccountView& author, const json* reblog,
                 std::string_view host, bool with_text) {
  json mentions = json::array();
  for (const db::MentionView& m : s.mentions)
    mentions.push_back({{"id", std::to_string(m.account_id)},
                        {"username", m.username},
                        {"url", m.url},
                        {"acct", m.domain.empty() ? m.username : m.username + "@" + m.domain}});
  json tags = json::array();
  for (const std::string& tag : s.tags)
    tags.push_back({{"name", tag}, {"url", "https://" + std::string(host) + "/tags/" + tag}});
  json media = json::array();
  for (const db::MediaView& m : s.media) media.push_back(media_attachment_json(m, host));
  json out = {
      {"id", std::to_string(s.id)},
      {"uri", s.uri},
      {"created_at", s.created_at},
      {"account", account_json(author, host)},
      {"content", s.content},
      {"visibility", std::string(mastodon_visibility(s.visibility))},
      {"sensitive", s.sensitive},
      {"spoiler_text", s.spoiler_text},
      {"media_attachments", std::move(media)},
      {"application", nullptr},
      {"mentions", std::move(mentions)},
      {"tags", std::move(tags)},
      {"emojis", json::array()},
      {"reblogs_count", s.reblogs_count},
      {"favourites_count", s.favourites_count},
      {"replies_count", s.replies_count},
      {"url", s.reblog_of_id ? json(nullptr) : string_or_null(s.url.empty() ? s.uri : s.url)},
      {"in_reply_to_id", id_or_null(s.in_reply_to_id)},
      {"in_reply_to_account_id", id_or_null(s.in_reply_to_account_id)},
      {"reblog", reblog ? *reblog : json(nullptr)},
      {"poll", s.poll ? poll_json(*s.poll) : json(nullptr)},
      {"card", nullptr},
      {"language", string_or_null(s.language)},
      {"edited_at", string_or_null(s.edited_at)},
      {"favourited", s.favourited},
      {"reblogged", s.reblogged},
      {"muted", s.muted},
      {"bookmarked", s.bookmarked},
      {"filtered", json::array()},
  };
  if (s.visibility == "local") out["local_only"] = true;
  if (s.pinned) out["pinned"] = *s.pinned;
  if (with_text) out["text"] = s.text;
  return out;
}

json relationship_json(const db::RelationshipView& r) {
  return {
      {"id", std::to_string(r.id)},
      {"following", r.following},
      {"showing_reblogs", r.showing_reblogs},
      {"notifying", r.notifying},
      {"languages", r.languages ? json(*r.languages) : json(nullptr)},
      {"followed_by", r.followed_by},
      {"blocking", r.blocking},
      {"blocked_by", r.blocked_by},
      {"muting", r.muting},
      {"muting_notifications", r.muting_notifications},
      {"requested", r.requested},
      {"requested_by", r.requested_by},
      {"domain_blocking", r.domain_blocking},
      {"endorsed", r.endorsed},
      {"note", r.note},
  };
}

}  // namespace kith::api
