// Parsing `kith_mod` payloads (moderation_notice.hpp).
#include "moderation_notice.hpp"

#include <charconv>
#include <vector>

namespace kith::api {

namespace {

// Longest domain name (RFC 1035), for `d` and `D` notices.
constexpr std::size_t kMaxDomainLength = 253;

// At most max_fields + 1 fields, so an over-long payload is refused by the
// field count without being split whole.
std::vector<std::string_view> split_spaces(std::string_view text, std::size_t max_fields) {
  std::vector<std::string_view> fields;
  while (!text.empty() && fields.size() <= max_fields) {
    const std::size_t space = text.find(' ');
    fields.push_back(text.substr(0, space));
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
  }
  return fields;
}

}  // namespace

std::optional<std::int64_t> parse_notice_number(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

std::optional<ModerationNotice> parse_moderation_notice(std::string_view payload) {
  const auto fields = split_spaces(payload, 5);
  if (fields.empty() || fields[0].size() != 1) return std::nullopt;
  ModerationNotice notice;
  const char kind = fields[0][0];
  if (kind == 'x') {
    if (fields.size() != 2) return std::nullopt;
    auto status = parse_notice_number(fields[1]);
    if (!status || *status == 0) return std::nullopt;
    notice.kind = ModerationNotice::Kind::status_deleted;
    notice.signal.status = *status;
    return notice;
  }
  if (kind == 'd' || kind == 'D') {
    if (fields.size() != 4) return std::nullopt;
    auto rater = parse_notice_number(fields[1]);
    auto at = parse_notice_number(fields[3]);
    if (!rater || !at || fields[2].empty() || fields[2].size() > kMaxDomainLength)
      return std::nullopt;
    notice.kind =
        kind == 'd' ? ModerationNotice::Kind::domain_block : ModerationNotice::Kind::domain_unblock;
    notice.signal.rater = *rater;
    notice.domain = std::string(fields[2]);
    notice.sent_at_ms = *at;
    return notice;
  }
  if (kind == 'c' || kind == 'o') {
    if (fields.size() != 2) return std::nullopt;
    auto status = parse_notice_number(fields[1]);
    if (!status || *status == 0) return std::nullopt;
    notice.kind = ModerationNotice::Kind::admin_decision;
    notice.signal.status = *status;
    notice.confirmed = kind == 'c';
    return notice;
  }
  if (kind == 'P') {
    if (fields.size() != 5) return std::nullopt;
    auto account = parse_notice_number(fields[1]);
    double sensitivity = -1;
    const auto [end, error] =
        std::from_chars(fields[3].data(), fields[3].data() + fields[3].size(), sensitivity);
    if (!account || *account == 0 || (fields[2] != "0" && fields[2] != "1") || fields[3].empty() ||
        fields[3][0] == '-' || error != std::errc() || end != fields[3].data() + fields[3].size() ||
        !(sensitivity >= 0 && sensitivity <= 1) || (fields[4] != "warn" && fields[4] != "hide"))
      return std::nullopt;
    notice.kind = ModerationNotice::Kind::preferences;
    notice.signal.rater = *account;
    notice.preferences = mod::Preferences{
        fields[2] == "1", sensitivity, fields[4] == "hide" ? mod::Action::hide : mod::Action::warn};
    return notice;
  }
  if (kind == 'a') {
    if (fields.size() != 5) return std::nullopt;
    auto account = parse_notice_number(fields[1]);
    auto created = parse_notice_number(fields[2]);
    if (!account || !created || (fields[3] != "0" && fields[3] != "1") ||
        (fields[4] != "0" && fields[4] != "1"))
      return std::nullopt;
    notice.kind = ModerationNotice::Kind::account_facts;
    notice.signal.rater = *account;
    notice.facts = mod::AccountFacts{*created, fields[3] == "1", fields[4] == "1"};
    return notice;
  }
  mod::SignalKind signal_kind;
  switch (kind) {
    case 'f':
      signal_kind = mod::SignalKind::flag;
      break;
    case 'p':
      signal_kind = mod::SignalKind::positive;
      break;
    case 'm':
      signal_kind = mod::SignalKind::author_mute;
      break;
    case 'b':
      signal_kind = mod::SignalKind::author_block;
      break;
    case 'u':
      signal_kind = mod::SignalKind::author_unmute;
      break;
    case 'n':
      signal_kind = mod::SignalKind::unpositive;
      break;
    default:
      return std::nullopt;
  }
  if (fields.size() != 5) return std::nullopt;
  auto rater = parse_notice_number(fields[1]);
  auto status = parse_notice_number(fields[2]);
  auto author = parse_notice_number(fields[3]);
  auto at = parse_notice_number(fields[4]);
  if (!rater || !status || !author || !at || *rater == 0) return std::nullopt;
  notice.signal = mod::Signal{*rater, *status, *author, signal_kind, *at / 1000};
  notice.sent_at_ms = *at;
  return notice;
}

}  // namespace kith::api
