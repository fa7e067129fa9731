// The inbox queue's job payload: what the HTTP side writes once it has
// proved who sent an activity, and what the inbox worker reads back.
//
// The payload is the contract between the two halves of the inbox
// (inbox.hpp), so it is written and read in one place. Reading is strict:
// a payload of the wrong shape is a bug or a tampered row, and the worker
// fails that job rather than guess. The body is kept as the exact text that
// arrived (a JSON string inside the JSON payload), never re-serialised, so
// the worker parses the same bytes the signature covered.
#include <nlohmann/json.hpp>

#include "kith/ap/digest.hpp"
#include "kith/ap/inbox.hpp"

namespace kith::ap {
namespace {

std::string hex(const Bytes& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (auto b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

}  // namespace

std::string inbox_payload(const InboundActivity& activity) {
  const nlohmann::json payload = {{"body", activity.body},
                                  {"signer", activity.signer},
                                  {"signer_account_id", activity.signer_account_id},
                                  {"recipient_account_id", activity.recipient_account_id},
                                  {"received_at", activity.received_at}};
  return payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<InboundActivity> parse_inbox_payload(std::string_view payload) {
  const auto json = nlohmann::json::parse(payload, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  InboundActivity activity;
  const auto text = [&](const char* name, std::string& out) {
    const auto it = json.find(name);
    if (it == json.end() || !it->is_string()) return false;
    out = it->get<std::string>();
    return true;
  };
  const auto integer = [&](const char* name, std::int64_t& out) {
    const auto it = json.find(name);
    if (it == json.end() || !it->is_number_integer()) return false;
    out = it->get<std::int64_t>();
    return out >= 0;
  };
  if (!text("body", activity.body) || !text("signer", activity.signer) ||
      !integer("signer_account_id", activity.signer_account_id) ||
      !integer("recipient_account_id", activity.recipient_account_id))
    return std::nullopt;
  // received_at is informational: absent is tolerated, a non-string is not.
  if (const auto it = json.find("received_at"); it != json.end()) {
    if (!it->is_string()) return std::nullopt;
    activity.received_at = it->get<std::string>();
  }
  if (activity.body.empty() || activity.body.size() > kMaxInboxBodyBytes) return std::nullopt;
  return activity;
}

std::string inbox_dedupe_key(std::string_view activity_id) {
  return "inbox:" + hex(sha256(activity_id));
}

}  // namespace kith::ap
