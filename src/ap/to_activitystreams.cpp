// Database values -> ActivityStreams vocabulary (to_activitystreams.hpp).
#include "kith/ap/to_activitystreams.hpp"

#include <nlohmann/json.hpp>

#include "kith/ap/local_urls.hpp"

namespace kith::ap {

Actor local_actor(const db::LocalAccount& account) {
  Actor actor;
  actor.id = account.uri;
  actor.type = account.bot ? "Service" : "Person";
  actor.preferred_username = account.username;
  // Mastodon shows the username when there is no display name; saying so
  // here spares every other server the same fallback.
  actor.name = account.display_name.empty() ? account.username : account.display_name;
  actor.summary = account.note;
  actor.url = account.url;
  if (!account.avatar_url.empty()) actor.icon.url = account.avatar_url;
  if (!account.header_url.empty()) actor.image.url = account.header_url;
  actor.inbox = account.inbox_url;
  actor.outbox = account.outbox_url;
  actor.followers = account.followers_url;
  actor.following = account.following_url;
  actor.featured = account.featured_url;
  actor.shared_inbox = account.shared_inbox_url;
  actor.public_key =
      PublicKey{account.public_key_id.empty() ? urls::key_id(account.uri) : account.public_key_id,
                account.uri, account.public_key_pem};
  actor.manually_approves_followers = account.locked;
  actor.discoverable = account.discoverable;
  for (const db::ProfileField& field : account.fields)
    actor.fields.push_back(ProfileField{field.name, field.value});
  actor.moved_to = account.moved_to_uri;
  actor.also_known_as = account.also_known_as;
  actor.published = account.created_at;
  return actor;
}

Actor instance_actor(std::string_view host, const db::InstanceActorPublic& keys) {
  Actor actor;
  actor.id = urls::instance_actor(host);
  actor.type = "Application";
  actor.preferred_username = std::string(host);
  actor.inbox = urls::inbox(actor.id);
  actor.outbox = urls::outbox(actor.id);
  actor.shared_inbox = urls::shared_inbox(host);
  actor.public_key = PublicKey{urls::key_id(actor.id), actor.id, keys.public_key_pem};
  // Nobody follows the instance actor; Mastodon marks its own the same way.
  actor.manually_approves_followers = true;
  actor.published = keys.created_at;
  return actor;
}

Addressing status_addressing(db::Visibility visibility, std::string_view followers_url,
                             std::span<const std::string> mentioned) {
  Addressing addressing;
  const std::string followers(followers_url);
  const std::string everyone(kPublicCollection);
  const std::vector<std::string> mentions(mentioned.begin(), mentioned.end());
  switch (visibility) {
    case db::Visibility::public_:
      addressing.to = {everyone};
      addressing.cc = {followers};
      addressing.cc.insert(addressing.cc.end(), mentions.begin(), mentions.end());
      break;
    case db::Visibility::unlisted:
      addressing.to = {followers};
      addressing.cc = {everyone};
      addressing.cc.insert(addressing.cc.end(), mentions.begin(), mentions.end());
      break;
    case db::Visibility::private_:
      addressing.to = {followers};
      addressing.cc = mentions;
      break;
    case db::Visibility::direct:
      addressing.to = mentions;
      break;
    case db::Visibility::local:
      break;
  }
  return addressing;
}

Addressing status_addressing(const db::StatusRecord& status) {
  std::vector<std::string> mentioned;
  for (const db::StatusMention& mention : status.mentions) mentioned.push_back(mention.actor_uri);
  return status_addressing(status.visibility, status.account_followers_url, mentioned);
}

namespace {

// A local upload as Mastodon serialises it: a Document with mediaType,
// url, name (the alt text), blurhash, width, height and focalPoint.
Attachment attachment(std::string_view author_host, const db::StatusAttachment& media) {
  Attachment out;
  out.type = "Document";
  out.url = "https://" + std::string(author_host) + "/system/media/" + media.file_path;
  out.media_type = media.media_type;
  out.name = media.description;
  out.blurhash = media.blurhash;
  const nlohmann::json meta = nlohmann::json::parse(media.meta_json, nullptr, false);
  if (meta.is_object()) {
    const auto& original = meta.value("original", nlohmann::json::object());
    if (original.is_object() && original.value("width", nlohmann::json()).is_number_integer() &&
        original.value("height", nlohmann::json()).is_number_integer()) {
      out.width = original["width"].get<std::int64_t>();
      out.height = original["height"].get<std::int64_t>();
    }
    const auto& focus = meta.value("focus", nlohmann::json::object());
    if (focus.is_object() && focus.value("x", nlohmann::json()).is_number() &&
        focus.value("y", nlohmann::json()).is_number())
      out.focal_point = std::pair{focus["x"].get<double>(), focus["y"].get<double>()};
  }
  return out;
}

}  // namespace

Object status_note(const db::StatusRecord& status) {
  Object note;
  note.id = status.uri;
  note.type = "Note";
  note.attributed_to = status.account_uri;
  note.content = status.content;
  if (!status.language.empty()) note.content_map[status.language] = status.content;
  note.summary = status.spoiler_text;
  // A content warning hides the content: mark it sensitive as Mastodon does.
  note.sensitive = status.sensitive || !status.spoiler_text.empty();
  note.in_reply_to = status.in_reply_to_uri;
  note.published = status.created_at;
  note.updated = status.edited_at;
  note.url = status.url.empty() ? status.uri : status.url;
  note.addressing = status_addressing(status);
  for (const db::StatusMention& mention : status.mentions) {
    if (mention.silent) continue;
    const std::string domain =
        mention.domain.empty() ? urls::authority(mention.actor_uri) : mention.domain;
    note.mentions.push_back(Mention{mention.actor_uri, "@" + mention.username + "@" + domain});
  }
  const std::string author_host = urls::authority(status.account_uri);
  for (const std::string& tag : status.tags)
    note.hashtags.push_back(Hashtag{urls::tag_page(author_host, tag), "#" + tag});
  for (const db::StatusAttachment& media : status.attachments)
    note.attachments.push_back(attachment(author_host, media));
  if (status.poll) {  // a poll is a Question, its options with their counts
    note.type = "Question";
    Poll poll;
    poll.multiple = status.poll->multiple;
    for (const db::StatusPollOption& option : status.poll->options)
      poll.options.push_back(PollOption{option.title, option.votes});
    poll.end_time = status.poll->end_time;
    poll.closed = status.poll->closed;
    poll.voters_count = status.poll->voters_count;
    note.poll = std::move(poll);
  }
  return note;
}

Activity status_create(const db::StatusRecord& status) {
  Activity create;
  create.id = urls::status_activity(status.uri);
  create.type = "Create";
  create.actor = status.account_uri;
  create.object = status.uri;
  create.published = status.created_at;
  create.addressing = status_addressing(status);
  create.embedded = Box<Document>(Document{status_note(status)});
  return create;
}

}  // namespace kith::ap
