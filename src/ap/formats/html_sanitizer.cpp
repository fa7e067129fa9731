// Remote HTML reduced to an allowlist, HTML turned into plain text, and a
// local user's text turned into HTML. See html_sanitizer.hpp for the rules;
// this file is organised as: gumbo under a memory bound, the allowlist
// tables, the sanitising writer, the plain-text writer, and text_to_html.
#include "kith/ap/html_sanitizer.hpp"

#include <gumbo.h>

#include <algorithm>
#include <csetjmp>
#include <cstdint>
#include <cstdlib>
#include <utility>

namespace kith::ap {
namespace {

// ---------------------------------------------------------------------------
// Gumbo under a memory bound.
//
// gumbo has no limit of its own, frees its tree recursively (as deep as the
// input nests), and gives its allocator no way to fail. So every allocation
// goes through ParseMemory: it counts live bytes, and when a parse would go
// over kMaxHtmlParseMemory it longjmps back to parse_or_give_up(), abandoning
// gumbo's C frames (which own nothing; all their memory is ours). The tree is
// never handed to gumbo_destroy_output(): ParseMemory frees every block it
// handed out, in a loop, when the fragment goes away.
class ParseMemory {
 public:
  ParseMemory() = default;
  ParseMemory(const ParseMemory&) = delete;
  ParseMemory& operator=(const ParseMemory&) = delete;
  ~ParseMemory() {
    while (head_ != nullptr) {
      Block* next = head_->next;
      std::free(head_);
      head_ = next;
    }
  }

  // Leaves through `exhausted` instead of returning when the bound is hit.
  void* allocate(std::size_t size) {
    if (size > kMaxHtmlParseMemory - live_) std::longjmp(exhausted, 1);
    void* raw = std::malloc(sizeof(Block) + size);
    if (raw == nullptr) std::longjmp(exhausted, 1);
    Block* block = static_cast<Block*>(raw);
    block->prev = nullptr;
    block->next = head_;
    block->size = size;
    if (head_ != nullptr) head_->prev = block;
    head_ = block;
    live_ += size;
    return static_cast<char*>(raw) + sizeof(Block);
  }

  void deallocate(void* pointer) {
    if (pointer == nullptr) return;
    Block* block = reinterpret_cast<Block*>(static_cast<char*>(pointer) - sizeof(Block));
    if (block->prev != nullptr)
      block->prev->next = block->next;
    else
      head_ = block->next;
    if (block->next != nullptr) block->next->prev = block->prev;
    live_ -= block->size;
    std::free(block);
  }

  std::jmp_buf exhausted;

 private:
  // The header in front of each allocation; its alignment keeps the payload
  // aligned for any type.
  struct alignas(std::max_align_t) Block {
    Block* prev;
    Block* next;
    std::size_t size;
  };
  Block* head_ = nullptr;
  std::size_t live_ = 0;
};

void* allocate_for_gumbo(void* memory, std::size_t size) {
  return static_cast<ParseMemory*>(memory)->allocate(size);
}

void deallocate_for_gumbo(void* memory, void* pointer) {
  static_cast<ParseMemory*>(memory)->deallocate(pointer);
}

// The only frame between setjmp and gumbo: it owns nothing, so leaving it by
// longjmp skips no destructor.
GumboOutput* parse_or_give_up(ParseMemory& memory, const GumboOptions& options,
                              std::string_view html) {
  if (setjmp(memory.exhausted) != 0) return nullptr;
  return gumbo_parse_with_options(&options, html.data(), html.size());
}

// ---------------------------------------------------------------------------
// A pre-scan that bounds gumbo's work.
//
// gumbo 0.10.1 has neither of the limits later forks added (Nokogiri's
// max_tree_depth and max_attributes), and parts of the HTML algorithm are
// quadratic in them: each block start tag searches the whole stack of open
// elements, and each attribute is compared with the tag's earlier ones. So
// before gumbo runs, this scan counts tag tokens and the attributes of each
// tag, following the WHATWG tokenizer's data, tag, attribute and comment
// states. It can only overestimate: the tokenizer leaves the data state
// only in text of script, style, textarea and the like, or in SVG and MathML
// (where <style> is not raw text), so after any such start tag the scan
// stops following tags and counts every space, quote and slash as a
// possible attribute.
class MarkupScan {
 public:
  // True when gumbo can be given `html`.
  static bool within_limits(std::string_view html) {
    MarkupScan scan(html);
    return scan.run();
  }

 private:
  explicit MarkupScan(std::string_view html) : html_(html) {}

  static bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
  }
  static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

  char at(std::size_t i) const { return i < html_.size() ? html_[i] : '\0'; }

  bool run() {
    std::size_t i = 0;
    while (i < html_.size()) {
      if (html_[i] != '<') {
        ++i;
        continue;
      }
      const char next = at(i + 1);
      if (is_alpha(next)) {
        i = tag(i + 1, true);
      } else if (next == '/' && is_alpha(at(i + 2))) {
        i = tag(i + 2, false);
      } else if (next == '!' && at(i + 2) == '-' && at(i + 3) == '-') {
        i = comment(i + 4);
      } else if (next == '!' || next == '?' || (next == '/' && at(i + 2) != '>')) {
        // Bogus comments and doctypes end at the first '>'.
        const std::size_t end = html_.find('>', i + 2);
        i = end == std::string_view::npos ? html_.size() : end + 1;
      } else {
        i += next == '/' ? 3 : 1;
      }
      if (!ok_) return false;
      if (loose_from_ != std::string_view::npos) return loose(loose_from_);
    }
    return true;
  }

  // "<!--" … "-->", "--!>", or the abrupt "<!-->" and "<!--->".
  std::size_t comment(std::size_t i) {
    if (at(i) == '>') return i + 1;
    if (at(i) == '-' && at(i + 1) == '>') return i + 2;
    for (; i < html_.size(); ++i) {
      if (html_[i] != '-' || at(i + 1) != '-') continue;
      if (at(i + 2) == '>') return i + 3;
      if (at(i + 2) == '!' && at(i + 3) == '>') return i + 4;
    }
    return html_.size();
  }

  // A tag from the first letter of its name; returns the index after it.
  std::size_t tag(std::size_t i, bool start) {
    if (++tags_ > kMaxHtmlTags) ok_ = false;
    const std::size_t name_start = i;
    while (i < html_.size() && !is_space(html_[i]) && html_[i] != '/' && html_[i] != '>') ++i;
    const std::string_view name = html_.substr(name_start, i - name_start);
    std::size_t attributes = 0;
    // The tag name state ends at a space (before attribute name), '/'
    // (self-closing start tag) or '>'; the states below follow 13.2.5.32-40
    // of the HTML standard, counting each "start a new attribute".
    enum class State { before_name, name, after_name, before_value, value, after_quoted, slash };
    State state = at(i) == '/' ? State::slash : State::before_name;
    if (at(i) == '/') ++i;
    char quote = 0;
    for (; i < html_.size(); ++i) {
      const char c = html_[i];
      if (c == '>' && (state != State::value || quote == 0)) return finish(i + 1, start, name);
      switch (state) {
        case State::before_name:
        case State::slash:
          if (is_space(c))
            state = State::before_name;
          else if (c == '/')
            state = State::slash;
          else {
            ++attributes;
            state = State::name;
          }
          break;
        case State::name:
          if (c == '=')
            state = State::before_value;
          else if (is_space(c))
            state = State::after_name;
          else if (c == '/')
            state = State::slash;
          break;
        case State::after_name:
          if (is_space(c)) break;
          if (c == '/')
            state = State::slash;
          else if (c == '=')
            state = State::before_value;
          else {
            ++attributes;
            state = State::name;
          }
          break;
        case State::before_value:
          if (is_space(c)) break;
          quote = (c == '"' || c == '\'') ? c : 0;
          state = State::value;
          break;
        case State::value:
          if (quote != 0 && c == quote)
            state = State::after_quoted;
          else if (quote == 0 && is_space(c))
            state = State::before_name;
          break;
        case State::after_quoted:
          if (is_space(c))
            state = State::before_name;
          else if (c == '/')
            state = State::slash;
          else {
            ++attributes;
            state = State::name;
          }
          break;
      }
      if (attributes > kMaxHtmlAttributes) {
        ok_ = false;
        return html_.size();
      }
    }
    return html_.size();
  }

  std::size_t finish(std::size_t next, bool start, std::string_view name) {
    static constexpr std::string_view kContextual[] = {
        "script",   "style",    "xmp",   "iframe",    "noembed", "noframes",
        "noscript", "textarea", "title", "plaintext", "svg",     "math"};
    if (start && name.size() <= 9) {
      std::string lower(name);
      for (char& c : lower)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (std::find(std::begin(kContextual), std::end(kContextual), lower) != std::end(kContextual))
        loose_from_ = next;
    }
    return next;
  }

  // From `i` on, every byte that could precede an attribute name counts as
  // one, and every '<' before a letter as a tag.
  bool loose(std::size_t i) {
    std::size_t separators = 0;
    for (; i < html_.size(); ++i) {
      const char c = html_[i];
      if (is_space(c) || c == '/' || c == '"' || c == '\'') ++separators;
      if (c == '<' && (is_alpha(at(i + 1)) || at(i + 1) == '/')) ++tags_;
    }
    return separators <= kMaxHtmlAttributes * 16 && tags_ <= kMaxHtmlTags;
  }

  std::string_view html_;
  std::size_t tags_ = 0;
  std::size_t loose_from_ = std::string_view::npos;
  bool ok_ = true;
};

// HTML parsed as the children of a <div> (the HTML fragment parsing
// algorithm), so that the input cannot open <html>, <head> or <body> and
// leading whitespace is kept as it would be in a page.
class Fragment {
 public:
  explicit Fragment(std::string_view html) {
    if (html.size() > kMaxHtmlInputBytes || !MarkupScan::within_limits(html)) return;
    options_ = kGumboDefaultOptions;
    options_.allocator = allocate_for_gumbo;
    options_.deallocator = deallocate_for_gumbo;
    options_.userdata = &memory_;
    options_.max_errors = 0;  // parse errors are not kept: they cost memory
    options_.fragment_context = GUMBO_TAG_DIV;
    options_.fragment_namespace = GUMBO_NAMESPACE_HTML;
    output_ = parse_or_give_up(memory_, options_, html);
  }
  Fragment(const Fragment&) = delete;
  Fragment& operator=(const Fragment&) = delete;

  // The top-level nodes, or nullptr when the input was refused.
  const GumboVector* nodes() const {
    if (output_ == nullptr || output_->root == nullptr) return nullptr;
    if (output_->root->type != GUMBO_NODE_ELEMENT) return nullptr;
    return &output_->root->v.element.children;
  }

 private:
  ParseMemory memory_;
  GumboOptions options_{};
  GumboOutput* output_ = nullptr;
};

const GumboNode* child(const GumboVector& children, unsigned index) {
  return static_cast<const GumboNode*>(children.data[index]);
}

std::string_view attribute(const GumboElement& element, const char* name) {
  const GumboAttribute* found = gumbo_get_attribute(&element.attributes, name);
  return found == nullptr ? std::string_view{} : std::string_view(found->value);
}

// ---------------------------------------------------------------------------
// The allowlist.

enum class Rule {
  drop,           // element and content removed
  unwrap_inline,  // tags removed, content kept
  unwrap_block,   // tags removed, content kept, separated from its neighbours
  br,
  paragraph,  // p
  heading,    // h1-h6, written as <p><strong>
  block,      // pre, blockquote
  list,       // ul, ol
  list_item,  // li
  link,       // a
  inline_,    // span, del, s, code, em, strong, b, i, u
};

Rule rule_for(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_P:
      return Rule::paragraph;
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
      return Rule::heading;
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_BLOCKQUOTE:
      return Rule::block;
    case GUMBO_TAG_UL:
    case GUMBO_TAG_OL:
      return Rule::list;
    case GUMBO_TAG_LI:
      return Rule::list_item;
    case GUMBO_TAG_A:
      return Rule::link;
    case GUMBO_TAG_BR:
      return Rule::br;
    case GUMBO_TAG_SPAN:
    case GUMBO_TAG_DEL:
    case GUMBO_TAG_S:
    case GUMBO_TAG_CODE:
    case GUMBO_TAG_EM:
    case GUMBO_TAG_STRONG:
    case GUMBO_TAG_B:
    case GUMBO_TAG_I:
    case GUMBO_TAG_U:
      return Rule::inline_;

    // Content that is code, styling, embedded documents, form state, media
    // fallbacks or document metadata: never text a reader should see here.
    case GUMBO_TAG_SCRIPT:
    case GUMBO_TAG_STYLE:
    case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_NOEMBED:
    case GUMBO_TAG_NOFRAMES:
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_FRAME:
    case GUMBO_TAG_FRAMESET:
    case GUMBO_TAG_OBJECT:
    case GUMBO_TAG_EMBED:
    case GUMBO_TAG_APPLET:
    case GUMBO_TAG_PARAM:
    case GUMBO_TAG_TEXTAREA:
    case GUMBO_TAG_SELECT:
    case GUMBO_TAG_OPTION:
    case GUMBO_TAG_OPTGROUP:
    case GUMBO_TAG_DATALIST:
    case GUMBO_TAG_INPUT:
    case GUMBO_TAG_KEYGEN:
    case GUMBO_TAG_IMG:
    case GUMBO_TAG_IMAGE:
    case GUMBO_TAG_VIDEO:
    case GUMBO_TAG_AUDIO:
    case GUMBO_TAG_SOURCE:
    case GUMBO_TAG_TRACK:
    case GUMBO_TAG_CANVAS:
    case GUMBO_TAG_MAP:
    case GUMBO_TAG_AREA:
    case GUMBO_TAG_HEAD:
    case GUMBO_TAG_TITLE:
    case GUMBO_TAG_META:
    case GUMBO_TAG_LINK:
    case GUMBO_TAG_BASE:
    case GUMBO_TAG_BASEFONT:
    case GUMBO_TAG_BGSOUND:
    case GUMBO_TAG_XMP:
    case GUMBO_TAG_PLAINTEXT:
    case GUMBO_TAG_SVG:
    case GUMBO_TAG_MATH:
      return Rule::drop;

    // Block-level elements that are not kept: their text stays, apart.
    case GUMBO_TAG_HTML:
    case GUMBO_TAG_BODY:
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_CENTER:
    case GUMBO_TAG_DETAILS:
    case GUMBO_TAG_DIR:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_FIELDSET:
    case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_FORM:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_HGROUP:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_LEGEND:
    case GUMBO_TAG_LISTING:
    case GUMBO_TAG_MAIN:
    case GUMBO_TAG_MENU:
    case GUMBO_TAG_NAV:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_SUMMARY:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_CAPTION:
    case GUMBO_TAG_THEAD:
    case GUMBO_TAG_TBODY:
    case GUMBO_TAG_TFOOT:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_TD:
    case GUMBO_TAG_TH:
      return Rule::unwrap_block;

    default:
      return Rule::unwrap_inline;
  }
}

bool is_html_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

bool is_lower_alnum_or_dash(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

// A class name Mastodon's clients style or read: microformats (h-card,
// u-url, p-name, dt-published, e-content…), mention and hashtag markers,
// and the link-shortening classes.
bool allowed_class(std::string_view name) {
  if (name.size() > 64) return false;
  if (name == "mention" || name == "hashtag" || name == "invisible" || name == "ellipsis" ||
      name == "quote-inline")
    return true;
  std::size_t prefix = 0;
  for (std::string_view p : {"h-", "p-", "u-", "dt-", "e-"})
    if (name.starts_with(p)) prefix = p.size();
  if (prefix == 0 || name.size() == prefix) return false;
  return std::all_of(name.begin() + static_cast<std::ptrdiff_t>(prefix), name.end(),
                     is_lower_alnum_or_dash);
}

// The space-separated tokens of an attribute value, each once, in order.
std::vector<std::string_view> tokens(std::string_view value, std::size_t max_tokens) {
  std::vector<std::string_view> result;
  std::size_t i = 0;
  while (i < value.size() && result.size() < max_tokens) {
    while (i < value.size() && is_html_space(value[i])) ++i;
    std::size_t start = i;
    while (i < value.size() && !is_html_space(value[i])) ++i;
    std::string_view token = value.substr(start, i - start);
    if (!token.empty() && std::find(result.begin(), result.end(), token) == result.end())
      result.push_back(token);
  }
  return result;
}

std::string filtered_classes(std::string_view value) {
  std::string result;
  for (std::string_view token : tokens(value, 32)) {
    if (!allowed_class(token)) continue;
    if (!result.empty()) result += ' ';
    result += token;
  }
  return result;
}

// An integer attribute (ol[start], li[value]): optional '-', 1 to 9 digits.
std::optional<std::string_view> integer_attribute(std::string_view value) {
  std::string_view digits = value.starts_with('-') ? value.substr(1) : value;
  if (digits.empty() || digits.size() > 9) return std::nullopt;
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return value;
}

// Code points that the HTML parser (gumbo, as the standard's "control" and
// "noncharacter" parse errors) replaces with U+FFFD: C0 controls other than
// tab, LF, FF and CR, DEL, C1 controls, and noncharacters.
bool replaced_by_parser(std::uint32_t code) {
  if (code < 0x20) return code != '\t' && code != '\n' && code != '\f' && code != '\r';
  if (code >= 0x7F && code <= 0x9F) return true;
  if (code >= 0xFDD0 && code <= 0xFDEF) return true;
  return (code & 0xFFFE) == 0xFFFE;
}

// The length of the UTF-8 sequence at text[i] and its code point, or a
// length of 0 when the bytes there are not valid UTF-8.
std::pair<std::size_t, std::uint32_t> decode_utf8(std::string_view text, std::size_t i) {
  const auto byte = static_cast<unsigned char>(text[i]);
  if (byte < 0x80) return {1, byte};
  std::size_t length = 0;
  std::uint32_t min = 0;
  if ((byte & 0xE0) == 0xC0)
    length = 2, min = 0x80;
  else if ((byte & 0xF0) == 0xE0)
    length = 3, min = 0x800;
  else if ((byte & 0xF8) == 0xF0)
    length = 4, min = 0x10000;
  if (length == 0 || i + length > text.size()) return {0, 0};
  std::uint32_t code = byte & (0x7Fu >> length);
  for (std::size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(text[i + k]);
    if ((next & 0xC0) != 0x80) return {0, 0};
    code = (code << 6) | (next & 0x3F);
  }
  if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return {0, 0};
  return {length, code};
}

// Appends `text` as the HTML parser would read it back: invalid UTF-8 and
// the code points the parser replaces become U+FFFD, NUL goes, CR LF and CR
// become LF; with `escape`, & < > " and ' become references. A character
// reference such as &#x11; reaches us as a raw U+0011; written raw it would
// come back as U+FFFD, so it is written as U+FFFD now.
void append_text(std::string& out, std::string_view text, bool escape) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto [length, code] = decode_utf8(text, i);
    if (length == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    if (code == 0) {
      // dropped, as the parser drops it
    } else if (code == '\r') {
      // "Normalize newlines": CR LF becomes LF, and so does a lone CR.
      if (i + 1 == text.size() || text[i + 1] != '\n') out += '\n';
    } else if (replaced_by_parser(code)) {
      out += "\xEF\xBF\xBD";
    } else if (escape && code == '&') {
      out += "&amp;";
    } else if (escape && code == '<') {
      out += "&lt;";
    } else if (escape && code == '>') {
      out += "&gt;";
    } else if (escape && code == '"') {
      out += "&quot;";
    } else if (escape && code == '\'') {
      out += "&#39;";
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
}

void append_escaped(std::string& out, std::string_view text) {
  append_text(out, text, true);
}

std::string clean_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_text(out, text, false);
  return out;
}

// ---------------------------------------------------------------------------
// The sanitising writer: walks the tree with an explicit stack (the input may
// nest as deep as its size allows) and writes only allowlisted markup.

class SanitizingWriter {
 public:
  std::string write(const GumboVector& top) {
    stack_.push_back(Frame{&top, 0, {}, Exit::none, Context{}});
    while (!stack_.empty()) {
      Frame& frame = stack_.back();
      if (frame.next == frame.children->length) {
        leave(frame);
        stack_.pop_back();
        continue;
      }
      const GumboNode* node = child(*frame.children, frame.next++);
      const Context context = frame.context;  // enter() may reallocate stack_
      if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE)
        write_text(node->v.text.text, context);
      else if (node->type == GUMBO_NODE_ELEMENT)
        enter(node->v.element, context);
      // Comments, CDATA (only found in SVG and MathML) and <template>
      // contents are dropped.
    }
    return std::move(out_);
  }

 private:
  // What the ancestors written so far imply for a child.
  struct Context {
    int depth = 0;         // allowed elements open
    bool in_p = false;     // a <p> is open: no block may start
    bool in_a = false;     // an <a> is open: no <a> may start
    bool in_pre = false;   // whitespace is significant
    bool in_list = false;  // the nearest open element is <ul> or <ol>
  };
  enum class Exit { none, inline_end, block_end, separate };
  struct Frame {
    const GumboVector* children;
    unsigned next;
    std::string_view end_tags;  // written when the element ends
    Exit exit;
    Context context;  // for the children
  };

  void enter(const GumboElement& element, const Context& context) {
    if (element.tag_namespace != GUMBO_NAMESPACE_HTML) return;  // SVG, MathML
    const Rule rule = rule_for(element.tag);
    const bool room = context.depth < kMaxHtmlDepth;
    switch (rule) {
      case Rule::drop:
        return;
      case Rule::unwrap_inline:
        return unwrap(element, context, false);
      case Rule::unwrap_block:
        return unwrap(element, context, true);
      case Rule::br:
        write_tag("<br>", Tag::block);
        return;
      case Rule::paragraph: {
        if (context.in_p || !room) return unwrap(element, context, true);
        std::string classes = filtered_classes(attribute(element, "class"));
        std::string tag = classes.empty() ? "<p>" : "<p class=\"" + classes + "\">";
        return open(element, context, tag, "</p>", true, [](Context& c) { c.in_p = true; });
      }
      case Rule::heading:
        if (context.in_p || context.depth + 1 >= kMaxHtmlDepth)
          return unwrap(element, context, true);
        return open(element, context, "<p><strong>", "</strong></p>", true, [](Context& c) {
          c.in_p = true;
          ++c.depth;  // two elements
        });
      case Rule::block: {
        if (context.in_p || !room) return unwrap(element, context, true);
        const bool pre = element.tag == GUMBO_TAG_PRE;
        open(element, context, pre ? "<pre>" : "<blockquote>", pre ? "</pre>" : "</blockquote>",
             true, [pre](Context& c) { c.in_pre = c.in_pre || pre; });
        pre_fresh_ = pre;
        return;
      }
      case Rule::list: {
        if (context.in_p || !room) return unwrap(element, context, true);
        const bool ordered = element.tag == GUMBO_TAG_OL;
        std::string tag = ordered ? "<ol" : "<ul";
        if (ordered) {
          if (auto start = integer_attribute(attribute(element, "start")))
            tag.append(" start=\"").append(*start).append("\"");
          if (gumbo_get_attribute(&element.attributes, "reversed") != nullptr) tag += " reversed";
        }
        tag += '>';
        return open(element, context, tag, ordered ? "</ol>" : "</ul>", true,
                    [](Context& c) { c.in_list = true; });
      }
      case Rule::list_item: {
        if (context.in_p || !context.in_list || !room) return unwrap(element, context, true);
        std::string tag = "<li";
        if (auto value = integer_attribute(attribute(element, "value")))
          tag.append(" value=\"").append(*value).append("\"");
        tag += '>';
        return open(element, context, tag, "</li>", true, [](Context&) {});
      }
      case Rule::link: {
        std::optional<std::string> href = safe_link_href(attribute(element, "href"));
        if (!href || context.in_a || !room) return unwrap(element, context, false);
        std::string extra_rel;
        for (std::string_view token : tokens(attribute(element, "rel"), 16))
          if (token == "tag") extra_rel = "tag";
        std::string tag =
            link_start_tag(*href, filtered_classes(attribute(element, "class")), extra_rel);
        return open(element, context, tag, "</a>", false, [](Context& c) { c.in_a = true; });
      }
      case Rule::inline_: {
        if (!room) return unwrap(element, context, false);
        std::string_view name = gumbo_normalized_tagname(element.tag);
        std::string tag = "<";
        tag += name;
        if (element.tag == GUMBO_TAG_SPAN) {
          std::string classes = filtered_classes(attribute(element, "class"));
          if (!classes.empty()) tag.append(" class=\"").append(classes).append("\"");
        }
        tag += '>';
        return open(element, context, tag, end_tag(element.tag), false, [](Context&) {});
      }
    }
  }

  static std::string_view end_tag(GumboTag tag) {
    switch (tag) {
      case GUMBO_TAG_SPAN:
        return "</span>";
      case GUMBO_TAG_DEL:
        return "</del>";
      case GUMBO_TAG_S:
        return "</s>";
      case GUMBO_TAG_CODE:
        return "</code>";
      case GUMBO_TAG_EM:
        return "</em>";
      case GUMBO_TAG_STRONG:
        return "</strong>";
      case GUMBO_TAG_B:
        return "</b>";
      case GUMBO_TAG_I:
        return "</i>";
      default:
        return "</u>";
    }
  }

  template <class Adjust>
  void open(const GumboElement& element, const Context& context, std::string_view start_tag,
            std::string_view end_tags, bool block, Adjust adjust) {
    write_tag(start_tag, block ? Tag::block : Tag::inline_start);
    Context inner = context;
    ++inner.depth;
    inner.in_list = false;
    adjust(inner);
    stack_.push_back(
        Frame{&element.children, 0, end_tags, block ? Exit::block_end : Exit::inline_end, inner});
  }

  void unwrap(const GumboElement& element, const Context& context, bool block) {
    if (block) pending_separator_ = true;
    stack_.push_back(Frame{&element.children, 0, {}, block ? Exit::separate : Exit::none, context});
  }

  void leave(const Frame& frame) {
    switch (frame.exit) {
      case Exit::none:
        break;
      case Exit::separate:
        pending_separator_ = true;
        break;
      case Exit::inline_end:
        write_tag(frame.end_tags, Tag::inline_end);
        break;
      case Exit::block_end:
        write_tag(frame.end_tags, Tag::block);
        break;
    }
  }

  enum class Tag { block, inline_start, inline_end };

  // Block tags (and <br>) separate by themselves; an inline start tag first
  // writes the space an unwrapped block left pending.
  void write_tag(std::string_view tag, Tag kind) {
    if (kind == Tag::block) {
      pending_separator_ = false;
      text_since_boundary_ = false;
    } else if (kind == Tag::inline_start) {
      flush_separator(false);
    }
    out_ += tag;
    pre_fresh_ = false;
  }

  // The space is only needed between words: after text that does not end in
  // whitespace, with no block boundary since.
  void flush_separator(bool in_pre) {
    if (!pending_separator_) return;
    pending_separator_ = false;
    if (!text_since_boundary_ || last_space_) return;
    out_ += in_pre ? '\n' : ' ';
    last_space_ = true;
  }

  void write_text(std::string_view text, const Context& context) {
    std::string escaped;
    append_escaped(escaped, text);
    if (escaped.empty()) return;
    flush_separator(context.in_pre);
    // "A start tag whose tag name is 'pre' […] If the next token is a U+000A
    // LINE FEED (LF) character token, then ignore that token": a text that
    // starts with a newline right after <pre> needs one more to survive.
    if (pre_fresh_ && escaped.front() == '\n') out_ += '\n';
    out_ += escaped;
    text_since_boundary_ = true;
    last_space_ = is_html_space(escaped.back());
    pre_fresh_ = false;
  }

  std::vector<Frame> stack_;
  std::string out_;
  bool pending_separator_ = false;    // an unwrapped block began or ended
  bool text_since_boundary_ = false;  // text written since the last block tag
  bool last_space_ = false;           // the last text written ends in whitespace
  bool pre_fresh_ = false;            // <pre> was the last thing written
};

// ---------------------------------------------------------------------------
// The plain-text writer.

class TextWriter {
 public:
  std::string write(const GumboVector& top) {
    stack_.push_back(Frame{&top, 0, 0, false});
    while (!stack_.empty()) {
      Frame& frame = stack_.back();
      if (frame.next == frame.children->length) {
        request_breaks(frame.breaks_after);
        if (frame.pre) --pre_depth_;
        stack_.pop_back();
        continue;
      }
      const GumboNode* node = child(*frame.children, frame.next++);
      if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE)
        write_text(node->v.text.text);
      else if (node->type == GUMBO_NODE_ELEMENT)
        enter(node->v.element);
    }
    while (!out_.empty() && is_html_space(out_.back())) out_.pop_back();
    const std::size_t start = out_.find_first_not_of(" \t\n\f\r");
    return start == std::string::npos ? std::string{} : out_.substr(start);
  }

 private:
  struct Frame {
    const GumboVector* children;
    unsigned next;
    int breaks_after;
    bool pre;
  };

  void enter(const GumboElement& element) {
    if (element.tag_namespace != GUMBO_NAMESPACE_HTML) return;
    int breaks = 0;
    switch (rule_for(element.tag)) {
      case Rule::drop:
        return;
      case Rule::br:
        ++pending_breaks_;
        return;
      case Rule::paragraph:
      case Rule::heading:
      case Rule::block:
        breaks = 2;
        break;
      case Rule::list:
      case Rule::list_item:
      case Rule::unwrap_block:
        breaks = 1;
        break;
      default:
        break;
    }
    request_breaks(breaks);
    const bool pre = element.tag == GUMBO_TAG_PRE;
    if (pre) ++pre_depth_;
    stack_.push_back(Frame{&element.children, 0, breaks, pre});
  }

  void request_breaks(int count) {
    pending_breaks_ = std::max(pending_breaks_, count);
    if (count > 0) pending_space_ = false;
  }

  void flush() {
    if (out_.empty()) {
      pending_breaks_ = 0;
      pending_space_ = false;
      return;
    }
    if (pending_breaks_ > 0) {
      while (!out_.empty() && (out_.back() == ' ' || out_.back() == '\t')) out_.pop_back();
      out_.append(static_cast<std::size_t>(pending_breaks_), '\n');
      pending_breaks_ = 0;
      pending_space_ = false;
    } else if (pending_space_) {
      out_ += ' ';
      pending_space_ = false;
    }
  }

  void write_text(std::string_view text) {
    if (pre_depth_ > 0) {
      if (text.empty()) return;
      flush();
      out_ += text;
      return;
    }
    for (char c : text) {
      if (is_html_space(c)) {
        pending_space_ = true;
      } else if (c != '\0') {
        flush();
        out_ += c;
      }
    }
  }

  std::vector<Frame> stack_;
  std::string out_;
  int pending_breaks_ = 0;
  bool pending_space_ = false;
  int pre_depth_ = 0;
};

// ---------------------------------------------------------------------------
// Helpers for text_to_html.

bool ascii_iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

bool is_ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// The first `count` code points of UTF-8 text, and the rest.
std::pair<std::string_view, std::string_view> split_code_points(std::string_view text,
                                                                std::size_t count) {
  std::size_t i = 0, seen = 0;
  while (i < text.size()) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (seen == count) break;
      ++seen;
    }
    ++i;
  }
  return {text.substr(0, i), text.substr(i)};
}

// How Mastodon shows a long URL: scheme and "www." hidden, 30 characters
// shown, the rest hidden behind an ellipsis.
constexpr std::size_t kShownUrlCodePoints = 30;

std::string url_link_html(std::string_view url, std::string_view href) {
  std::size_t hidden = url.find("://") + 3;
  if (ascii_iequals_prefix(url.substr(hidden), "www.")) hidden += 4;
  std::string html = link_start_tag(href);
  html += "<span class=\"invisible\">";
  append_escaped(html, url.substr(0, hidden));
  html += "</span>";
  auto [shown, rest] = split_code_points(url.substr(hidden), kShownUrlCodePoints);
  if (rest.empty()) {
    html += "<span>";
    append_escaped(html, shown);
    html += "</span>";
  } else {
    html += "<span class=\"ellipsis\">";
    append_escaped(html, shown);
    html += "</span><span class=\"invisible\">";
    append_escaped(html, rest);
    html += "</span>";
  }
  html += "</a>";
  return html;
}

std::string line_html(std::string_view line, std::span<const LinkFinder> finders) {
  std::vector<TextLink> links;
  for (const LinkFinder& finder : finders) {
    for (TextLink& link : finder(line))
      if (link.begin < link.end && link.end <= line.size()) links.push_back(std::move(link));
  }
  std::stable_sort(links.begin(), links.end(),
                   [](const TextLink& a, const TextLink& b) { return a.begin < b.begin; });
  std::string html;
  std::size_t at = 0;
  for (const TextLink& link : links) {
    if (link.begin < at) continue;  // overlaps an earlier link
    append_escaped(html, line.substr(at, link.begin - at));
    html += link.html;
    at = link.end;
  }
  append_escaped(html, line.substr(at));
  return html;
}

bool is_blank(std::string_view line) {
  return std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t'; });
}

}  // namespace

std::optional<std::string> sanitize_html(std::string_view html) {
  Fragment fragment(html);
  const GumboVector* nodes = fragment.nodes();
  if (nodes == nullptr) return std::nullopt;
  return SanitizingWriter{}.write(*nodes);
}

std::optional<std::string> html_to_text(std::string_view html) {
  Fragment fragment(html);
  const GumboVector* nodes = fragment.nodes();
  if (nodes == nullptr) return std::nullopt;
  return TextWriter{}.write(*nodes);
}

std::optional<std::string> safe_link_href(std::string_view href) {
  // WHATWG URL parsing: "Remove any leading and trailing C0 control or space
  // from input. […] Remove all ASCII tab or newline from input."
  while (!href.empty() && static_cast<unsigned char>(href.front()) <= 0x20) href.remove_prefix(1);
  while (!href.empty() && static_cast<unsigned char>(href.back()) <= 0x20) href.remove_suffix(1);
  std::string url;
  for (char c : href)
    if (c != '\t' && c != '\n' && c != '\r') url += c;
  if (url.empty() || url.size() > kMaxHrefBytes) return std::nullopt;
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) return std::nullopt;

  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" (RFC 3986 3.1);
  // without one the URL is relative, which is not allowed.
  if (!((url[0] >= 'a' && url[0] <= 'z') || (url[0] >= 'A' && url[0] <= 'Z'))) return std::nullopt;
  std::size_t colon = 1;
  while (colon < url.size() && (is_ascii_alnum(url[colon]) || url[colon] == '+' ||
                                url[colon] == '-' || url[colon] == '.'))
    ++colon;
  if (colon == url.size() || url[colon] != ':') return std::nullopt;
  std::string scheme = url.substr(0, colon);
  for (char& c : scheme)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  if (std::find(std::begin(kLinkSchemes), std::end(kLinkSchemes), scheme) == std::end(kLinkSchemes))
    return std::nullopt;
  if (scheme == "http" || scheme == "https") {
    std::string_view rest = std::string_view(url).substr(colon + 1);
    if (!rest.starts_with("//") || rest.size() == 2) return std::nullopt;
    if (rest[2] == '/' || rest[2] == '?' || rest[2] == '#') return std::nullopt;
  }
  return url;
}

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_escaped(out, text);
  return out;
}

std::string link_start_tag(std::string_view href, std::string_view class_list,
                           std::string_view extra_rel) {
  std::string tag = "<a href=\"";
  append_escaped(tag, href);
  tag += '"';
  if (!class_list.empty()) {
    tag += " class=\"";
    append_escaped(tag, class_list);
    tag += '"';
  }
  tag += " rel=\"nofollow noopener";
  if (!extra_rel.empty()) {
    tag += ' ';
    append_escaped(tag, extra_rel);
  }
  tag += "\" target=\"_blank\">";
  return tag;
}

std::vector<TextLink> find_url_links(std::string_view line) {
  std::vector<TextLink> links;
  std::size_t i = 0;
  while (i < line.size()) {
    std::string_view rest = line.substr(i);
    const bool boundary =
        i == 0 || std::string_view(" \t([{<\"'*_").find(line[i - 1]) != std::string_view::npos;
    const std::size_t scheme = ascii_iequals_prefix(rest, "https://")  ? 8
                               : ascii_iequals_prefix(rest, "http://") ? 7
                                                                       : 0;
    if (!boundary || scheme == 0) {
      ++i;
      continue;
    }
    std::size_t end = i + scheme;
    while (end < line.size() &&
           std::string_view(" \t<>\"").find(line[end]) == std::string_view::npos)
      ++end;
    // Sentence punctuation after a URL is not part of it; nor is a closing
    // bracket that the URL did not open.
    for (bool trimmed = true; trimmed && end > i + scheme;) {
      trimmed = false;
      const char last = line[end - 1];
      if (std::string_view(".,;:!?'*_~").find(last) != std::string_view::npos) {
        --end;
        trimmed = true;
      } else if (last == ')' || last == ']' || last == '}') {
        const char open = last == ')' ? '(' : last == ']' ? '[' : '{';
        std::string_view url = line.substr(i, end - i);
        if (std::count(url.begin(), url.end(), open) < std::count(url.begin(), url.end(), last)) {
          --end;
          trimmed = true;
        }
      }
    }
    std::string_view url = line.substr(i, end - i);
    std::optional<std::string> href = safe_link_href(url);
    if (!href || *href != url) {
      i += scheme;
      continue;
    }
    links.push_back(TextLink{i, end, url_link_html(url, *href)});
    i = end;
  }
  return links;
}

std::string text_to_html(std::string_view text) {
  static const LinkFinder kUrls = find_url_links;
  return text_to_html(text, std::span<const LinkFinder>(&kUrls, 1));
}

std::string text_to_html(std::string_view text, std::span<const LinkFinder> finders) {
  std::string clean = clean_text(text);
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start <= clean.size();) {
    std::size_t end = clean.find_first_of("\r\n", start);
    if (end == std::string::npos) end = clean.size();
    lines.push_back(std::string_view(clean).substr(start, end - start));
    if (end < clean.size() && clean[end] == '\r' && end + 1 < clean.size() &&
        clean[end + 1] == '\n')
      ++end;
    start = end + 1;
  }
  std::string html;
  bool in_paragraph = false;
  for (std::string_view line : lines) {
    if (is_blank(line)) {
      if (in_paragraph) html += "</p>";
      in_paragraph = false;
      continue;
    }
    html += in_paragraph ? "<br>" : "<p>";
    in_paragraph = true;
    html += line_html(line, finders);
  }
  if (in_paragraph) html += "</p>";
  return html;
}

}  // namespace kith::ap
