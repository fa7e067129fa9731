// Accept headers (RFC 9110 12.5.1) and the choice of a representation
// (content_negotiation.hpp).
#include "kith/ap/content_negotiation.hpp"
#include "kith/http/message.hpp"

#include <algorithm>

namespace kith::ap {
namespace {

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

// Reads one list element of an Accept value; `pos` ends at the ',' that
// closes it or at the end.
class ElementParser {
 public:
  ElementParser(std::string_view text, std::size_t& pos) : text_(text), pos_(pos) {}

  // nullopt: malformed (the caller skips to the next element).
  std::optional<MediaRange> parse() {
    MediaRange range;
    const std::string_view type = token();
    if (type.empty() || !consume('/')) return std::nullopt;
    const std::string_view subtype = token();
    if (subtype.empty()) return std::nullopt;
    range.type = lower(type);
    range.subtype = lower(subtype);
    if (range.type == "*" && range.subtype != "*") return std::nullopt;
    // RFC 9110 5.6.6: parameters = *( OWS ";" OWS [ parameter ] )
    // RFC 9110 12.4.2: weight = OWS ";" OWS "q=" qvalue, and what follows
    // the weight are accept-extensions.
    bool weighted = false;
    while (true) {
      skip_ows();
      if (at_end() || peek() == ',') return range;
      if (!consume(';')) return std::nullopt;
      skip_ows();
      if (at_end() || peek() == ',' || peek() == ';') continue;  // empty parameter
      const std::string_view name = token();
      if (name.empty() || !consume('=')) return std::nullopt;
      std::optional<std::string> value = parameter_value();
      if (!value) return std::nullopt;
      if (weighted) continue;  // an accept-extension
      std::string lower_name = lower(name);
      if (lower_name == "q") {
        const std::optional<int> quality = qvalue(*value);
        if (!quality) return std::nullopt;
        range.quality = *quality;
        weighted = true;
      } else {
        if (range.parameters.size() >= kMaxMediaRangeParameters) return std::nullopt;
        range.parameters.emplace_back(std::move(lower_name), std::move(*value));
      }
    }
  }

  // Moves past the rest of a malformed element: to the next ',' outside a
  // quoted string, or to the end.
  void skip_element() {
    bool quoted = false;
    while (!at_end()) {
      const char c = peek();
      if (quoted && c == '\\') {
        pos_ = std::min(pos_ + 2, text_.size());
        continue;
      }
      if (c == '"') quoted = !quoted;
      if (c == ',' && !quoted) return;
      ++pos_;
    }
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }
  bool consume(char c) {
    if (at_end() || peek() != c) return false;
    ++pos_;
    return true;
  }
  void skip_ows() {
    while (!at_end() && (peek() == ' ' || peek() == '\t')) ++pos_;
  }
  std::string_view token() {
    const std::size_t start = pos_;
    while (!at_end() && http::is_token_char(peek())) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  // RFC 9110 5.6.6: parameter-value = ( token / quoted-string )
  std::optional<std::string> parameter_value() {
    if (at_end()) return std::nullopt;
    if (peek() != '"') {
      const std::string_view value = token();
      if (value.empty()) return std::nullopt;
      return std::string(value);
    }
    // RFC 9110 5.6.4: quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
    //   qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
    //   quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
    ++pos_;
    std::string value;
    while (!at_end()) {
      const char c = peek();
      const auto byte = static_cast<unsigned char>(c);
      if (c == '"') {
        ++pos_;
        return value;
      }
      if (c == '\\') {
        if (pos_ + 1 >= text_.size()) return std::nullopt;
        const auto next = static_cast<unsigned char>(text_[pos_ + 1]);
        if (next != '\t' && (next < 0x20 || next == 0x7F)) return std::nullopt;
        value += static_cast<char>(next);
        pos_ += 2;
        continue;
      }
      if (c != '\t' && (byte < 0x20 || byte == 0x7F)) return std::nullopt;
      value += c;
      ++pos_;
    }
    return std::nullopt;  // no closing quote
  }

  // RFC 9110 12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
  static std::optional<int> qvalue(std::string_view text) {
    if (text.empty() || text.size() > 5 || (text[0] != '0' && text[0] != '1')) return std::nullopt;
    int thousandths = text[0] == '1' ? kMaxQuality : 0;
    if (text.size() == 1) return thousandths;
    if (text[1] != '.') return std::nullopt;
    int scale = 100;
    for (std::size_t i = 2; i < text.size(); ++i, scale /= 10) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      if (text[0] == '1' && text[i] != '0') return std::nullopt;
      thousandths += (text[i] - '0') * scale;
    }
    return thousandths;
  }

  std::string_view text_;
  std::size_t& pos_;
};

// How specifically `range` names `offer`: -1 not at all, 0 "*/*", 1
// "type/*", 2 "type/subtype", 3 "type/subtype" with the offer's profile.
int specificity(const MediaRange& range, const MediaOffer& offer) {
  if (range.type == "*") return 0;
  if (range.type != offer.type) return -1;
  if (range.subtype == "*") return 1;
  if (range.subtype != offer.subtype) return -1;
  for (const auto& [name, value] : range.parameters) {
    if (name != "profile") continue;
    // JSON-LD 1.1 9: the profile parameter is a space-separated list of IRIs.
    if (offer.profile.empty()) return -1;
    std::string_view rest = value;
    while (!rest.empty()) {
      const auto space = rest.find(' ');
      if (rest.substr(0, space) == offer.profile) return 3;
      if (space == std::string_view::npos) break;
      rest.remove_prefix(space + 1);
    }
    return -1;
  }
  return 2;
}

bool blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c == ' ' || c == '\t'; });
}

constexpr MediaOffer kObjectOffers[] = {
    {"application", "activity+json", ""},
    {"application", "ld+json", kActivityStreamsProfile},
    {"text", "html", ""},
};
constexpr Representation kObjectRepresentations[] = {Representation::activity_json,
                                                     Representation::ld_json, Representation::html};

}  // namespace

std::vector<MediaRange> parse_accept(std::string_view value) {
  value = value.substr(0, std::min(value.size(), kMaxAcceptBytes));
  std::vector<MediaRange> ranges;
  std::size_t pos = 0;
  while (pos < value.size() && ranges.size() < kMaxMediaRanges) {
    // RFC 9110 5.6.1: a recipient accepts and ignores empty list elements.
    while (pos < value.size() && (value[pos] == ' ' || value[pos] == '\t' || value[pos] == ','))
      ++pos;
    if (pos >= value.size()) break;
    const std::size_t start = pos;
    ElementParser parser(value, pos);
    std::optional<MediaRange> range = parser.parse();
    if (range) {
      ranges.push_back(std::move(*range));
    } else {
      pos = start;  // rescan from the start, so that quotes are paired right
      parser.skip_element();
    }
  }
  return ranges;
}

std::optional<std::size_t> negotiate(std::optional<std::string_view> accept,
                                     std::span<const MediaOffer> offers) {
  if (offers.empty()) return std::nullopt;
  if (!accept || blank(*accept)) return 0;
  const std::vector<MediaRange> ranges = parse_accept(*accept);
  if (ranges.empty()) return 0;
  std::optional<std::size_t> best;
  int best_quality = 0, best_specificity = -1;
  for (std::size_t i = 0; i < offers.size(); ++i) {
    // RFC 9110 12.5.1: the most specific reference has precedence.
    int quality = 0, most_specific = -1;
    for (const MediaRange& range : ranges) {
      const int s = specificity(range, offers[i]);
      if (s > most_specific) {
        most_specific = s;
        quality = range.quality;
      } else if (s == most_specific && s >= 0) {
        quality = std::max(quality, range.quality);
      }
    }
    if (most_specific < 0 || quality == 0) continue;
    // Between offers, at equal weight, a named type beats a wildcard; a
    // matching profile does not count again (it only picked the range).
    const int named = std::min(most_specific, 2);
    if (quality > best_quality || (quality == best_quality && named > best_specificity)) {
      best = i;
      best_quality = quality;
      best_specificity = named;
    }
  }
  return best;
}

std::optional<Representation> choose_representation(std::optional<std::string_view> accept) {
  const auto index = negotiate(accept, kObjectOffers);
  if (!index) return std::nullopt;
  return kObjectRepresentations[*index];
}

std::optional<Representation> choose_activity_streams(std::optional<std::string_view> accept) {
  const auto index = negotiate(accept, std::span(kObjectOffers, 2));
  if (!index) return std::nullopt;
  return kObjectRepresentations[*index];
}

std::string_view content_type(Representation representation) {
  switch (representation) {
    case Representation::activity_json:
      return kActivityJsonType;
    case Representation::ld_json:
      return kLdJsonActivityStreamsType;
    case Representation::html:
      return "text/html; charset=utf-8";
  }
  return kActivityJsonType;
}

}  // namespace kith::ap
