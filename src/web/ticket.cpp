// Sealing and opening authorization tickets (ticket.hpp).
#include "kith/web/ticket.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <nlohmann/json.hpp>

#include "kith/ap/base64.hpp"

namespace kith::web {
namespace {

std::string base64url(std::string_view bytes) {
  std::string text = ap::base64_encode(bytes);
  while (!text.empty() && text.back() == '=') text.pop_back();
  for (char& c : text) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return text;
}

std::optional<std::string> from_base64url(std::string_view text) {
  std::string standard(text);
  for (char& c : standard) {
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
    else if (c == '+' || c == '/' || c == '=')
      return std::nullopt;
  }
  auto bytes = ap::base64_decode(standard, ap::Base64Padding::optional);
  if (!bytes) return std::nullopt;
  return std::string(bytes->begin(), bytes->end());
}

std::string mac(std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &size);
  return base64url(std::string_view(reinterpret_cast<const char*>(out), size));
}

}  // namespace

bool same_secret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string csrf_binding(std::string_view csrf_token) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(csrf_token.data()), csrf_token.size(), digest);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char byte : digest) {
    out += hex[byte >> 4];
    out += hex[byte & 0xf];
  }
  return out;
}

std::string seal_ticket(const AuthorizationTicket& ticket, std::string_view key) {
  const nlohmann::json body = {{"u", ticket.user_id},      {"c", ticket.client_id},
                               {"r", ticket.redirect_uri}, {"s", ticket.scope},
                               {"t", ticket.state},        {"p", ticket.code_challenge},
                               {"b", ticket.csrf_binding}, {"e", ticket.expires_at}};
  const std::string payload =
      base64url(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  return payload + "." + mac(key, payload);
}

std::optional<AuthorizationTicket> open_ticket(std::string_view sealed, std::string_view key,
                                               std::int64_t now) {
  if (sealed.size() > kMaxTicketLength) return std::nullopt;
  const auto dot = sealed.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const std::string_view payload = sealed.substr(0, dot);
  if (!same_secret(mac(key, payload), sealed.substr(dot + 1))) return std::nullopt;
  const std::optional<std::string> text = from_base64url(payload);
  if (!text) return std::nullopt;
  const nlohmann::json body = nlohmann::json::parse(*text, nullptr, false);
  if (!body.is_object()) return std::nullopt;
  try {
    AuthorizationTicket ticket;
    ticket.user_id = body.at("u").get<std::int64_t>();
    ticket.client_id = body.at("c").get<std::string>();
    ticket.redirect_uri = body.at("r").get<std::string>();
    ticket.scope = body.at("s").get<std::string>();
    ticket.state = body.at("t").get<std::string>();
    ticket.code_challenge = body.at("p").get<std::string>();
    ticket.csrf_binding = body.at("b").get<std::string>();
    ticket.expires_at = body.at("e").get<std::int64_t>();
    if (ticket.expires_at <= now) return std::nullopt;
    return ticket;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;  // sealed by us, so only a key change gets here
  }
}

}  // namespace kith::web
