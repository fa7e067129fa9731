// Remote HTML made safe, and a local user's plain text made into HTML.
//
// Status content, account notes and profile field values arrive from other
// servers as HTML that nobody here wrote. sanitize_html() parses it with a
// real HTML parser (gumbo, the WHATWG algorithm, as a fragment inside a
// <div>) and writes a new document from the parsed tree, keeping only an
// allowlist of elements, attributes, classes and link schemes. The one idea:
// nothing of the input is ever copied through as markup; every tag and
// attribute in the output is one this file wrote, and every text is
// re-escaped. The output is built so that parsing it again gives the same
// tree (block elements never sit inside a <p>, <li> only inside a list, <a>
// never inside <a>, the <pre> newline rule is respected), so sanitising is
// idempotent and what is stored is what browsers and clients will see.
// What it must never do: emit an element, attribute or URL scheme that is
// not on the allowlist; run gumbo without its memory bound; recurse over the
// depth of the input.
//
// The allowlist (compare Mastodon's Sanitize::Config::MASTODON_STRICT and
// GoToSocial's internal/text/sanitize.go; ours is close to Mastodon's):
//   elements   p br span a del s pre code em strong b i u ul ol li blockquote;
//              h1-h6 become <p><strong>…</strong></p> as in Mastodon.
//   attributes a[href] (see kLinkSchemes), a[class], a[rel] (only the token
//              "tag" survives; "nofollow noopener" is always added, as is
//              target="_blank"), span[class], p[class], ol[start], ol[reversed],
//              li[value]. class keeps only microformats names (h-*, p-*, u-*,
//              dt-*, e-*), mention, hashtag, invisible, ellipsis, quote-inline.
//   dropped    with their content: script, style, template, iframe, object,
//              embed, svg, math (and anything else outside the HTML
//              namespace), form controls, media elements, head elements,
//              comments, processing instructions and doctypes.
//   unwrapped  every other element: its tags go, its text stays (block-level
//              ones leave a space so that words do not run together).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kith::ap {

// Larger inputs are refused (nullopt), not truncated. The ActivityStreams
// reader's content limit is no larger, so accepted content always fits.
inline constexpr std::size_t kMaxHtmlInputBytes = 128 * 1024;
// The most memory gumbo may hold while parsing one input. HTML's
// "reconstruct the active formatting elements" step can turn n bytes into
// O(n^2) nodes; when this bound is reached the parse is abandoned and the
// input refused.
inline constexpr std::size_t kMaxHtmlParseMemory = 16 * 1024 * 1024;
// Inputs with more tags than this, or a tag with more attributes, are
// refused before parsing: parts of the HTML algorithm take time quadratic in
// these and gumbo does not bound them. Counted by a scan that can only
// overestimate (after <script>, <style>, <svg> and the like, whose content
// the tokenizer reads by context, every space, quote and slash counts as a
// possible attribute, up to 16 * kMaxHtmlAttributes).
inline constexpr std::size_t kMaxHtmlTags = 4096;
inline constexpr std::size_t kMaxHtmlAttributes = 256;
// Allowed elements nested deeper than this are unwrapped (their text stays).
inline constexpr int kMaxHtmlDepth = 32;
// Links with a longer href are unwrapped.
inline constexpr std::size_t kMaxHrefBytes = 4096;

// URL schemes an <a href> may use: the web, and the peer-to-peer and
// non-web schemes Mastodon also allows (Sanitize::Config::LINK_PROTOCOLS).
// No javascript:, data:, vbscript:, file: or relative URLs (a relative URL
// from a remote post would resolve against this server). mailto: is left out
// as Mastodon leaves it out: links that show there show here.
inline constexpr std::string_view kLinkSchemes[] = {
    "http", "https", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "xmpp", "magnet", "gemini"};

// The allowlisted form of `html`: well-formed, UTF-8, idempotent
// (sanitize_html(*sanitize_html(x)) == sanitize_html(x)). nullopt when the
// input is over kMaxHtmlInputBytes, kMaxHtmlTags or kMaxHtmlAttributes, or
// parsing it needs more than kMaxHtmlParseMemory; the caller refuses the
// content then.
std::optional<std::string> sanitize_html(std::string_view html);

// Plain text for previews, notifications and search: no markup, entities
// decoded, whitespace collapsed except in <pre>, paragraphs (p, headings,
// blockquote, pre) separated by a blank line, other blocks (li, div, table
// rows…) and <br> by a line break; leading and trailing whitespace trimmed.
// Dropped elements (script, style…) contribute nothing. Not HTML: escape it
// before putting it in a page. nullopt under the same limits as
// sanitize_html.
std::optional<std::string> html_to_text(std::string_view html);

// The href to write for a link, or nullopt when it must not be a link: the
// WHATWG URL parser's view of the value (leading and trailing C0 controls
// and spaces stripped, tabs and newlines removed) with a scheme from
// kLinkSchemes (case-insensitive), no other control characters or spaces,
// at most kMaxHrefBytes; http and https need "//" and a host.
std::optional<std::string> safe_link_href(std::string_view href);

// Escapes &, <, >, " and ' so that `text` can go into element content or a
// quoted attribute value; and, as the HTML parser would on reading it back,
// replaces invalid UTF-8, control characters and noncharacters with U+FFFD,
// drops NUL and turns CR LF and CR into LF.
std::string escape_html(std::string_view text);

// A piece of a user's text that becomes markup. Offsets are bytes into the
// line given to the finder; `html` replaces that range verbatim, so it must
// be markup that sanitize_html keeps unchanged (an <a> written by
// link_html(), a mention's <span class="h-card">…).
struct TextLink {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string html;
};

// Finds the links in one line of a user's text. This is the extension point
// for mentions (@alice@host) and hashtags (#tag): the service that resolves
// them adds a finder; today only find_url_links exists.
using LinkFinder = std::function<std::vector<TextLink>(std::string_view line)>;

// http:// and https:// URLs in a line, as links shortened for display the way
// Mastodon does it (the scheme and "www." hidden in a span of class
// "invisible", and past 30 characters the rest hidden behind an "ellipsis").
// A URL ends at whitespace or at < > " ; trailing punctuation and an
// unbalanced closing parenthesis are not part of it.
std::vector<TextLink> find_url_links(std::string_view line);

// An <a> start tag as sanitize_html writes one: href (escaped), then class
// when given, then rel="nofollow noopener[ extra_rel]" and target="_blank".
std::string link_start_tag(std::string_view href, std::string_view class_list = {},
                           std::string_view extra_rel = {});

// A local user's plain text as HTML: CR LF and CR become LF, blank lines
// separate paragraphs (<p>), other newlines become <br>, everything else is
// escaped, and what the finders recognise becomes their markup (overlaps go
// to the earlier link; at the same place, to the earlier finder). Invalid
// UTF-8, and control characters and noncharacters that the HTML parser
// would replace, become U+FFFD; NUL is dropped; so the result is a fixed
// point of sanitize_html. Empty or blank text gives "". The one-argument
// form uses find_url_links.
std::string text_to_html(std::string_view text);
std::string text_to_html(std::string_view text, std::span<const LinkFinder> finders);

}  // namespace kith::ap
