// kith's URL scheme (local_urls.hpp).
#include "kith/ap/local_urls.hpp"

#include <algorithm>

#include "kith/ap/digest.hpp"

namespace kith::ap::urls {

namespace {
constexpr std::size_t kMaxUsernameLength = 30;  // as db/users.cpp
// Bytes of SHA-256 (as hex) that tell apart the Follows one follow answers.
constexpr std::size_t kFollowHashBytes = 8;

std::string short_hash(std::string_view text) {
  constexpr char kHex[] = "0123456789abcdef";
  const Bytes digest = sha256(text);
  std::string out;
  for (std::size_t i = 0; i < kFollowHashBytes && i < digest.size(); ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0x0f];
  }
  return out;
}
}  // namespace

std::string origin(std::string_view host) {
  return "https://" + std::string(host);
}

std::string actor(std::string_view host, std::string_view username) {
  return origin(host) + "/users/" + std::string(username);
}

std::string key_id(std::string_view actor_uri) {
  return std::string(actor_uri) + "#main-key";
}

std::string profile_page(std::string_view host, std::string_view username) {
  return origin(host) + "/@" + std::string(username);
}

std::string inbox(std::string_view actor_uri) {
  return std::string(actor_uri) + "/inbox";
}
std::string outbox(std::string_view actor_uri) {
  return std::string(actor_uri) + "/outbox";
}
std::string followers(std::string_view actor_uri) {
  return std::string(actor_uri) + "/followers";
}
std::string following(std::string_view actor_uri) {
  return std::string(actor_uri) + "/following";
}
std::string featured(std::string_view actor_uri) {
  return std::string(actor_uri) + "/collections/featured";
}

std::string shared_inbox(std::string_view host) {
  return origin(host) + "/inbox";
}

std::string status(std::string_view actor_uri, std::int64_t status_id) {
  return std::string(actor_uri) + "/statuses/" + std::to_string(status_id);
}

std::string status_activity(std::string_view status_uri) {
  return std::string(status_uri) + "/activity";
}

std::string status_page(std::string_view host, std::string_view username, std::int64_t status_id) {
  return profile_page(host, username) + "/" + std::to_string(status_id);
}

std::string tag_page(std::string_view host, std::string_view name) {
  return origin(host) + "/tags/" + std::string(name);
}

namespace {
std::string with_fragment(std::string_view uri, std::string_view fragment, std::int64_t number) {
  return std::string(uri) + "#" + std::string(fragment) + std::to_string(number);
}
}  // namespace

std::string follow_activity(std::string_view actor_uri, std::int64_t follow_id) {
  return with_fragment(actor_uri, "follows/", follow_id);
}
std::string like_activity(std::string_view actor_uri, std::int64_t favourite_id) {
  return with_fragment(actor_uri, "likes/", favourite_id);
}
std::string block_activity(std::string_view actor_uri, std::int64_t block_id) {
  return with_fragment(actor_uri, "blocks/", block_id);
}
std::string accept_follow_activity(std::string_view actor_uri, std::int64_t follow_id,
                                   std::string_view follow_activity_id) {
  return with_fragment(actor_uri, "accepts/follows/", follow_id) + "/" +
         short_hash(follow_activity_id);
}
std::string reject_follow_activity(std::string_view actor_uri, std::int64_t follow_id,
                                   std::string_view follow_activity_id) {
  return with_fragment(actor_uri, "rejects/follows/", follow_id) + "/" +
         short_hash(follow_activity_id);
}
std::string update_activity(std::string_view object_uri, std::int64_t unix_micros) {
  return with_fragment(object_uri, "updates/", unix_micros);
}
std::string delete_activity(std::string_view object_uri) {
  return std::string(object_uri) + "#delete";
}
std::string move_activity(std::string_view actor_uri, std::int64_t unix_micros) {
  return with_fragment(actor_uri, "moves/", unix_micros);
}
std::string flag_activity(std::string_view host, std::int64_t report_id) {
  return with_fragment(instance_actor(host), "flags/", report_id);
}
std::string undo_activity(std::string_view undone_id) {
  return std::string(undone_id) + "/undo";
}

std::string authority(std::string_view url) {
  constexpr std::string_view scheme = "https://";
  if (!url.starts_with(scheme)) return "";
  url.remove_prefix(scheme.size());
  return std::string(url.substr(0, url.find_first_of("/?#")));
}

std::string instance_actor(std::string_view host) {
  return origin(host) + "/actor";
}

bool valid_username(std::string_view name) {
  return !name.empty() && name.size() <= kMaxUsernameLength &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_';
         });
}

}  // namespace kith::ap::urls
