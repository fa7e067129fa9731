// Content negotiation: reading a request's Accept header (RFC 9110 12.5.1)
// and choosing what to answer at a URL that has several representations.
//
// An actor or status URL answers ActivityStreams JSON to servers and HTML to
// browsers, and the only signal is the Accept header. Other servers send it
// in many shapes: `application/activity+json`, `application/ld+json;
// profile="https://www.w3.org/ns/activitystreams"`, lists with q-values,
// `*/*`. The one idea: parse the header into media ranges with their
// parameters and weights once, then give each representation the weight of
// the most specific range that matches it (a `profile` parameter counts, and
// must name the representation's profile), and pick the heaviest; at equal
// weight one named by its type beats one reached only by a wildcard, then
// the server's order decides. Servers come first in kith's order: a client that does not say
// (no Accept, `*/*`) gets ActivityStreams, and a browser, which always names
// text/html, gets HTML. What it must never do: let a malformed element
// change the meaning of the others (it is skipped), or look at more than
// kMaxAcceptBytes and kMaxMediaRanges.
//
// Pure functions of their input, linked by the fuzz target
// (tests/fuzz/accept.cpp).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kith::ap {

// Input beyond this is not read (the request head is at most 16 KiB).
inline constexpr std::size_t kMaxAcceptBytes = 8 * 1024;
// Media ranges beyond this are ignored.
inline constexpr std::size_t kMaxMediaRanges = 64;
// Parameters of one range beyond this make the range malformed (skipped).
inline constexpr std::size_t kMaxMediaRangeParameters = 16;
// RFC 9110 qvalues have at most three decimals: weights are kept as
// thousandths.
inline constexpr int kMaxQuality = 1000;

// The ActivityStreams media types (ActivityPub 3.2).
inline constexpr std::string_view kActivityStreamsProfile = "https://www.w3.org/ns/activitystreams";
inline constexpr std::string_view kActivityJsonType = "application/activity+json";
inline constexpr std::string_view kLdJsonActivityStreamsType =
    "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";

struct MediaRange {
  std::string type;     // lower case; "*" in "*/*"
  std::string subtype;  // lower case; "*" in "type/*" and "*/*"
  // Parameters before the weight, names lower case, quoted strings
  // unquoted. Parameters after "q" are accept-extensions and dropped.
  std::vector<std::pair<std::string, std::string>> parameters;
  int quality = kMaxQuality;  // 0..1000; 0 means "not acceptable"

  bool operator==(const MediaRange&) const = default;
};

// The media ranges of an Accept field value, in order. Elements that do not
// parse (bad tokens, a bad q, unbalanced quotes, too many parameters) are skipped; the rest are
// kept. Only the first kMaxAcceptBytes are read, and at most kMaxMediaRanges ranges returned.
std::vector<MediaRange> parse_accept(std::string_view value);

// A representation the server can send: type/subtype, lower case, and
// optionally the profile it conforms to.
struct MediaOffer {
  std::string_view type;
  std::string_view subtype;
  std::string_view profile;  // "" for none
};

// Which offer to send for an Accept header: an index into `offers`, or
// nullopt when the client accepts none of them (406). A missing or empty
// header, or one in which nothing parses, accepts anything (the first offer).
std::optional<std::size_t> negotiate(std::optional<std::string_view> accept,
                                     std::span<const MediaOffer> offers);

// What kith serves at an actor or object URL.
enum class Representation {
  activity_json,  // application/activity+json
  ld_json,        // application/ld+json; profile="…activitystreams"
  html,           // text/html
};

// Negotiates among the three, in that order of preference; nullopt: 406.
std::optional<Representation> choose_representation(std::optional<std::string_view> accept);

// Negotiates among the two ActivityStreams types only, for documents that
// have no HTML form; nullopt: 406.
std::optional<Representation> choose_activity_streams(std::optional<std::string_view> accept);

// The Content-Type to send with a representation.
std::string_view content_type(Representation representation);

}  // namespace kith::ap
