// The `filtered` field of Status entities: which of the viewer's filters
// (db/filters.hpp) match a status, as Mastodon's FilterResult entities, and
// whether the status must be left out. Internal to the api module.
//
// The one idea: a FilterSet is loaded once per rendering (one query for
// the viewer's unexpired filters of the context, one each for their
// keywords and statuses) and then applied to every status of the page in
// memory; keywords are case-folded once at load and each status's text once
// per status. A keyword matches the status's text as Mastodon's
// CustomFilter#apply_cached_filters does: the content warning, the text
// (HTML stripped), poll options and media descriptions, ignoring case,
// with word boundaries when whole_word. In a context (home, public, ...)
// a matching `hide` filter removes the status; with FilterContext::any
// (GET /statuses/:id, the answers of actions) every unexpired filter is
// reported and nothing is removed, as Mastodon leaves it to the client.
//
// Extension point: the moderation engine (issue 5) adds its per-user
// verdicts as one more filter with add() after load(), e.g. a "system"
// filter whose statuses are the ones it predicts the viewer would flag,
// with action warn or hide.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "kith/db/client_views.hpp"
#include "kith/db/filters.hpp"

namespace pqxx {
class transaction_base;
}

namespace kith::api {

enum class FilterContext { any, home, notifications, public_timelines, thread, account };

// "home", "notifications", "public", "thread", "account"; "" for any.
std::string_view filter_context_name(FilterContext context);

// The Filter entity (keywords and statuses included unless `as_result`:
// a FilterResult's filter leaves them out, as Mastodon's does).
nlohmann::json filter_json(const db::FilterRow& filter, bool as_result = false);

// Whether `keyword` occurs in `text`, ignoring case (ASCII, Latin-1,
// Greek and Cyrillic letters), and with `whole_word` only where it is not
// part of a longer word: a keyword that starts (ends) with a word
// character must not be preceded (followed) by one. Word characters are
// ASCII letters, digits and '_' and non-ASCII letters (every code point
// from U+0080 on but Latin-1 punctuation and the general and CJK
// punctuation blocks).
bool keyword_matches(std::string_view text, std::string_view keyword, bool whole_word);

class FilterSet {
 public:
  FilterSet() = default;
  // The viewer's unexpired filters of `context` (all unexpired ones for
  // FilterContext::any). No viewer (0): an empty set.
  static FilterSet load(pqxx::transaction_base& tx, std::int64_t viewer, FilterContext context);

  struct Verdict {
    nlohmann::json results = nlohmann::json::array();  // FilterResult entities
    bool hide = false;                                 // leave the status out
  };
  // `status` as rendered; `original` the status it boosts, if any: its
  // text is what is matched, and both ids are matched against statuses.
  Verdict apply(const db::StatusView& status, const db::StatusView* original) const;

  // One more filter, e.g. the moderation engine's verdicts for this viewer.
  void add(db::FilterRow filter);
  bool empty() const { return filters_.empty(); }

 private:
  FilterContext context_ = FilterContext::any;
  std::vector<db::FilterRow> filters_;
  // filters_[i].keywords[k].keyword case-folded, once at load, not per status.
  std::vector<std::vector<std::string>> folded_keywords_;
};

}  // namespace kith::api
