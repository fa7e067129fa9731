// The payloads of channel `kith_mod` (migrations 0016, 0018-0020), parsed
// for the moderation service (moderation_service.hpp). Each trigger writes
// one line of space-separated fields:
//   f|p|m|b|u|n <rater> <status> <author> <at_ms>  a signal (flag, positive,
//                                                   mute, block, unmute,
//                                                   positive withdrawn)
//   d|D <rater> <domain> <at_ms>                    a user's domain block
//                                                   made or lifted
//   x <status>                                      status deleted
//   a <account> <created_at_s> <local 0|1> <vouched 0|1>   account facts
//   c|o <status>                                    an admin confirmed or
//                                                   overturned it
//   P <account> <opt_out 0|1> <sensitivity> <warn|hide>   a user's
//                                                   moderation preferences
//
// What it must never do: guess. Anything malformed (a wrong field count,
// a non-numeric or negative id, an over-long domain, a sensitivity outside
// 0..1) is refused (nullopt), and nothing here throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kith/mod/engine.hpp"

namespace kith::api {

struct ModerationNotice {
  enum class Kind {
    signal,
    domain_block,
    domain_unblock,
    status_deleted,
    account_facts,
    admin_decision,
    preferences
  };
  Kind kind = Kind::signal;
  mod::Signal signal;            // signal: rater, status, author, kind, at
  std::string domain;            // domain_block, domain_unblock: signal.rater's domain block
  std::int64_t sent_at_ms = 0;   // signal, domain_(un)block: commit-side clock
  mod::AccountFacts facts;       // account_facts, for signal.rater
  bool confirmed = false;        // admin_decision, on signal.status
  mod::Preferences preferences;  // preferences, of signal.rater
};

std::optional<ModerationNotice> parse_moderation_notice(std::string_view payload);

// A non-negative decimal number and nothing else (no sign, no spaces).
std::optional<std::int64_t> parse_notice_number(std::string_view text);

}  // namespace kith::api
