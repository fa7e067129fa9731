// The vocabulary of activity.hpp -> ActivityStreams JSON. Each writer below
// mirrors the reader function of the same name in activity_reader.cpp; a
// field added to one belongs in the other.
#include "kith/ap/activity_writer.hpp"

#include <nlohmann/json.hpp>

namespace kith::ap {
namespace {

// Ordered, so that documents read naturally: id and type first.
using json = nlohmann::ordered_json;

// The one @context of every document kith writes: the ActivityStreams and
// security vocabularies and the extension terms that kith's documents use,
// defined the way Mastodon, Misskey, Fedibird and FEP-044f define them.
json context() {
  json terms = json::object();
  terms["manuallyApprovesFollowers"] = "as:manuallyApprovesFollowers";
  terms["sensitive"] = "as:sensitive";
  terms["Hashtag"] = "as:Hashtag";
  terms["movedTo"] = {{"@id", "as:movedTo"}, {"@type", "@id"}};
  terms["alsoKnownAs"] = {{"@id", "as:alsoKnownAs"}, {"@type", "@id"}};
  terms["quoteUrl"] = "as:quoteUrl";
  terms["toot"] = "http://joinmastodon.org/ns#";
  terms["Emoji"] = "toot:Emoji";
  terms["featured"] = {{"@id", "toot:featured"}, {"@type", "@id"}};
  terms["discoverable"] = "toot:discoverable";
  terms["blurhash"] = "toot:blurhash";
  terms["focalPoint"] = {{"@container", "@list"}, {"@id", "toot:focalPoint"}};
  terms["votersCount"] = "toot:votersCount";
  terms["schema"] = "http://schema.org#";
  terms["PropertyValue"] = "schema:PropertyValue";
  terms["value"] = "schema:value";
  terms["misskey"] = "https://misskey-hub.net/ns#";
  terms["_misskey_quote"] = "misskey:_misskey_quote";
  terms["fedibird"] = "http://fedibird.com/ns#";
  terms["quoteUri"] = "fedibird:quoteUri";
  terms["quote"] = {{"@id", "https://w3id.org/fep/044f#quote"}, {"@type", "@id"}};
  json list = json::array();
  list.push_back("https://www.w3.org/ns/activitystreams");
  list.push_back("https://w3id.org/security/v1");
  list.push_back(std::move(terms));
  return list;
}

void put(json& out, const char* key, const std::string& value) {
  if (!value.empty()) out[key] = value;
}

void put_list(json& out, const char* key, const std::vector<std::string>& values) {
  if (!values.empty()) out[key] = values;
}

// to and cc always, as Mastodon writes them; audience when set; bto and bcc
// never.
void put_addressing(json& out, const Addressing& addressing) {
  out["to"] = addressing.to;
  out["cc"] = addressing.cc;
  put_list(out, "audience", addressing.audience);
}

json emoji_json(const Emoji& emoji) {
  json out = json::object();
  put(out, "id", emoji.id);
  out["type"] = "Emoji";
  out["name"] = emoji.name;
  put(out, "updated", emoji.updated);
  json icon = json::object();
  icon["type"] = "Image";
  put(icon, "mediaType", emoji.icon_media_type);
  icon["url"] = emoji.icon_url;
  out["icon"] = std::move(icon);
  return out;
}

json image_json(const ImageRef& image) {
  json out = json::object();
  out["type"] = "Image";
  put(out, "mediaType", image.media_type);
  out["url"] = image.url;
  return out;
}

json attachment_json(const Attachment& attachment) {
  json out = json::object();
  out["type"] = attachment.type;
  put(out, "mediaType", attachment.media_type);
  out["url"] = attachment.url;
  put(out, "name", attachment.name);
  put(out, "blurhash", attachment.blurhash);
  if (attachment.focal_point)
    out["focalPoint"] = {attachment.focal_point->first, attachment.focal_point->second};
  if (attachment.width) out["width"] = *attachment.width;
  if (attachment.height) out["height"] = *attachment.height;
  return out;
}

json poll_options_json(const Poll& poll) {
  json options = json::array();
  for (const PollOption& option : poll.options) {
    json entry = json::object();
    entry["type"] = "Note";
    entry["name"] = option.name;
    entry["replies"] = {{"type", "Collection"}, {"totalItems", option.votes}};
    options.push_back(std::move(entry));
  }
  return options;
}

json document_json(const Document& document);

json activity_json(const Activity& activity) {
  json out = json::object();
  put(out, "id", activity.id);
  out["type"] = activity.type;
  out["actor"] = activity.actor;
  put(out, "published", activity.published);
  put_addressing(out, activity.addressing);
  json object = activity.embedded ? document_json(*activity.embedded) : json(activity.object);
  if (activity.other_objects.empty()) {
    out["object"] = std::move(object);
  } else {
    json objects = json::array();
    objects.push_back(std::move(object));
    for (const std::string& other : activity.other_objects) objects.push_back(other);
    out["object"] = std::move(objects);
  }
  put(out, "target", activity.target);
  put(out, "content", activity.content);
  return out;
}

json object_json(const Object& object) {
  json out = json::object();
  out["id"] = object.id;
  out["type"] = object.type;
  put(out, "summary", object.summary);
  put(out, "inReplyTo", object.in_reply_to);
  put(out, "published", object.published);
  put(out, "updated", object.updated);
  put(out, "url", object.url);
  out["attributedTo"] = object.attributed_to;
  put_addressing(out, object.addressing);
  out["sensitive"] = object.sensitive;
  out["content"] = object.content;
  if (!object.content_map.empty()) out["contentMap"] = object.content_map;
  if (!object.quote.empty()) {
    // Every spelling in use, so that each kind of server finds the quote.
    out["quote"] = object.quote;
    out["quoteUrl"] = object.quote;
    out["quoteUri"] = object.quote;
    out["_misskey_quote"] = object.quote;
  }
  json attachments = json::array();
  for (const Attachment& attachment : object.attachments)
    attachments.push_back(attachment_json(attachment));
  out["attachment"] = std::move(attachments);
  json tags = json::array();
  for (const Mention& mention : object.mentions) {
    json tag = {{"type", "Mention"}, {"href", mention.href}};
    put(tag, "name", mention.name);
    tags.push_back(std::move(tag));
  }
  for (const Hashtag& hashtag : object.hashtags) {
    json tag = {{"type", "Hashtag"}};
    put(tag, "href", hashtag.href);
    tag["name"] = hashtag.name;
    tags.push_back(std::move(tag));
  }
  for (const Emoji& emoji : object.emojis) tags.push_back(emoji_json(emoji));
  if (!object.quote.empty()) {
    // FEP-e232: an object link, for servers that read quotes from tags.
    tags.push_back(
        {{"type", "Link"},
         {"mediaType", "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""},
         {"href", object.quote},
         {"name", "RE: " + object.quote}});
  }
  out["tag"] = std::move(tags);
  if (object.poll) {
    out[object.poll->multiple ? "anyOf" : "oneOf"] = poll_options_json(*object.poll);
    put(out, "endTime", object.poll->end_time);
    put(out, "closed", object.poll->closed);
    if (object.poll->voters_count) out["votersCount"] = *object.poll->voters_count;
  }
  return out;
}

json actor_json(const Actor& actor) {
  json out = json::object();
  out["id"] = actor.id;
  out["type"] = actor.type;
  put(out, "following", actor.following);
  put(out, "followers", actor.followers);
  out["inbox"] = actor.inbox;
  put(out, "outbox", actor.outbox);
  put(out, "featured", actor.featured);
  out["preferredUsername"] = actor.preferred_username;
  put(out, "name", actor.name);
  put(out, "summary", actor.summary);
  put(out, "url", actor.url);
  out["manuallyApprovesFollowers"] = actor.manually_approves_followers;
  out["discoverable"] = actor.discoverable;
  put(out, "published", actor.published);
  if (actor.public_key) {
    out["publicKey"] = {{"id", actor.public_key->id},
                        {"owner", actor.public_key->owner},
                        {"publicKeyPem", actor.public_key->pem}};
  }
  json tags = json::array();
  for (const Emoji& emoji : actor.emojis) tags.push_back(emoji_json(emoji));
  out["tag"] = std::move(tags);
  json fields = json::array();
  for (const ProfileField& field : actor.fields)
    fields.push_back({{"type", "PropertyValue"}, {"name", field.name}, {"value", field.value}});
  out["attachment"] = std::move(fields);
  if (!actor.shared_inbox.empty()) out["endpoints"] = {{"sharedInbox", actor.shared_inbox}};
  if (!actor.icon.url.empty()) out["icon"] = image_json(actor.icon);
  if (!actor.image.url.empty()) out["image"] = image_json(actor.image);
  put(out, "movedTo", actor.moved_to);
  put_list(out, "alsoKnownAs", actor.also_known_as);
  return out;
}

json tombstone_json(const Tombstone& tombstone) {
  json out = json::object();
  out["id"] = tombstone.id;
  out["type"] = "Tombstone";
  put(out, "formerType", tombstone.former_type);
  put(out, "deleted", tombstone.deleted);
  return out;
}

json unsupported_json(const Unsupported& unsupported) {
  json out = json::object();
  put(out, "id", unsupported.id);
  out["type"] = unsupported.type;
  put(out, "actor", unsupported.actor);
  return out;
}

json document_json(const Document& document) {
  struct Visitor {
    json operator()(const Activity& v) const { return activity_json(v); }
    json operator()(const Object& v) const { return object_json(v); }
    json operator()(const Actor& v) const { return actor_json(v); }
    json operator()(const Tombstone& v) const { return tombstone_json(v); }
    json operator()(const Unsupported& v) const { return unsupported_json(v); }
  };
  return std::visit(Visitor{}, document.value);
}

// The @context goes first, then the document's own members.
std::string serialise(json body) {
  json out = json::object();
  out["@context"] = context();
  for (auto it = body.begin(); it != body.end(); ++it) out[it.key()] = std::move(it.value());
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

std::string write_document(const Document& document) {
  return serialise(document_json(document));
}
std::string write_activity(const Activity& activity) {
  return serialise(activity_json(activity));
}
std::string write_object(const Object& object) {
  return serialise(object_json(object));
}
std::string write_actor(const Actor& actor) {
  return serialise(actor_json(actor));
}
std::string write_tombstone(const Tombstone& tombstone) {
  return serialise(tombstone_json(tombstone));
}

}  // namespace kith::ap
