// A user's filters (Mastodon 4's v2 filters): a titled group of keywords
// and statuses, applied in some contexts (home, notifications, public,
// thread, account) with an action (warn, hide, blur), until it expires.
// Mastodon's v1 filters are one keyword each, read and written through the
// same rows (api/filters.cpp maps them).
//
// Every look-up takes the owner, so someone else's filter, keyword or
// status filter is simply not found. Every change to a keyword or status
// filter also touches its filter row, so that the filters_changed stream
// event (migration 0006's trigger on `filters`) fires for it too. What this
// layer must never do: commit, or decide what a filter means for a status
// (api/status_filters.cpp does).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pqxx {
class transaction_base;
}

namespace kith::db {

// Most filters per account, keywords per filter and statuses per filter:
// creating more is refused (422), and one request loads no more than these,
// whatever the rows hold.
inline constexpr std::size_t kMaxFiltersPerAccount = 200;
inline constexpr std::size_t kMaxKeywordsPerFilter = 200;
inline constexpr std::size_t kMaxStatusesPerFilter = 1000;

struct FilterKeywordRow {
  std::int64_t id = 0;
  std::int64_t filter_id = 0;
  std::string keyword;
  bool whole_word = true;
};

struct FilterStatusRow {
  std::int64_t id = 0;
  std::int64_t filter_id = 0;
  std::int64_t status_id = 0;
};

struct FilterRow {
  std::int64_t id = 0;
  std::string title;
  std::vector<std::string> context;
  std::string action;      // warn, hide or blur
  std::string expires_at;  // ISO 8601 with milliseconds, "" when never
  bool expired = false;
  std::vector<FilterKeywordRow> keywords;
  std::vector<FilterStatusRow> statuses;
};

// The owner's filters with their keywords and statuses, oldest first.
// `active_in`: only unexpired ones whose context has it ("" for all
// unexpired ones); nullopt: all of them, expired too.
std::vector<FilterRow> filters_of(pqxx::transaction_base& tx, std::int64_t owner,
                                  const std::optional<std::string>& active_in = std::nullopt);
std::optional<FilterRow> find_filter(pqxx::transaction_base& tx, std::int64_t owner,
                                     std::int64_t filter_id);

// How many filters the owner has, after locking the owner's account row so
// that concurrent creates count one after the other.
std::int64_t count_filters_locked(pqxx::transaction_base& tx, std::int64_t owner);
// How many keywords filter `filter_id` has.
std::int64_t count_filter_keywords(pqxx::transaction_base& tx, std::int64_t filter_id);

// What a create or update writes. expires_in: nullopt keeps (update) or
// means never (create); 0 or less means never, else seconds from now.
struct FilterChange {
  std::optional<std::string> title;
  std::optional<std::vector<std::string>> context;
  std::optional<std::string> action;
  std::optional<std::optional<std::int64_t>> expires_in;  // outer: given; inner: nullopt = never
};
std::int64_t insert_filter(pqxx::transaction_base& tx, std::int64_t owner,
                           const FilterChange& change);
// Always touches the row (the filters_changed event), even with no change.
void update_filter(pqxx::transaction_base& tx, std::int64_t filter_id, const FilterChange& change);
void delete_filter(pqxx::transaction_base& tx, std::int64_t filter_id);

std::optional<FilterKeywordRow> find_filter_keyword(pqxx::transaction_base& tx, std::int64_t owner,
                                                    std::int64_t keyword_id);
FilterKeywordRow insert_filter_keyword(pqxx::transaction_base& tx, std::int64_t filter_id,
                                       const std::string& keyword, bool whole_word);
void update_filter_keyword(pqxx::transaction_base& tx, const FilterKeywordRow& keyword);
void delete_filter_keyword(pqxx::transaction_base& tx, const FilterKeywordRow& keyword);

std::optional<FilterStatusRow> find_filter_status(pqxx::transaction_base& tx, std::int64_t owner,
                                                  std::int64_t filter_status_id);
// nullopt when the status is already in the filter.
std::optional<FilterStatusRow> insert_filter_status(pqxx::transaction_base& tx,
                                                    std::int64_t filter_id, std::int64_t status_id);
void delete_filter_status(pqxx::transaction_base& tx, const FilterStatusRow& status);

}  // namespace kith::db
