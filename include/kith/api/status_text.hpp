// The text of a status as its author typed it -> what a status is made of:
// the mentions (@user, @user@host) and hashtags (#tag) it names, and the
// HTML that clients and other servers show (escaped text, paragraphs and
// line breaks, links for URLs, mentions and hashtags), the way Mastodon
// renders plain text (app/lib/text_formatter.rb).
//
// The one idea: the author's text is never HTML. Every byte of it is
// escaped, and the only markup in the result is what this file writes
// around the spans it recognised, so no input can inject an element or an
// attribute. What it must never do: produce an href that is not http(s),
// or link a mention to an account that the caller did not resolve.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kith::api {

// Most characters (UTF-8 code points) in a status, and in a content
// warning; what GET /api/v1/instance announces.
inline constexpr std::size_t kMaxStatusCharacters = 5000;
// Most distinct mentions and hashtags read from one status; more are left
// as plain text.
inline constexpr std::size_t kMaxStatusMentions = 50;
inline constexpr std::size_t kMaxStatusHashtags = 50;

struct ParsedMention {
  std::string username;  // as written
  std::string domain;    // lower case, "" when written as @user
};

struct ParsedText {
  std::vector<ParsedMention> mentions;  // distinct (ignoring case), in order
  std::vector<std::string> hashtags;    // distinct, lower case, without '#', in order
};

// Mentions: '@' not preceded by a word character, '/' or '@'; a username of
// [A-Za-z0-9_] (dots and dashes inside); optionally '@' and a host of
// letters, digits, dots and dashes with an optional :port. Hashtags: '#' not
// preceded by a word character, '/', '&' or ')', then word characters
// (ASCII letters, digits, '_' and any non-ASCII letter bytes) with at least
// one that is not a digit.
ParsedText parse_status_text(std::string_view text);

// A mention the caller resolved to an account: where it links to.
struct ResolvedMention {
  std::string username;  // the account's username
  std::string domain;    // "" for a local account
  std::string url;       // the profile page (or actor id)
};

// The status's HTML: paragraphs for blank-line-separated blocks, <br> for
// single newlines, <a> for http(s) URLs, resolved mentions and hashtags
// (linked to https://<host>/tags/<name>). Unresolved mentions stay text.
std::string render_status_html(std::string_view text, const std::vector<ResolvedMention>& mentions,
                               std::string_view host);

// Number of UTF-8 code points (bytes that are not continuation bytes).
std::size_t count_characters(std::string_view text);

}  // namespace kith::api
