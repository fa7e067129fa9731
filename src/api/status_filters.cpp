// Matching the viewer's filters against statuses (status_filters.hpp).
#include "status_filters.hpp"

#include <pqxx/pqxx>

#include "kith/ap/html_sanitizer.hpp"
#include "kith/mod/engine.hpp"

namespace kith::api {
namespace {

using json = nlohmann::json;

// The code point whose UTF-8 sequence starts at text[i] (U+FFFD when
// malformed), and its length in bytes.
std::pair<char32_t, std::size_t> decode_at(std::string_view text, std::size_t i) {
  const auto b = static_cast<unsigned char>(text[i]);
  std::size_t length = b < 0x80         ? 1
                       : (b >> 5) == 6  ? 2
                       : (b >> 4) == 14 ? 3
                       : (b >> 3) == 30 ? 4
                                        : 0;
  if (length == 0 || i + length > text.size()) return {0xFFFD, 1};
  char32_t cp = length == 1 ? b : b & (0x7F >> length);
  for (std::size_t k = 1; k < length; ++k) {
    const auto c = static_cast<unsigned char>(text[i + k]);
    if ((c & 0xC0) != 0x80) return {0xFFFD, 1};
    cp = (cp << 6) | (c & 0x3F);
  }
  return {cp, length};
}

bool word_code_point(char32_t cp) {
  if (cp < 0x80)
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
           cp == '_';
  if (cp <= 0xBF || cp == 0xD7 || cp == 0xF7) return false;  // Latin-1 punctuation and signs
  if (cp >= 0x2000 && cp <= 0x2BFF) return false;            // punctuation, symbols, arrows, shapes
  if (cp >= 0x3000 && cp <= 0x303F) return false;            // CJK punctuation
  if (cp >= 0xFE30 && cp <= 0xFE4F) return false;            // CJK compatibility forms
  if (cp >= 0xFF00 && cp <= 0xFF0F) return false;            // full-width punctuation
  if (cp >= 0x1F000 && cp <= 0x1FAFF) return false;          // emoji and pictographs
  return true;
}

// The code point ending just before text[i].
char32_t code_point_before(std::string_view text, std::size_t i) {
  std::size_t start = i - 1;
  while (start > 0 && i - start < 4 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80)
    --start;
  return decode_at(text, start).first;
}

// Lower case for ASCII, Latin-1, Greek and Cyrillic capitals, keeping
// every sequence's length (all of these map within their UTF-8 length).
std::string fold_case(std::string_view text) {
  std::string out(text);
  for (std::size_t i = 0; i < out.size();) {
    auto [cp, length] = decode_at(out, i);
    char32_t lower = cp;
    if (cp >= 'A' && cp <= 'Z')
      lower = cp + 32;
    else if ((cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) ||
             (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2) || (cp >= 0x410 && cp <= 0x42F))
      lower = cp + 32;
    else if (cp >= 0x400 && cp <= 0x40F)
      lower = cp + 80;
    if (lower != cp) {
      if (length == 1) {
        out[i] = static_cast<char>(lower);
      } else if (length == 2) {
        out[i] = static_cast<char>(0xC0 | (lower >> 6));
        out[i + 1] = static_cast<char>(0x80 | (lower & 0x3F));
      }
    }
    i += length;
  }
  return out;
}

// What a keyword is matched against: Mastodon's Status#searchable_text.
std::string searchable_text(const db::StatusView& s) {
  std::string text = s.spoiler_text;
  text += "\n\n";
  if (s.local && !s.text.empty())
    text += s.text;
  else
    text += ap::html_to_text(s.content).value_or("");
  if (s.poll)
    for (const auto& option : s.poll->options) text += "\n\n" + option.title;
  for (const auto& media : s.media) text += "\n\n" + media.description;
  return text;
}

}  // namespace

std::string_view filter_context_name(FilterContext context) {
  switch (context) {
    case FilterContext::home:
      return "home";
    case FilterContext::notifications:
      return "notifications";
    case FilterContext::public_timelines:
      return "public";
    case FilterContext::thread:
      return "thread";
    case FilterContext::account:
      return "account";
    case FilterContext::any:
      break;
  }
  return "";
}

json filter_json(const db::FilterRow& filter, bool as_result) {
  json out = {{"id", std::to_string(filter.id)},
              {"title", filter.title},
              {"context", filter.context},
              {"expires_at", filter.expires_at.empty() ? json(nullptr) : json(filter.expires_at)},
              {"filter_action", filter.action}};
  if (as_result) return out;
  json keywords = json::array();
  for (const auto& k : filter.keywords)
    keywords.push_back(
        {{"id", std::to_string(k.id)}, {"keyword", k.keyword}, {"whole_word", k.whole_word}});
  json statuses = json::array();
  for (const auto& s : filter.statuses)
    statuses.push_back({{"id", std::to_string(s.id)}, {"status_id", std::to_string(s.status_id)}});
  out["keywords"] = std::move(keywords);
  out["statuses"] = std::move(statuses);
  return out;
}

namespace {

// keyword_matches() of a text and a keyword already case-folded.
bool folded_keyword_matches(std::string_view haystack, std::string_view needle, bool whole_word) {
  if (needle.empty()) return false;
  const bool word_start = word_code_point(decode_at(needle, 0).first);
  const bool word_end = word_code_point(code_point_before(needle, needle.size()));
  for (std::size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    if (!whole_word) return true;
    const std::size_t end = at + needle.size();
    if (word_start && at > 0 && word_code_point(code_point_before(haystack, at))) continue;
    if (word_end && end < haystack.size() && word_code_point(decode_at(haystack, end).first))
      continue;
    return true;
  }
  return false;
}

// Each keyword of `filter`, case-folded.
std::vector<std::string> folded_keywords(const db::FilterRow& filter) {
  std::vector<std::string> out;
  out.reserve(filter.keywords.size());
  for (const auto& keyword : filter.keywords) out.push_back(fold_case(keyword.keyword));
  return out;
}

}  // namespace

bool keyword_matches(std::string_view text, std::string_view keyword, bool whole_word) {
  return folded_keyword_matches(fold_case(text), fold_case(keyword), whole_word);
}

json moderation_filter_result(const mod::Verdict& verdict, std::int64_t status_id) {
  if (verdict.action == mod::Action::none) return nullptr;
  std::string_view id = "kith-community-moderation";
  std::string_view title = "Community moderation";
  switch (verdict.reason) {
    case mod::Reason::own_flag:
      id = "kith-reported-by-you";
      title = "Reported by you";
      break;
    case mod::Reason::muted_author:
      id = "kith-muted-author";
      title = "You muted or blocked the author";
      break;
    case mod::Reason::community:
      id = "kith-community-moderation-everyone";
      title = "Community moderation (for everyone)";
      break;
    case mod::Reason::predicted:
    case mod::Reason::none:
      break;
  }
  json filter = {{"id", id},
                 {"title", title},
                 {"context", {"home", "notifications", "public", "thread", "account"}},
                 {"expires_at", nullptr},
                 {"filter_action", verdict.action == mod::Action::hide ? "hide" : "warn"},
                 {"keywords", json::array()},
                 {"statuses", json::array()}};
  return {{"filter", std::move(filter)},
          {"keyword_matches", nullptr},
          {"status_matches", {std::to_string(status_id)}}};
}

FilterSet FilterSet::load(pqxx::transaction_base& tx, std::int64_t viewer, FilterContext context,
                          const mod::Engine* moderation) {
  FilterSet set;
  set.context_ = context;
  set.set_moderation(moderation, viewer);
  if (viewer == 0) return set;
  for (db::FilterRow& filter :
       db::filters_of(tx, viewer, std::string(filter_context_name(context))))
    set.add(std::move(filter));
  return set;
}

void FilterSet::set_moderation(const mod::Engine* moderation, std::int64_t viewer) {
  moderation_ = moderation;
  viewer_ = viewer;
}

void FilterSet::add(db::FilterRow filter) {
  folded_keywords_.push_back(folded_keywords(filter));
  filters_.push_back(std::move(filter));
}

FilterSet::Verdict FilterSet::apply(const db::StatusView& status,
                                    const db::StatusView* original) const {
  Verdict verdict;
  if (empty()) return verdict;
  const db::StatusView& shown = original ? *original : status;
  if (moderation_ != nullptr) apply_moderation(shown, verdict);
  // The status's text, case-folded once, when some filter has a keyword.
  std::string text;
  bool text_ready = false;
  for (std::size_t f = 0; f < filters_.size(); ++f) {
    const db::FilterRow& filter = filters_[f];
    json keyword_matches_found = json::array();
    for (std::size_t k = 0; k < filter.keywords.size(); ++k) {
      if (!text_ready) {
        text = fold_case(searchable_text(shown));
        text_ready = true;
      }
      const db::FilterKeywordRow& keyword = filter.keywords[k];
      if (folded_keyword_matches(text, folded_keywords_[f][k], keyword.whole_word))
        keyword_matches_found.push_back(keyword.keyword);
    }
    json status_matches = json::array();
    for (const auto& filtered : filter.statuses)
      if (filtered.status_id == status.id || (original && filtered.status_id == original->id))
        status_matches.push_back(std::to_string(filtered.status_id));
    if (keyword_matches_found.empty() && status_matches.empty()) continue;
    verdict.results.push_back(
        {{"filter", filter_json(filter, true)},
         {"keyword_matches", keyword_matches_found.empty() ? json(nullptr) : keyword_matches_found},
         {"status_matches", status_matches.empty() ? json(nullptr) : status_matches}});
    if (filter.action == "hide" && context_ != FilterContext::any) verdict.hide = true;
  }
  return verdict;
}

mod::Verdict client_verdict(const mod::Engine& engine, std::int64_t viewer, std::int64_t status_id,
                            std::int64_t author_id) {
  mod::Verdict verdict;
  if (viewer != 0 && author_id != viewer) {
    verdict = engine.verdict(viewer, status_id, author_id);
    if (verdict.reason != mod::Reason::muted_author) return verdict;
    verdict = mod::Verdict{};
  }
  // Only an instance-wide action shows.
  if (engine.acted_for_everyone(status_id)) {
    verdict.action = mod::Action::warn;
    verdict.reason = mod::Reason::community;
  }
  return verdict;
}

void FilterSet::apply_moderation(const db::StatusView& shown, Verdict& out) const {
  const mod::Verdict verdict = client_verdict(*moderation_, viewer_, shown.id, shown.account_id);
  if (verdict.action == mod::Action::none) return;
  out.results.push_back(moderation_filter_result(verdict, shown.id));
  if (verdict.reason == mod::Reason::community && moderation_->acted_for_everyone(shown.id))
    out.sensitive = true;
  if (context_ == FilterContext::any) return;
  // An instance-wide action limits the status: out of public timelines.
  if (verdict.action == mod::Action::hide ||
      (context_ == FilterContext::public_timelines && verdict.reason == mod::Reason::community))
    out.hide = true;
}

}  // namespace kith::api
