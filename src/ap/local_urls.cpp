// kith's URL scheme (local_urls.hpp).
#include "kith/ap/local_urls.hpp"

#include <algorithm>

namespace kith::ap::urls {

namespace {
constexpr std::size_t kMaxUsernameLength = 30;  // as db/users.cpp
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
