// The inbox worker's pure decisions (inbox_rules.hpp): origins, visibility,
// and a remote object read as a status (ActivityStreams -> model; the other
// direction is to_activitystreams.cpp).
#include "kith/ap/inbox_rules.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "kith/ap/html_sanitizer.hpp"
#include "kith/http/url.hpp"

namespace kith::ap::inbox {
namespace {

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return !value.empty() && std::find(list.begin(), list.end(), value) != list.end();
}

// Attachment types as Mastodon keeps them: by media type when given, else
// by the ActivityStreams type.
std::string attachment_type(const Attachment& a) {
  const std::string_view media = a.media_type;
  if (media.starts_with("image/")) return "image";
  if (media.starts_with("video/")) return "video";
  if (media.starts_with("audio/")) return "audio";
  if (media.empty()) {
    if (a.type == "Image") return "image";
    if (a.type == "Video") return "video";
    if (a.type == "Audio") return "audio";
  }
  return "unknown";
}

std::string attachment_meta(const Attachment& a) {
  nlohmann::json meta = nlohmann::json::object();
  if (a.width && a.height && *a.width > 0 && *a.height > 0)
    meta["original"] = {{"width", *a.width}, {"height", *a.height}};
  if (a.focal_point) meta["focus"] = {{"x", a.focal_point->first}, {"y", a.focal_point->second}};
  return meta.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string_view verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::apply:
      return "applied";
    case Verdict::ignore:
      return "ignored";
    case Verdict::invalid:
      return "invalid";
    case Verdict::retry:
      return "retry";
  }
  return "invalid";
}

bool same_origin(std::string_view a, std::string_view b) {
  const auto x = http::parse_url(a);
  const auto y = http::parse_url(b);
  return x && y && http::same_origin(x.url->origin, y.url->origin);
}

db::Visibility visibility_from_addressing(const Addressing& addressing,
                                          std::string_view followers_url) {
  if (contains(addressing.to, kPublicCollection)) return db::Visibility::public_;
  if (contains(addressing.cc, kPublicCollection) ||
      contains(addressing.audience, kPublicCollection))
    return db::Visibility::unlisted;
  if (contains(addressing.to, followers_url) || contains(addressing.cc, followers_url))
    return db::Visibility::private_;
  return db::Visibility::direct;
}

ObjectSource object_source(const Activity& activity) {
  if (activity.embedded) {
    const std::string& id = activity.embedded->id();
    if (!id.empty() && same_origin(id, activity.actor)) return ObjectSource::embedded;
    if (!id.empty()) return ObjectSource::fetch;
  }
  return activity.object.empty() ? ObjectSource::none : ObjectSource::fetch;
}

std::optional<std::string> authorship_error(const Object& object, std::string_view actor) {
  if (object.attributed_to != actor) return "the object is not attributed to the actor";
  if (!same_origin(object.id, actor)) return "the object is not on the actor's origin";
  return std::nullopt;
}

Verdict verdict_for_fetch(FetchFailure failure) {
  switch (failure) {
    case FetchFailure::none:
      return Verdict::apply;
    // The server did not answer, or answered with an error that may pass.
    case FetchFailure::network:
    case FetchFailure::http_status:
      return Verdict::retry;
    // It is gone: there is nothing to apply.
    case FetchFailure::gone:
      return Verdict::ignore;
    // What came back is not the object, or the id cannot be fetched at all.
    case FetchFailure::bad_url:
    case FetchFailure::local:
    case FetchFailure::content_type:
    case FetchFailure::invalid:
    case FetchFailure::id_mismatch:
      return Verdict::invalid;
  }
  return Verdict::invalid;
}

std::optional<Undone> read_undone(const Activity& undo, std::string_view actor,
                                  std::string& error) {
  Undone undone;
  if (undo.embedded) {
    const Document& embedded = *undo.embedded;
    if (embedded.kind() != Kind::activity) {
      error = "Undo of something that is not an activity: " + embedded.type();
      return std::nullopt;
    }
    const Activity& inner = std::get<Activity>(embedded.value);
    if (inner.actor != actor) {
      error = "the undone activity is not the actor's";
      return std::nullopt;
    }
    undone.id = inner.id;
    undone.type = inner.type;
    undone.object = inner.object;
  } else {
    undone.id = undo.object;
  }
  if (undone.id.empty()) {
    error = "Undo without the undone activity's id";
    return std::nullopt;
  }
  if (!same_origin(undone.id, actor)) {
    error = "the undone activity's id is not on the actor's origin";
    return std::nullopt;
  }
  return undone;
}

std::optional<AnsweredFollow> read_answered_follow(const Activity& answer, std::string_view actor,
                                                   std::string& error) {
  AnsweredFollow answered;
  if (answer.embedded) {
    const Document& embedded = *answer.embedded;
    if (embedded.kind() != Kind::activity || embedded.type() != "Follow") {
      error = answer.type + " of something other than a Follow";
      return std::nullopt;
    }
    const Activity& follow = std::get<Activity>(embedded.value);
    if (follow.object != actor) {
      error = "the answered Follow is not of the actor";
      return std::nullopt;
    }
    answered.follow_uri = follow.id;
    answered.follower_uri = follow.actor;
  } else {
    answered.follow_uri = answer.object;
  }
  if (answered.follow_uri.empty() && answered.follower_uri.empty()) {
    error = "no Follow named";
    return std::nullopt;
  }
  return answered;
}

bool is_status_type(std::string_view type) {
  static constexpr std::string_view kTypes[] = {"Note",  "Question", "Article", "Page",
                                                "Image", "Video",    "Audio",   "Event"};
  return std::find(std::begin(kTypes), std::end(kTypes), type) != std::end(kTypes);
}

std::optional<db::InboundStatus> status_from_object(const Object& object, std::int64_t account_id,
                                                    std::string_view followers_url,
                                                    std::string& error) {
  db::InboundStatus s;
  s.account_id = account_id;
  s.uri = object.id;
  // A page for people on another origin would let an author pass off a link
  // as the post's (Mastodon drops it too).
  if (!object.url.empty() && same_origin(object.url, object.id)) s.url = object.url;
  std::string html = object.content;
  if (html.empty() && object.type != "Note" && object.type != "Question" && !s.url.empty())
    html = "<p>" + link_start_tag(s.url) + escape_html(s.url) + "</a></p>";
  auto content = sanitize_html(html);
  if (!content) {
    error = "the content cannot be sanitised (over the sanitiser's limits)";
    return std::nullopt;
  }
  s.content = std::move(*content);
  // summary is HTML too; kept as a plain content warning.
  auto summary = html_to_text(object.summary);
  if (!summary) {
    error = "the summary cannot be sanitised";
    return std::nullopt;
  }
  s.spoiler_text = std::move(*summary);
  s.sensitive = object.sensitive || !s.spoiler_text.empty();
  s.visibility = visibility_from_addressing(object.addressing, followers_url);
  if (!object.content_map.empty()) s.language = object.content_map.begin()->first;
  s.published = object.published;
  s.updated = object.updated;
  s.in_reply_to_uri = object.in_reply_to;
  s.quote_uri = object.quote;

  std::set<std::string> seen_tags;
  for (const auto& tag : object.hashtags) {
    std::string_view name = tag.name;
    while (name.starts_with('#')) name.remove_prefix(1);
    if (name.empty() || !seen_tags.insert(std::string(name)).second) continue;
    s.tags.emplace_back(name);
  }
  for (const auto& a : object.attachments) {
    if (a.url.empty() || !http::parse_url(a.url)) continue;
    db::InboundAttachment attachment;
    attachment.type = attachment_type(a);
    attachment.remote_url = a.url;
    attachment.media_type = a.media_type;
    attachment.description = a.name;
    attachment.blurhash = a.blurhash;
    attachment.meta_json = attachment_meta(a);
    s.attachments.push_back(std::move(attachment));
  }
  if (object.poll && !object.poll->options.empty()) {
    db::InboundPoll poll;
    poll.multiple = object.poll->multiple;
    for (const auto& option : object.poll->options)
      poll.options.push_back({option.name, std::max<std::int64_t>(0, option.votes)});
    poll.voters_count = object.poll->voters_count;
    poll.expires_at = object.poll->end_time;
    poll.closed_at = object.poll->closed;
    s.poll = std::move(poll);
  }
  return s;
}

NamedAccounts named_accounts(const Object& object, std::string_view followers_url) {
  NamedAccounts named;
  std::set<std::string> seen;
  for (const auto& mention : object.mentions)
    if (!mention.href.empty() && seen.insert(mention.href).second)
      named.mentioned.push_back(mention.href);
  const Addressing& a = object.addressing;
  for (const auto* list : {&a.to, &a.cc, &a.bto, &a.bcc, &a.audience})
    for (const auto& uri : *list) {
      if (uri == kPublicCollection || uri == followers_url) continue;
      if (seen.insert(uri).second) named.addressed.push_back(uri);
    }
  return named;
}

}  // namespace kith::ap::inbox
