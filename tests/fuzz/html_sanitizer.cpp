// libFuzzer target: bytes as remote HTML through sanitize_html and
// html_to_text, and as a local user's text through text_to_html.
//
// Beyond "no crash, no leak, no undefined behaviour" (the sanitizers), it
// checks the promises of html_sanitizer.hpp: both HTML functions refuse the
// same inputs; an accepted output is valid UTF-8, contains only allowlisted
// tags with allowlisted attributes, properly nested, no script, no event
// handler and no other link scheme than kLinkSchemes; sanitising it again
// gives it back unchanged (a fixed point); and what text_to_html writes is
// itself a fixed point of sanitize_html.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "kith/ap/html_sanitizer.hpp"

namespace {

using namespace kith::ap;

// Aborts with a message, so that libFuzzer records the input as a crash.
void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "invariant broken: %s\n", what);
  std::abort();
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto byte = static_cast<unsigned char>(s[i]);
    std::size_t length = byte < 0x80             ? 1
                         : (byte & 0xE0) == 0xC0 ? 2
                         : (byte & 0xF0) == 0xE0 ? 3
                         : (byte & 0xF8) == 0xF0 ? 4
                                                 : 0;
    if (length == 0 || i + length > s.size()) return false;
    for (std::size_t k = 1; k < length; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += length;
  }
  return true;
}

// Walks the tags of an output: every tag is allowlisted, attributes are the
// allowed ones for it, and start and end tags nest.
void check_markup(std::string_view html) {
  static const std::set<std::string_view> kElements = {
      "p",      "br", "span", "a", "del", "s",  "pre", "code",      "em",
      "strong", "b",  "i",    "u", "ul",  "ol", "li",  "blockquote"};
  std::vector<std::string_view> open;
  std::size_t i = 0;
  while ((i = html.find('<', i)) != std::string_view::npos) {
    const std::size_t end = html.find('>', i);
    require(end != std::string_view::npos, "every '<' starts a complete tag");
    std::string_view tag = html.substr(i + 1, end - i - 1);
    i = end + 1;
    const bool closing = tag.starts_with('/');
    if (closing) tag.remove_prefix(1);
    const std::string_view name = tag.substr(0, tag.find(' '));
    require(kElements.count(name) == 1, "only allowlisted elements");
    if (closing) {
      require(!open.empty() && open.back() == name, "end tags match start tags");
      open.pop_back();
      continue;
    }
    // Attribute names: each " name" or " name=\"…\"" in turn.
    std::string_view rest = tag.substr(name.size());
    while (!rest.empty()) {
      require(rest.front() == ' ', "attributes separated by one space");
      rest.remove_prefix(1);
      const std::size_t stop = rest.find_first_of("= ");
      const std::string_view attribute = rest.substr(0, stop);
      const bool allowed = (name == "a" && (attribute == "href" || attribute == "class" ||
                                            attribute == "rel" || attribute == "target")) ||
                           ((name == "span" || name == "p") && attribute == "class") ||
                           (name == "ol" && (attribute == "start" || attribute == "reversed")) ||
                           (name == "li" && attribute == "value");
      require(allowed, "only allowlisted attributes");
      if (stop == std::string_view::npos) break;
      rest.remove_prefix(stop);
      if (rest.front() == '=') {
        require(rest.size() >= 3 && rest[1] == '"', "attribute values are quoted");
        const std::size_t quote = rest.find('"', 2);
        require(quote != std::string_view::npos, "attribute values are closed");
        const std::string_view value = rest.substr(2, quote - 2);
        if (attribute == "href") {
          auto href = safe_link_href(value);
          // The value is escaped; an allowed scheme never needs escaping.
          require(href.has_value() || value.find('&') != std::string_view::npos,
                  "hrefs have an allowed scheme");
          require(value.find(':') != std::string_view::npos, "hrefs are absolute");
        }
        rest.remove_prefix(quote + 1);
      }
    }
    if (name != "br") open.push_back(name);
  }
  require(open.empty(), "every element is closed");
}

void check_sanitized(std::string_view output) {
  require(valid_utf8(output), "output is UTF-8");
  std::string lower(output);
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  require(lower.find("<script") == std::string::npos, "no <script");
  require(lower.find('\0') == std::string::npos, "no NUL");
  for (std::size_t open = lower.find('<'); open != std::string::npos;
       open = lower.find('<', open + 1)) {
    const std::string tag = lower.substr(open, lower.find('>', open) - open);
    require(tag.find(" on") == std::string::npos, "no event handler attribute");
    // (hrefs are checked for their scheme in check_markup: a substring test
    // would flag https://host:javascript:1/, an https URL.)
    require(tag.find("href=\"javascript:") == std::string::npos, "no javascript: URL");
  }
  check_markup(output);
  auto again = sanitize_html(output);
  require(again.has_value(), "the output is accepted again");
  require(*again == output, "sanitize_html is a fixed point on its output");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  try {
    auto sanitized = sanitize_html(input);
    auto text = html_to_text(input);
    require(sanitized.has_value() == text.has_value(), "the same inputs are refused");
    if (sanitized) check_sanitized(*sanitized);
    if (text) require(text->find('\0') == std::string::npos, "no NUL in text");

    const std::string html = text_to_html(input);
    require(valid_utf8(html), "text_to_html writes UTF-8");
    if (valid_utf8(input)) {
      // Within the limits its own output is a fixed point; beyond them it
      // is refused like any other input.
      auto again = sanitize_html(html);
      if (again) {
        require(*again == html, "text_to_html writes what sanitize_html keeps");
        check_markup(html);
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "exception escaped: %s\n", e.what());
    std::abort();
  }
  return 0;
}
