// The HTML sanitiser: markup other servers really send survives in
// Mastodon's shape; script in every disguise we know of does not; entities
// are decoded once and re-escaped; the output is stable under re-parsing
// (sanitising twice changes nothing); hostile sizes are refused. Also the
// plain-text view and the local user's text-to-HTML direction.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "kith/ap/html_sanitizer.hpp"

using kith::ap::find_url_links;
using kith::ap::html_to_text;
using kith::ap::kMaxHrefBytes;
using kith::ap::kMaxHtmlAttributes;
using kith::ap::kMaxHtmlDepth;
using kith::ap::kMaxHtmlInputBytes;
using kith::ap::kMaxHtmlTags;
using kith::ap::LinkFinder;
using kith::ap::safe_link_href;
using kith::ap::sanitize_html;
using kith::ap::text_to_html;
using kith::ap::TextLink;

namespace {

struct Case {
  std::string input;
  std::string expected;
};

std::string sanitized(const std::string& html) {
  auto result = sanitize_html(html);
  if (!result) FAIL("refused: " << html);
  return *result;
}

std::string repeat(std::string_view part, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out += part;
  return out;
}

// What must hold for every output, whatever the input: none of the
// dangerous elements, and inside tags no event handler, style or dangerous
// URL scheme (text may mention them: it is escaped); and sanitising again
// changes nothing.
void check_safe(const std::string& output) {
  std::string lower = output;
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  for (const char* element : {"<script", "<style", "<img", "<svg", "<math", "<iframe", "<object",
                              "<embed", "<form", "<input", "<base", "<meta", "<link", "<!--"})
    CHECK(lower.find(element) == std::string::npos);
  for (std::size_t open = lower.find('<'); open != std::string::npos;
       open = lower.find('<', open + 1)) {
    const std::string tag = lower.substr(open, lower.find('>', open) - open);
    INFO(tag);
    CHECK(tag.find(" on") == std::string::npos);
    CHECK(tag.find("style") == std::string::npos);
    CHECK(tag.find("javascript:") == std::string::npos);
    CHECK(tag.find("vbscript:") == std::string::npos);
    CHECK(tag.find("data:") == std::string::npos);
  }
  CHECK(sanitize_html(output) == output);
}

const std::string kRel = R"( rel="nofollow noopener" target="_blank")";

}  // namespace

TEST_CASE("sanitize_html: allowed markup comes back unchanged", "[html]") {
  const std::vector<std::string> cases = {
      "",
      "plain text",
      "<p>one</p><p>two</p>",
      "<p>line<br>break</p>",
      "<p><em>em</em> <strong>strong</strong> <b>b</b> <i>i</i> <u>u</u> <del>del</del> "
      "<s>s</s> <code>code</code></p>",
      "<pre><code>int main() {\n  return 0;\n}</code></pre>",
      "<blockquote><p>quoted</p></blockquote>",
      "<ul><li>one</li><li>two<ul><li>nested</li></ul></li></ul>",
      R"(<ol start="3" reversed><li value="7">seven</li></ol>)",
      // Mastodon's mention and hashtag markup, as sanitize_html writes it.
      R"(<p><span class="h-card"><a href="https://localhost:3001/@alice" class="u-url mention")" +
          kRel +
          R"(>@<span>alice</span></a></span> hi <a href="https://localhost:3001/tags/kith" )" +
          R"(class="mention hashtag" rel="nofollow noopener tag" target="_blank">#<span>kith</span></a></p>)",
      // Mastodon's shortened link.
      R"(<p><a href="https://www.example.com/a/long/path/that/goes/on/and/on")" + kRel +
          R"(><span class="invisible">https://www.</span><span class="ellipsis">example.com/a/long/path/)" +
          R"(that/go</span><span class="invisible">es/on/and/on</span></a></p>)",
      R"(<p class="quote-inline">RE: <a href="https://localhost:3001/notes/1")" + kRel +
          R"(>https://localhost:3001/notes/1</a></p>)",
      "<p>&lt;not a tag&gt; &amp; &quot;quoted&quot; &#39;single&#39;</p>",
  };
  for (const auto& html : cases) {
    INFO(html);
    CHECK(sanitized(html) == html);
    check_safe(html);
  }
}

TEST_CASE("sanitize_html: what other servers send, in Mastodon's shape", "[html]") {
  const std::vector<Case> cases = {
      // Mastodon: translate="no" and its own rel go; ours is added.
      {R"(<p><span class="h-card" translate="no"><a href="https://localhost:3001/@bob" class="u-url mention">@<span>bob</span></a></span> hello</p>)",
       R"(<p><span class="h-card"><a href="https://localhost:3001/@bob" class="u-url mention")" +
           kRel + R"(>@<span>bob</span></a></span> hello</p>)"},
      {R"(<a href="https://localhost:3001/tags/Fediverse" class="mention hashtag" rel="tag">#<span>Fediverse</span></a>)",
       R"(<a href="https://localhost:3001/tags/Fediverse" class="mention hashtag" rel="nofollow noopener tag" target="_blank">#<span>Fediverse</span></a>)"},
      // GoToSocial: rel="nofollow noreferrer noopener" and target come in.
      {R"(<p>hey <span class="h-card"><a href="https://localhost:3002/@carol" class="u-url mention" rel="nofollow noreferrer noopener" target="_blank">@<span>carol</span></a></span></p>)",
       R"(<p>hey <span class="h-card"><a href="https://localhost:3002/@carol" class="u-url mention")" +
           kRel + R"(>@<span>carol</span></a></span></p>)"},
      // Akkoma/Pleroma: data-user attributes, and <br/> lines without <p>.
      {R"(<span class="h-card"><a class="u-url mention" data-user="AbCd" href="https://localhost:3003/users/dan" rel="ugc">@<span>dan</span></a></span> first line<br/>second line)",
       R"(<span class="h-card"><a href="https://localhost:3003/users/dan" class="u-url mention")" +
           kRel + R"(>@<span>dan</span></a></span> first line<br>second line)"},
      // Misskey: MFM rendered to <small>, <i>, a <span> with no class.
      {R"(<p><span>hello <small>small</small> <i>it</i></span></p>)",
       "<p><span>hello small <i>it</i></span></p>"},
      // Headings become bold paragraphs, as in Mastodon.
      {"<h1>Title</h1><h3>Sub</h3><p>body</p>",
       "<p><strong>Title</strong></p><p><strong>Sub</strong></p><p>body</p>"},
      // Classes outside the allowlist go; microformats stay.
      {R"(<span class="h-card evil p-name x-y">n</span>)",
       R"(<span class="h-card p-name">n</span>)"},
      {R"(<span class="">n</span>)", "<span>n</span>"},
      // Unknown block elements go but keep words apart.
      {"<div>one</div><div>two</div>", "one two"},
      {"<table><tr><td>a</td><td>b</td></tr></table>", "a b"},
      {"<p>a</p><div>b</div>", "<p>a</p>b"},
      {"<article><section><p>x</p></section></article>", "<p>x</p>"},
      // Unknown inline elements go silently.
      {"<p>a<sup>2</sup> <abbr title=\"t\">HTML</abbr> <mark>m</mark></p>", "<p>a2 HTML m</p>"},
      {"<p>x<wbr>y</p>", "<p>xy</p>"},
  };
  for (const auto& c : cases) {
    INFO(c.input);
    CHECK(sanitized(c.input) == c.expected);
    check_safe(c.expected);
  }
}

TEST_CASE("sanitize_html: script in every disguise is removed", "[html]") {
  const std::vector<Case> cases = {
      {"<script>alert(1)</script>hello", "hello"},
      {"<SCRIPT SRC=https://localhost/x.js></SCRIPT>hi", "hi"},
      {"<scr<script>ipt>alert(1)</script>", "ipt&gt;alert(1)"},
      {"<script>alert(1)", ""},  // unclosed: everything after is script
      {"<p onclick=\"alert(1)\" onmouseover=alert(2)>x</p>", "<p>x</p>"},
      {"<a href=\"https://ok.localhost/\" onclick=\"alert(1)\">x</a>",
       "<a href=\"https://ok.localhost/\"" + kRel + ">x</a>"},
      {"<a href=\"javascript:alert(1)\">x</a>", "x"},
      {"<a href=\"JaVaScRiPt:alert(1)\">x</a>", "x"},
      {"<a href=\" \x01javascript:alert(1)\">x</a>", "x"},
      {"<a href=\"java\tscript:alert(1)\">x</a>", "x"},
      {"<a href=\"java\nscript:alert(1)\">x</a>", "x"},
      {"<a href=\"jav&#x09;ascript:alert(1)\">x</a>", "x"},
      {"<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>",
       "x"},
      {"<a href=\"javascript&colon;alert(1)\">x</a>", "x"},
      {"<a href=\"&#x6A;avascript:alert(1)\">x</a>", "x"},
      {"<a href=\"vbscript:msgbox(1)\">x</a>", "x"},
      {"<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>", "x"},
      {"<a href=\"file:///etc/passwd\">x</a>", "x"},
      {"<a href=\"/relative/path\">x</a>", "x"},
      {"<a href=\"//protocol-relative.localhost/\">x</a>", "x"},
      {"<a href=\"https:/one-slash\">x</a>", "x"},
      {"<a>no href</a>", "no href"},
      {"<img src=x onerror=alert(1)>after", "after"},
      {"<img src=\"javascript:alert(1)\">", ""},
      {"<p style=\"background:url(javascript:alert(1))\">x</p>", "<p>x</p>"},
      {"<span style=\"position:fixed;top:0\">overlay</span>", "<span>overlay</span>"},
      {"<style>body{display:none}</style>visible", "visible"},
      {"<iframe src=\"https://evil.localhost/\">fallback</iframe>", ""},
      {"<object data=\"x.swf\"><embed src=\"x.swf\">fallback</object>", ""},
      {"<form action=\"https://evil.localhost/\"><input name=p><button>Go</button></form>", "Go"},
      {"<textarea></textarea><script>alert(1)</script>", ""},
      {"<title></title><script>alert(1)</script>t", "t"},
      {"<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">", ""},
      {"<base href=\"javascript:alert(1)//\">", ""},
      {"<link rel=stylesheet href=\"https://evil.localhost/x.css\">", ""},
      {"<!-- <script>alert(1)</script> -->text", "text"},
      {"<!--><script>alert(1)</script>-->", "--&gt;"},
      // Outside SVG and MathML a CDATA section is a bogus comment ending at
      // the first '>', and </script> without a script is ignored.
      {"<![CDATA[<script>alert(1)</script>]]>x", "alert(1)]]&gt;x"},
      {"<?xml version=\"1.0\"?>x", "x"},
      {"<!DOCTYPE html>x", "x"},
      {"<template><script>alert(1)</script></template>t", "t"},
      {"<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">", ""},
      {"\"><script>alert(1)</script>", "&quot;&gt;"},
      // Namespace confusion (mutation XSS): nothing in SVG or MathML survives.
      {"<svg><script>alert(1)</script></svg>", ""},
      {"<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>", ""},
      {"<svg><foreignObject><p onclick=alert(1)>x</p></foreignObject></svg>", ""},
      {"<svg><style><img src=x onerror=alert(1)></style></svg>", ""},
      {"<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", ""},
      {"<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>", ""},
      {"<svg></p><style><a id=\"</style><img src=1 onerror=alert(1)>\">", ""},
      {"<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>", ""},
      // Unclosed and misnested tags.
      {"<p><b>bold<i>both</b>italic</i>", "<p><b>bold<i>both</i></b><i>italic</i></p>"},
      {"<a href=\"https://a.localhost/\">one<a href=\"https://b.localhost/\">two</a>",
       "<a href=\"https://a.localhost/\"" + kRel + ">one</a><a href=\"https://b.localhost/\"" +
           kRel + ">two</a>"},
      // The adoption agency algorithm clones the outer link into the <div>.
      {"<a href=\"https://a.localhost/\"><div><a href=\"https://b.localhost/\">in</a></div></a>",
       "<a href=\"https://a.localhost/\"" + kRel + "></a><a href=\"https://a.localhost/\"" + kRel +
           "></a><a href=\"https://b.localhost/\"" + kRel + ">in</a>"},
      {"<p>unclosed <em>emphasis", "<p>unclosed <em>emphasis</em></p>"},
      // "<script" is an attribute name there: no script element exists.
      {"<a href=\"https://x.localhost/\" <script>alert(1)</script>",
       "<a href=\"https://x.localhost/\"" + kRel + ">alert(1)</a>"},
      {"<p>a</p\n<script>alert(1)</script>", "<p>a</p>alert(1)"},
  };
  for (const auto& c : cases) {
    INFO(c.input);
    std::string out = sanitized(c.input);
    CHECK(out == c.expected);
    check_safe(out);
  }
}

TEST_CASE("sanitize_html: entities are decoded once and re-escaped", "[html]") {
  const std::vector<Case> cases = {
      {"&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;script&gt;alert(1)&lt;/script&gt;"},
      {"&amp;lt;", "&amp;lt;"},
      {"&#x3C;b&#x3E;", "&lt;b&gt;"},
      {"&#60;&#62;&#38;", "&lt;&gt;&amp;"},
      {"a&nbsp;b",
       "a\xC2\xA0"
       "b"},
      {"&eacute;t&eacute;", "\xC3\xA9t\xC3\xA9"},
      {"caf&#xe9;", "caf\xC3\xA9"},
      {"&#0;", "\xEF\xBF\xBD"},
      // Found by fuzzing: references to controls and noncharacters decode
      // to raw code points that the parser would replace when reading the
      // output back, so they are written as U+FFFD.
      {"&#x11;&#x81;&#xFDD0;&#x1FFFF;", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
      {"&#x80;", "\xE2\x82\xAC"},  // remapped to the euro sign, as the standard says
      {"&#x110000;", "\xEF\xBF\xBD"},
      {"&zzz;", "&amp;zzz;"},
      {"&notin; &notanentity;",
       "\xE2\x88\x89 \xC2\xAC"
       "anentity;"},  // legacy &not, as browsers
      {"AT&T", "AT&amp;T"},
      {"\"quotes\" and 'apostrophes'", "&quot;quotes&quot; and &#39;apostrophes&#39;"},
      {"<a href=\"https://x.localhost/?a=1&amp;b=2\">q</a>",
       "<a href=\"https://x.localhost/?a=1&amp;b=2\"" + kRel + ">q</a>"},
      {"<a href=\"https://x.localhost/?a=1&b=2\">q</a>",
       "<a href=\"https://x.localhost/?a=1&amp;b=2\"" + kRel + ">q</a>"},
      {"<a href='https://x.localhost/\"onmouseover=\"alert(1)'>q</a>",
       "<a href=\"https://x.localhost/&quot;onmouseover=&quot;alert(1)\"" + kRel + ">q</a>"},
      {"<a href=\"https://x.localhost/<b>\">q</a>",
       "<a href=\"https://x.localhost/&lt;b&gt;\"" + kRel + ">q</a>"},
      {"\xFF\xFEinvalid utf-8", "\xEF\xBF\xBD\xEF\xBF\xBDinvalid utf-8"},
      {std::string("nul\0byte", 8), "nulbyte"},
      {"cr\r\nlf", "cr\nlf"},
  };
  for (const auto& c : cases) {
    INFO(c.input);
    CHECK(sanitized(c.input) == c.expected);
    check_safe(c.expected);
  }
}

TEST_CASE("sanitize_html: output parses back to the same tree", "[html]") {
  const std::vector<Case> cases = {
      // Blocks never start inside <p> (a parser would close the <p>).
      {"<p>a<button><p>b</p></button>c</p>", "<p>a b c</p>"},
      {"<h1><p>x</p></h1>", "<p><strong>x</strong></p>"},
      {"<h1><span><h2>x</h2></span></h1>", "<p><strong><span>x</span></strong></p>"},
      {"<p><object><ul><li>x</li></ul></object></p>", "<p></p>"},
      // <li> only directly in a list.
      {"<li>loose</li>", "loose"},
      {"<ul><span><li>x</li></span></ul>", "<ul><span>x</span></ul>"},
      {"<ul><div><li>x</li></div></ul>", "<ul><li>x</li></ul>"},
      // <a> never inside <a>.
      {"<a href=\"https://a.localhost/\"><button><a "
       "href=\"https://b.localhost/\">x</a></button></a>",
       "<a href=\"https://a.localhost/\"" + kRel + "></a><a href=\"https://a.localhost/\"" + kRel +
           "></a><a href=\"https://b.localhost/\"" + kRel + ">x</a>"},
      // The newline a parser drops after <pre> is written twice.
      {"<pre>\n\nafter blank</pre>", "<pre>\n\nafter blank</pre>"},
      {"<pre>\nfirst</pre>", "<pre>first</pre>"},
      {"<pre><b></b>\nx</pre>", "<pre><b></b>\nx</pre>"},
      // Leading whitespace survives (fragment parsing).
      {"  indented", "  indented"},
  };
  for (const auto& c : cases) {
    INFO(c.input);
    CHECK(sanitized(c.input) == c.expected);
    check_safe(c.expected);
  }
}

TEST_CASE("sanitize_html: nesting deeper than kMaxHtmlDepth is flattened", "[html]") {
  const std::size_t deep = 200;
  std::string input = repeat("<span>", deep) + "core" + repeat("</span>", deep);
  std::string out = sanitized(input);
  const auto depth = static_cast<std::size_t>(kMaxHtmlDepth);
  CHECK(out == repeat("<span>", depth) + "core" + repeat("</span>", depth));
  check_safe(out);

  // Headings need two levels; at the limit they are unwrapped whole.
  std::string headings = repeat("<b>", depth - 1) + "<h1>h</h1>";
  CHECK(sanitized(headings) == repeat("<b>", depth - 1) + "h" + repeat("</b>", depth - 1));

  // 10,000 levels (of an element gumbo cannot simply close) are refused
  // before parsing, by the tag count.
  CHECK_FALSE(sanitize_html(repeat("<div>", 10000)).has_value());
}

TEST_CASE("sanitize_html: limits refuse hostile sizes before parsing", "[html]") {
  std::string at_limit(kMaxHtmlInputBytes, 'x');
  CHECK(sanitize_html(at_limit) == at_limit);
  CHECK_FALSE(sanitize_html(at_limit + "x").has_value());
  CHECK_FALSE(html_to_text(at_limit + "x").has_value());

  CHECK(sanitize_html(repeat("<b></b>", kMaxHtmlTags / 2)).has_value());
  CHECK_FALSE(sanitize_html(repeat("<b></b>", kMaxHtmlTags / 2 + 1)).has_value());
  // Only tags count, not text that looks like one.
  CHECK(sanitize_html(repeat("&lt;b&gt; 1 < 2 <3 ", 5000)).has_value());
  CHECK(sanitize_html(repeat("<!-- <b> -->", 5000)).has_value());
  CHECK(sanitize_html("<a title=\"" + repeat("<b ", 5000) + "\">x</a>").has_value());

  std::string attributes;
  for (std::size_t i = 0; i < kMaxHtmlAttributes; ++i) attributes += " a" + std::to_string(i);
  CHECK(sanitize_html("<span" + attributes + ">x</span>").has_value());
  CHECK_FALSE(sanitize_html("<span" + attributes + " last>x</span>").has_value());
  // Attributes of an end tag cost the parser the same.
  CHECK_FALSE(sanitize_html("<span></span" + attributes + " last>").has_value());
  // A quoted '>' does not end the tag; '/' and quotes separate attributes.
  CHECK_FALSE(sanitize_html("<span x=\">\"" + attributes + ">").has_value());
  CHECK_FALSE(sanitize_html("<span " + repeat("a=\"\"b", kMaxHtmlAttributes) + ">").has_value());
  CHECK_FALSE(sanitize_html("<span " + repeat("/a", kMaxHtmlAttributes + 1) + ">").has_value());

  // After <svg> or <style> the tokenizer depends on context, so every space
  // counts as a possible attribute.
  CHECK(sanitize_html("<svg></svg>" + repeat("word ", 1000)).has_value());
  CHECK_FALSE(
      sanitize_html("<svg></svg>" + repeat("word ", 16 * kMaxHtmlAttributes + 1)).has_value());
  CHECK_FALSE(sanitize_html("<STYLE>" + repeat(" ", 16 * kMaxHtmlAttributes + 1)).has_value());

  // Input that the HTML algorithm amplifies hits the memory bound: each
  // "<div>x" re-opens (clones, titles included) every formatting element
  // that the first </div> closed but left active.
  std::string amplifier = "<div>";
  for (int i = 0; i < 60; ++i)
    amplifier += "<b title=\"" + std::to_string(i) + repeat("x", 1500) + "\">";
  amplifier += "</div>" + repeat("<div>x</div>", 600);
  CHECK(amplifier.size() < kMaxHtmlInputBytes);
  CHECK_FALSE(sanitize_html(amplifier).has_value());
}

TEST_CASE("html_to_text: plain text for previews and search", "[html]") {
  const std::vector<Case> cases = {
      {"", ""},
      {"<p>Hello <b>world</b></p>", "Hello world"},
      {"<p>one</p><p>two</p>", "one\n\ntwo"},
      {"<p>line<br>break<br><br>twice</p>", "line\nbreak\n\ntwice"},
      {"<ul><li>a</li><li>b</li></ul><p>after</p>", "a\nb\n\nafter"},
      {"<div>a</div><div>b</div>", "a\nb"},
      {"<h1>Title</h1>text", "Title\n\ntext"},
      {"  lots   of\n\twhite   space  ", "lots of white space"},
      {"<pre>  keep\n    this</pre>", "keep\n    this"},
      {"&lt;not markup&gt; &amp; &eacute;", "<not markup> & \xC3\xA9"},
      {"<script>var hidden = 1;</script><style>p{}</style>shown", "shown"},
      {"<svg><text>drawn</text></svg>shown", "shown"},
      {R"(<p><span class="h-card"><a href="https://localhost:3001/@alice" class="u-url mention">@<span>alice</span></a></span> see <a href="https://www.example.com/a"><span class="invisible">https://www.</span><span>example.com/a</span></a></p>)",
       "@alice see https://www.example.com/a"},
  };
  for (const auto& c : cases) {
    INFO(c.input);
    CHECK(html_to_text(c.input) == c.expected);
  }
}

TEST_CASE("safe_link_href: schemes and shapes", "[html]") {
  const std::vector<Case> good = {
      {"https://localhost/", "https://localhost/"},
      {"http://localhost:8080/a?b=c#d", "http://localhost:8080/a?b=c#d"},
      {"HTTPS://LOCALHOST/", "HTTPS://LOCALHOST/"},
      {"  https://localhost/trimmed  ", "https://localhost/trimmed"},
      {"https://local\nhost/", "https://localhost/"},
      {"gemini://localhost/", "gemini://localhost/"},
      {"xmpp:alice@localhost", "xmpp:alice@localhost"},
      {"magnet:?xt=urn:btih:0000", "magnet:?xt=urn:btih:0000"},
      {"ipfs://bafybeigdyrzt", "ipfs://bafybeigdyrzt"},
      {"dat://x", "dat://x"},
      {"dweb:/ipfs/x", "dweb:/ipfs/x"},
      {"ipns://x", "ipns://x"},
      {"ssb://x", "ssb://x"},
      {"gopher://localhost/", "gopher://localhost/"},
      {"https://localhost/\xC3\xA9t\xC3\xA9", "https://localhost/\xC3\xA9t\xC3\xA9"},
  };
  for (const auto& c : good) {
    INFO(c.input);
    CHECK(safe_link_href(c.input) == c.expected);
  }
  const std::vector<std::string> bad = {
      "",
      "javascript:alert(1)",
      "JAVASCRIPT:alert(1)",
      "\x01javascript:alert(1)",
      "java\tscript:alert(1)",
      "vbscript:x",
      "data:text/html,x",
      "file:///etc/passwd",
      "mailto:alice@localhost",
      "tel:+100",
      "about:blank",
      "/relative",
      "relative",
      "//localhost/",
      "#fragment",
      "?query",
      "https:",
      "https:/localhost",
      "https://",
      "https:///path",
      "https://?q",
      "https:\\\\localhost",
      "https://local host/",
      "https://localhost/\x7f",
      "https://local\x01host/",
      "1https://localhost/",
      ":https://localhost/",
      "https://localhost/" + std::string(kMaxHrefBytes, 'a'),
  };
  for (const auto& href : bad) {
    INFO(href);
    CHECK_FALSE(safe_link_href(href).has_value());
  }
}

TEST_CASE("text_to_html: paragraphs, line breaks, escaping", "[html]") {
  const std::vector<Case> cases = {
      {"", ""},
      {"   \n \n", ""},
      {"hello", "<p>hello</p>"},
      {"one\ntwo", "<p>one<br>two</p>"},
      {"one\r\ntwo\rthree", "<p>one<br>two<br>three</p>"},
      {"para one\n\npara two", "<p>para one</p><p>para two</p>"},
      {"\n\nleading and trailing\n\n\n", "<p>leading and trailing</p>"},
      {"a\n  \t\nb", "<p>a</p><p>b</p>"},
      {"<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"},
      {"Tom & \"Jerry\" 'x'", "<p>Tom &amp; &quot;Jerry&quot; &#39;x&#39;</p>"},
      {"\xFFinvalid", "<p>\xEF\xBF\xBDinvalid</p>"},
      {std::string("nul\0gone", 8), "<p>nulgone</p>"},
      // Found by fuzzing: the parser replaces controls and noncharacters,
      // so text_to_html does too, or its output would not be a fixed point.
      {"del\x7f c1\xC2\x80 bell\x07 tab\t ff\f nonchar\xEF\xB7\x90\xEF\xBF\xBE",
       "<p>del\xEF\xBF\xBD c1\xEF\xBF\xBD bell\xEF\xBF\xBD tab\t ff\f "
       "nonchar\xEF\xBF\xBD\xEF\xBF\xBD</p>"},
  };
  for (const auto& c : cases) {
    INFO(c.input);
    CHECK(text_to_html(c.input) == c.expected);
    CHECK(sanitize_html(c.expected) == c.expected);
  }
}

TEST_CASE("text_to_html: URLs become shortened links", "[html]") {
  const std::string short_link =
      "<a href=\"https://localhost/a\"" + kRel +
      "><span class=\"invisible\">https://</span><span>localhost/a</span></a>";
  const std::vector<Case> cases = {
      {"see https://localhost/a", "<p>see " + short_link + "</p>"},
      {"https://localhost/a.", "<p>" + short_link + ".</p>"},
      {"(https://localhost/a)", "<p>(" + short_link + ")</p>"},
      {"https://localhost/a, and", "<p>" + short_link + ", and</p>"},
      {"\"https://localhost/a\"", "<p>&quot;" + short_link + "&quot;</p>"},
      {"https://en.wikipedia.org/wiki/Foo_(bar)",
       "<p><a href=\"https://en.wikipedia.org/wiki/Foo_(bar)\"" + kRel +
           "><span class=\"invisible\">https://</span><span class=\"ellipsis\">en.wikipedia.org/"
           "wiki/Foo_(bar</span><span class=\"invisible\">)</span></a></p>"},
      {"http://www.localhost/",
       "<p><a href=\"http://www.localhost/\"" + kRel +
           "><span class=\"invisible\">http://www.</span><span>localhost/</span></a></p>"},
      {"https://localhost/?a=1&b=<2>", "<p><a href=\"https://localhost/?a=1&amp;b=\"" + kRel +
                                           "><span "
                                           "class=\"invisible\">https://</span><span>localhost/"
                                           "?a=1&amp;b=</span></a>&lt;2&gt;</p>"},
      // Not links: no host, another scheme, glued to a word.
      {"https:// nothing", "<p>https:// nothing</p>"},
      {"ftp://localhost/ javascript:alert(1)", "<p>ftp://localhost/ javascript:alert(1)</p>"},
      {"xhttps://localhost/", "<p>xhttps://localhost/</p>"},
  };
  for (const auto& c : cases) {
    INFO(c.input);
    CHECK(text_to_html(c.input) == c.expected);
    CHECK(sanitize_html(c.expected) == c.expected);
  }
}

TEST_CASE("text_to_html: finders are the extension point for mentions", "[html]") {
  // A stand-in for the mention finder the statuses service will provide.
  const LinkFinder mentions = [](std::string_view line) {
    std::vector<TextLink> links;
    for (std::size_t at = line.find("@alice"); at != std::string_view::npos;
         at = line.find("@alice", at + 1))
      links.push_back({at, at + 6,
                       "<span class=\"h-card\">" +
                           kith::ap::link_start_tag("https://localhost/@alice", "u-url mention") +
                           "@<span>alice</span></a></span>"});
    return links;
  };
  const std::vector<LinkFinder> finders = {find_url_links, mentions};
  const std::string html = text_to_html("hi @alice, see https://localhost/@alice", finders);
  CHECK(
      html ==
      "<p>hi <span class=\"h-card\"><a href=\"https://localhost/@alice\" class=\"u-url mention\"" +
          kRel + ">@<span>alice</span></a></span>, see <a href=\"https://localhost/@alice\"" +
          kRel + "><span class=\"invisible\">https://</span><span>localhost/@alice</span></a></p>");
  CHECK(sanitize_html(html) == html);

  // Offsets are bytes of the line; a finder's out-of-range link is ignored.
  const LinkFinder broken = [](std::string_view) {
    return std::vector<TextLink>{{5, 2, "<b>x</b>"}, {0, 999, "<b>y</b>"}};
  };
  CHECK(text_to_html("plain", std::vector<LinkFinder>{broken}) == "<p>plain</p>");
}
