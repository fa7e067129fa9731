// Plain text -> mentions, hashtags and HTML (status_text.hpp). One scanner
// finds URLs, mentions and hashtags; parsing collects them, rendering
// escapes everything between them and wraps them in links.
#include "kith/api/status_text.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <optional>

#include "kith/ap/html_sanitizer.hpp"

namespace kith::api {
namespace {

bool ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool word_char(char c) {
  return ascii_alnum(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}
char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) { return lower(c); });
  return out;
}

enum class SpanKind { url, mention, hashtag };

struct Span {
  SpanKind kind;
  std::size_t begin = 0, end = 0;  // [begin, end) of the text
  std::string username, domain;    // mention
  std::string tag;                 // hashtag, as written
};

// A URL starting at i ("http://" or "https://"), or 0 when none.
std::size_t url_length(std::string_view text, std::size_t i) {
  std::string_view rest = text.substr(i);
  std::size_t scheme = rest.starts_with("https://") ? 8 : rest.starts_with("http://") ? 7 : 0;
  if (scheme == 0) return 0;
  std::size_t end = scheme;
  while (end < rest.size()) {
    const char c = rest[end];
    if (static_cast<unsigned char>(c) <= 0x20 || c == '<' || c == '>' || c == '"') break;
    ++end;
  }
  // Trailing punctuation belongs to the sentence, not the URL.
  while (end > scheme && std::string_view(".,;:!?)'").find(rest[end - 1]) != std::string::npos)
    --end;
  return end > scheme ? end : 0;
}

// A mention at text[i] == '@', or nullopt.
std::optional<Span> mention_at(std::string_view text, std::size_t i) {
  std::size_t j = i + 1;
  std::size_t name_end = j;
  // [A-Za-z0-9_] with dots and dashes inside.
  while (j < text.size() &&
         (ascii_alnum(text[j]) || text[j] == '_' || text[j] == '.' || text[j] == '-')) {
    ++j;
    if (ascii_alnum(text[j - 1]) || text[j - 1] == '_') name_end = j;
  }
  if (name_end == i + 1) return std::nullopt;
  Span span{
      SpanKind::mention, i, name_end, std::string(text.substr(i + 1, name_end - i - 1)), "", ""};
  if (name_end < text.size() && text[name_end] == '@') {
    std::size_t k = name_end + 1, host_end = k;
    while (k < text.size() && (ascii_alnum(text[k]) || text[k] == '.' || text[k] == '-')) {
      ++k;
      if (ascii_alnum(text[k - 1])) host_end = k;
    }
    if (host_end > name_end + 1) {
      std::size_t end = host_end;
      if (end + 1 < text.size() && text[end] == ':' &&
          std::isdigit(static_cast<unsigned char>(text[end + 1]))) {
        std::size_t p = end + 1;
        while (p < text.size() && p - end <= 5 && std::isdigit(static_cast<unsigned char>(text[p])))
          ++p;
        end = p;
      }
      span.domain = lower(text.substr(name_end + 1, end - name_end - 1));
      span.end = end;
    }
  }
  // "@alice@" followed by nothing usable: the mention is just @alice.
  return span;
}

std::optional<Span> hashtag_at(std::string_view text, std::size_t i) {
  std::size_t j = i + 1;
  bool letter = false;
  while (j < text.size() && word_char(text[j])) {
    if (!std::isdigit(static_cast<unsigned char>(text[j]))) letter = true;
    ++j;
  }
  if (j == i + 1 || !letter) return std::nullopt;
  // Do not end inside a UTF-8 sequence (a hashtag cut by the scan is still
  // whole: continuation bytes are word characters, so this cannot happen
  // except at the end of the text).
  return Span{SpanKind::hashtag, i, j, "", "", std::string(text.substr(i + 1, j - i - 1))};
}

void scan(std::string_view text, const std::function<void(const Span&)>& found) {
  std::size_t i = 0;
  while (i < text.size()) {
    const char previous = i > 0 ? text[i - 1] : ' ';
    if ((text[i] == 'h') && !word_char(previous)) {
      if (std::size_t n = url_length(text, i)) {
        found(Span{SpanKind::url, i, i + n, "", "", ""});
        i += n;
        continue;
      }
    }
    if (text[i] == '@' && !word_char(previous) && previous != '/' && previous != '@') {
      if (auto span = mention_at(text, i)) {
        found(*span);
        i = span->end;
        continue;
      }
    }
    if (text[i] == '#' && !word_char(previous) && previous != '/' && previous != '&' &&
        previous != ')') {
      if (auto span = hashtag_at(text, i)) {
        found(*span);
        i = span->end;
        continue;
      }
    }
    ++i;
  }
}

// Escaped text with newlines as <br> and blank lines as paragraph breaks.
void append_text(std::string& out, std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t line_end = std::min(text.find_first_of("\r\n", i), text.size());
    out += ap::escape_html(text.substr(i, line_end - i));
    i = line_end;
    if (i == text.size()) break;
    if (text[i] == '\n') {
      if (i + 1 < text.size() && text[i + 1] == '\n') {
        while (i + 1 < text.size() && (text[i + 1] == '\n' || text[i + 1] == '\r')) ++i;
        out += "</p><p>";
      } else {
        out += "<br />";
      }
    }
    ++i;  // past the \n, or a \r, which is dropped
  }
}

}  // namespace

std::size_t count_characters(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

ParsedText parse_status_text(std::string_view text) {
  ParsedText parsed;
  scan(text, [&parsed](const Span& span) {
    if (span.kind == SpanKind::mention) {
      if (parsed.mentions.size() >= kMaxStatusMentions) return;
      const std::string key = lower(span.username) + "@" + span.domain;
      for (const ParsedMention& m : parsed.mentions)
        if (lower(m.username) + "@" + m.domain == key) return;
      parsed.mentions.push_back({span.username, span.domain});
    } else if (span.kind == SpanKind::hashtag) {
      if (parsed.hashtags.size() >= kMaxStatusHashtags) return;
      std::string name = lower(span.tag);
      if (std::find(parsed.hashtags.begin(), parsed.hashtags.end(), name) == parsed.hashtags.end())
        parsed.hashtags.push_back(std::move(name));
    }
  });
  return parsed;
}

std::string render_status_html(std::string_view text, const std::vector<ResolvedMention>& mentions,
                               std::string_view host) {
  std::string out = "<p>";
  std::size_t done = 0;
  scan(text, [&](const Span& span) {
    append_text(out, text.substr(done, span.begin - done));
    const std::string_view written = text.substr(span.begin, span.end - span.begin);
    done = span.end;
    if (span.kind == SpanKind::url) {
      const std::string href = ap::escape_html(written);
      out += "<a href=\"" + href + "\" target=\"_blank\" rel=\"nofollow noopener noreferrer\">" +
             href + "</a>";
      return;
    }
    if (span.kind == SpanKind::hashtag) {
      out += "<a href=\"https://" + ap::escape_html(host) + "/tags/" +
             ap::escape_html(lower(span.tag)) + "\" class=\"mention hashtag\" rel=\"tag\">#<span>" +
             ap::escape_html(span.tag) + "</span></a>";
      return;
    }
    // A mention links only if the caller resolved it: @name (local, or the
    // only account of that name among the resolved when no host is
    // written) or @name@host.
    const ResolvedMention* match = nullptr;
    for (const ResolvedMention& m : mentions) {
      if (lower(m.username) != lower(span.username)) continue;
      if (span.domain.empty() ? m.domain.empty() : lower(m.domain) == span.domain) {
        match = &m;
        break;
      }
    }
    if (!match || !(match->url.starts_with("https://") || match->url.starts_with("http://"))) {
      append_text(out, written);
      return;
    }
    out += "<span class=\"h-card\" translate=\"no\"><a href=\"" + ap::escape_html(match->url) +
           "\" class=\"u-url mention\">@<span>" + ap::escape_html(match->username) +
           "</span></a></span>";
  });
  append_text(out, text.substr(done));
  out += "</p>";
  return out;
}

}  // namespace kith::api
