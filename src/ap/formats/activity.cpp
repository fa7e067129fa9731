// What a typed ActivityStreams document points at, for the origin checks
// the federation code makes before believing it; and small accessors.
#include <string>

#include "kith/ap/activity.hpp"

namespace kith::ap {
namespace {

class ReferenceCollector {
 public:
  std::vector<Reference> references;

  void document(const Document& document, const std::string& path, bool embedded) {
    std::visit([&](const auto& value) { visit(value, path, embedded); }, document.value);
  }

 private:
  static std::string at(const std::string& path, std::string_view name) {
    return path.empty() ? std::string(name) : path + "." + std::string(name);
  }

  void add(const std::string& path, std::string_view name, Role role, const std::string& url,
           bool embedded) {
    if (!url.empty()) references.push_back(Reference{at(path, name), role, url, embedded});
  }

  void list(const std::string& path, std::string_view name, Role role,
            const std::vector<std::string>& urls, bool embedded) {
    for (std::size_t i = 0; i < urls.size(); ++i)
      add(path, std::string(name) + "[" + std::to_string(i) + "]", role, urls[i], embedded);
  }

  void addressing(const Addressing& a, const std::string& path, bool embedded) {
    list(path, "to", Role::addressee, a.to, embedded);
    list(path, "cc", Role::addressee, a.cc, embedded);
    list(path, "bto", Role::addressee, a.bto, embedded);
    list(path, "bcc", Role::addressee, a.bcc, embedded);
    list(path, "audience", Role::addressee, a.audience, embedded);
  }

  void emojis(const std::vector<Emoji>& emojis, const std::string& path, bool embedded) {
    for (const Emoji& emoji : emojis) {
      add(path, "tag.id", Role::emoji, emoji.id, embedded);
      add(path, "tag.icon.url", Role::media, emoji.icon_url, embedded);
    }
  }

  void visit(const Activity& a, const std::string& path, bool embedded) {
    add(path, "id", Role::id, a.id, embedded);
    add(path, "actor", Role::actor, a.actor, embedded);
    add(path, "object", Role::object, a.object, embedded);
    for (std::size_t i = 0; i < a.other_objects.size(); ++i)
      add(path, "object[" + std::to_string(i + 1) + "]", Role::object, a.other_objects[i],
          embedded);
    add(path, "target", Role::target, a.target, embedded);
    addressing(a.addressing, path, embedded);
    if (a.embedded) document(*a.embedded, at(path, "object"), true);
  }

  void visit(const Object& o, const std::string& path, bool embedded) {
    add(path, "id", Role::id, o.id, embedded);
    add(path, "attributedTo", Role::attributed_to, o.attributed_to, embedded);
    add(path, "inReplyTo", Role::in_reply_to, o.in_reply_to, embedded);
    add(path, "url", Role::url, o.url, embedded);
    add(path, "quote", Role::quote, o.quote, embedded);
    addressing(o.addressing, path, embedded);
    for (const Mention& mention : o.mentions)
      add(path, "tag.href", Role::mention, mention.href, embedded);
    for (const Hashtag& hashtag : o.hashtags)
      add(path, "tag.href", Role::url, hashtag.href, embedded);
    emojis(o.emojis, path, embedded);
    for (std::size_t i = 0; i < o.attachments.size(); ++i)
      add(path, "attachment[" + std::to_string(i) + "].url", Role::media, o.attachments[i].url,
          embedded);
  }

  void visit(const Actor& a, const std::string& path, bool embedded) {
    add(path, "id", Role::id, a.id, embedded);
    add(path, "url", Role::url, a.url, embedded);
    add(path, "icon.url", Role::media, a.icon.url, embedded);
    add(path, "image.url", Role::media, a.image.url, embedded);
    add(path, "inbox", Role::inbox, a.inbox, embedded);
    add(path, "outbox", Role::outbox, a.outbox, embedded);
    add(path, "followers", Role::followers, a.followers, embedded);
    add(path, "following", Role::following, a.following, embedded);
    add(path, "featured", Role::featured, a.featured, embedded);
    add(path, "endpoints.sharedInbox", Role::shared_inbox, a.shared_inbox, embedded);
    if (a.public_key) {
      add(path, "publicKey.id", Role::key_id, a.public_key->id, embedded);
      add(path, "publicKey.owner", Role::key_owner, a.public_key->owner, embedded);
    }
    add(path, "movedTo", Role::moved_to, a.moved_to, embedded);
    list(path, "alsoKnownAs", Role::also_known_as, a.also_known_as, embedded);
    emojis(a.emojis, path, embedded);
  }

  void visit(const Tombstone& t, const std::string& path, bool embedded) {
    add(path, "id", Role::id, t.id, embedded);
  }

  void visit(const Unsupported& u, const std::string& path, bool embedded) {
    add(path, "id", Role::id, u.id, embedded);
  }
};

}  // namespace

const std::string& Document::id() const {
  return std::visit([](const auto& v) -> const std::string& { return v.id; }, value);
}

const std::string& Document::type() const {
  static const std::string kTombstone = "Tombstone";
  return std::visit(
      [](const auto& v) -> const std::string& {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, Tombstone>)
          return kTombstone;
        else
          return v.type;
      },
      value);
}

std::string_view role_name(Role role) {
  switch (role) {
    case Role::id:
      return "id";
    case Role::actor:
      return "actor";
    case Role::object:
      return "object";
    case Role::target:
      return "target";
    case Role::attributed_to:
      return "attributedTo";
    case Role::in_reply_to:
      return "inReplyTo";
    case Role::quote:
      return "quote";
    case Role::addressee:
      return "addressee";
    case Role::url:
      return "url";
    case Role::mention:
      return "mention";
    case Role::media:
      return "media";
    case Role::emoji:
      return "emoji";
    case Role::inbox:
      return "inbox";
    case Role::outbox:
      return "outbox";
    case Role::followers:
      return "followers";
    case Role::following:
      return "following";
    case Role::featured:
      return "featured";
    case Role::shared_inbox:
      return "sharedInbox";
    case Role::key_id:
      return "keyId";
    case Role::key_owner:
      return "keyOwner";
    case Role::moved_to:
      return "movedTo";
    case Role::also_known_as:
      return "alsoKnownAs";
  }
  return "unknown";
}

std::vector<Reference> list_references(const Document& document) {
  ReferenceCollector collector;
  collector.document(document, "", false);
  return std::move(collector.references);
}

bool addresses_public(const Addressing& addressing) {
  for (const auto* list : {&addressing.to, &addressing.cc, &addressing.audience})
    for (const std::string& entry : *list)
      if (entry == kPublicCollection) return true;
  return false;
}

}  // namespace kith::ap
