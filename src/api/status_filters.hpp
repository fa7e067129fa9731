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
// The community moderation engine (issue 5, mod/engine.hpp), when load()
// is given one, adds its verdict for the viewer as one more FilterResult:
// a kith system filter (id "kith-community-moderation" and kin, context
// all, no keywords, status_matches the status) with action warn or hide,
// so every client shows it without change. One verdict() per status, no
// database work. A hide verdict removes the status in a context like a
// hide filter; an instance-wide action (acted_for_everyone) is a warn for
// everyone and also keeps the status out of public timelines. The
// viewer's own statuses only ever show the instance-wide warn, and mutes
// are left to kith's own visibility rules (client_verdict).
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
namespace kith::mod {
class Engine;
struct Verdict;
}  // namespace kith::mod

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

// The FilterResult of a moderation verdict on `status_id` (action warn or
// hide; none: a null json). The filter is a kith system filter: a stable
// id per reason ("kith-community-moderation", "kith-reported-by-you",
// "kith-community-moderation-everyone"), a title a user understands, context all, no
// keywords or statuses; status_matches is the status.
nlohmann::json moderation_filter_result(const mod::Verdict& verdict, std::int64_t status_id);

// The engine's verdict on `status_id` by `author_id` for `viewer` as the
// client API applies it. The viewer's own statuses and anonymous viewers
// (0) only ever get an instance-wide action's warn. A muted_author verdict
// is dropped (an instance-wide action still shows): kith's own visibility
// rules already apply mutes and blocks the way Mastodon does (left out of
// home, notifications and public timelines, shown on the profile and when
// opened), and see an unmute, an expired mute or a lifted domain block at
// once, which the engine is never told.
mod::Verdict client_verdict(const mod::Engine& engine, std::int64_t viewer, std::int64_t status_id,
                            std::int64_t author_id);

class FilterSet {
 public:
  FilterSet() = default;
  // An empty set for `context` (load() is the usual way to make one).
  explicit FilterSet(FilterContext context) : context_(context) {}
  // The viewer's unexpired filters of `context` (all unexpired ones for
  // FilterContext::any), and `moderation`'s verdicts when not null. No
  // viewer (0): no filters, only instance-wide actions.
  static FilterSet load(pqxx::transaction_base& tx, std::int64_t viewer, FilterContext context,
                        const mod::Engine* moderation = nullptr);

  struct Verdict {
    nlohmann::json results = nlohmann::json::array();  // FilterResult entities
    bool hide = false;                                 // leave the status out
    // Acted on for everyone by community moderation: shown sensitive, with
    // a content warning, also to clients that ignore `filtered`.
    bool sensitive = false;
  };
  // `status` as rendered; `original` the status it boosts, if any: its
  // text is what is matched, and both ids are matched against statuses.
  Verdict apply(const db::StatusView& status, const db::StatusView* original) const;

  // One more filter of the viewer's own kind.
  void add(db::FilterRow filter);
  // The moderation engine's verdicts for `viewer` (0: instance-wide
  // actions only); null: none.
  void set_moderation(const mod::Engine* moderation, std::int64_t viewer);
  bool empty() const { return filters_.empty() && moderation_ == nullptr; }

 private:
  FilterContext context_ = FilterContext::any;
  const mod::Engine* moderation_ = nullptr;
  std::int64_t viewer_ = 0;
  std::vector<db::FilterRow> filters_;
  // Adds the moderation engine's verdict on `shown` to `out`.
  void apply_moderation(const db::StatusView& shown, Verdict& out) const;
  // filters_[i].keywords[k].keyword case-folded, once at load, not per status.
  std::vector<std::vector<std::string>> folded_keywords_;
};

}  // namespace kith::api
