// Filters, their keywords and statuses (filters.hpp).
#include "kith/db/filters.hpp"

#include <map>
#include <pqxx/pqxx>

#include "sql_arrays.hpp"

namespace kith::db {
namespace {

const char* const kFilterColumns =
    "f.id, f.title, array_to_string(f.context, ','), f.action,"
    " coalesce(to_char(f.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), ''),"
    " f.expires_at IS NOT NULL AND f.expires_at <= now()";

FilterRow filter_of(const pqxx::row& row) {
  FilterRow f;
  f.id = row[0].as<std::int64_t>();
  f.title = row[1].as<std::string>();
  const std::string context = row[2].as<std::string>();
  std::size_t start = 0;
  while (start < context.size()) {
    std::size_t comma = context.find(',', start);
    if (comma == std::string::npos) comma = context.size();
    f.context.push_back(context.substr(start, comma - start));
    start = comma + 1;
  }
  f.action = row[3].as<std::string>();
  f.expires_at = row[4].as<std::string>();
  f.expired = row[5].as<bool>();
  return f;
}

// Keywords and statuses of `filters`, one query each, at most
// kMaxKeywordsPerFilter and kMaxStatusesPerFilter of each filter (the oldest).
void load_rules(pqxx::transaction_base& tx, std::vector<FilterRow>& filters) {
  if (filters.empty()) return;
  std::map<std::int64_t, FilterRow*> by_id;
  std::vector<std::int64_t> ids;
  for (auto& f : filters) {
    by_id[f.id] = &f;
    ids.push_back(f.id);
  }
  for (const auto& row : tx.exec_params(
           "SELECT id, filter_id, keyword, whole_word FROM (SELECT k.*,"
           " row_number() OVER (PARTITION BY filter_id ORDER BY id) AS n"
           " FROM filter_keywords k WHERE filter_id = ANY($1::bigint[])) ranked"
           " WHERE n <= $2 ORDER BY filter_id, id",
           bigint_array_literal(ids), static_cast<std::int64_t>(kMaxKeywordsPerFilter))) {
    FilterRow& f = *by_id.at(row[1].as<std::int64_t>());
    f.keywords.push_back(
        {row[0].as<std::int64_t>(), f.id, row[2].as<std::string>(), row[3].as<bool>()});
  }
  for (const auto& row : tx.exec_params(
           "SELECT id, filter_id, status_id FROM (SELECT fs.*,"
           " row_number() OVER (PARTITION BY filter_id ORDER BY id) AS n"
           " FROM filter_statuses fs WHERE filter_id = ANY($1::bigint[])) ranked"
           " WHERE n <= $2 ORDER BY filter_id, id",
           bigint_array_literal(ids), static_cast<std::int64_t>(kMaxStatusesPerFilter))) {
    FilterRow& f = *by_id.at(row[1].as<std::int64_t>());
    f.statuses.push_back({row[0].as<std::int64_t>(), f.id, row[2].as<std::int64_t>()});
  }
}

void touch(pqxx::transaction_base& tx, std::int64_t filter_id) {
  tx.exec_params("UPDATE filters SET title = title WHERE id = $1", filter_id);
}

}  // namespace

std::vector<FilterRow> filters_of(pqxx::transaction_base& tx, std::int64_t owner,
                                  const std::optional<std::string>& active_in) {
  std::string sql =
      std::string("SELECT ") + kFilterColumns + " FROM filters f WHERE f.account_id = $1";
  if (active_in) {
    sql += " AND (f.expires_at IS NULL OR f.expires_at > now())";
    sql += active_in->empty() ? " AND $2 = ''" : " AND $2 = ANY(f.context)";
  } else {
    sql += " AND $2 = ''";
  }
  sql += " ORDER BY f.id LIMIT $3";
  std::vector<FilterRow> out;
  for (const auto& row : tx.exec_params(sql, owner, active_in.value_or(""),
                                        static_cast<std::int64_t>(kMaxFiltersPerAccount)))
    out.push_back(filter_of(row));
  load_rules(tx, out);
  return out;
}

std::optional<FilterRow> find_filter(pqxx::transaction_base& tx, std::int64_t owner,
                                     std::int64_t filter_id) {
  const pqxx::result rows =
      tx.exec_params(std::string("SELECT ") + kFilterColumns +
                         " FROM filters f WHERE f.id = $1 AND f.account_id = $2",
                     filter_id, owner);
  if (rows.empty()) return std::nullopt;
  std::vector<FilterRow> found{filter_of(rows[0])};
  load_rules(tx, found);
  return std::move(found.front());
}

std::int64_t count_filters_locked(pqxx::transaction_base& tx, std::int64_t owner) {
  tx.exec_params("SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", owner);
  return tx.exec_params1("SELECT count(*) FROM filters WHERE account_id = $1", owner)[0]
      .as<std::int64_t>();
}

std::int64_t count_filter_keywords(pqxx::transaction_base& tx, std::int64_t filter_id) {
  return tx.exec_params1("SELECT count(*) FROM filter_keywords WHERE filter_id = $1", filter_id)[0]
      .as<std::int64_t>();
}

std::int64_t insert_filter(pqxx::transaction_base& tx, std::int64_t owner,
                           const FilterChange& change) {
  std::optional<std::int64_t> expires_in;
  if (change.expires_in) expires_in = *change.expires_in;
  return tx
      .exec_params(
          "INSERT INTO filters (account_id, title, context, action, expires_at)"
          " VALUES ($1, $2, $3::text[], $4,"
          "   CASE WHEN $5::bigint > 0 THEN now() + $5::bigint * interval '1 second' END)"
          " RETURNING id",
          owner, change.title.value_or(""),
          text_array_literal(change.context.value_or(std::vector<std::string>{})),
          change.action.value_or("warn"), expires_in.value_or(0))[0][0]
      .as<std::int64_t>();
}

void update_filter(pqxx::transaction_base& tx, std::int64_t filter_id, const FilterChange& change) {
  touch(tx, filter_id);
  if (change.title)
    tx.exec_params("UPDATE filters SET title = $2 WHERE id = $1", filter_id, *change.title);
  if (change.context)
    tx.exec_params("UPDATE filters SET context = $2::text[] WHERE id = $1", filter_id,
                   text_array_literal(*change.context));
  if (change.action)
    tx.exec_params("UPDATE filters SET action = $2 WHERE id = $1", filter_id, *change.action);
  if (change.expires_in)
    tx.exec_params(
        "UPDATE filters SET expires_at = CASE WHEN $2::bigint > 0"
        " THEN now() + $2::bigint * interval '1 second' END WHERE id = $1",
        filter_id, change.expires_in->value_or(0));
}

void delete_filter(pqxx::transaction_base& tx, std::int64_t filter_id) {
  tx.exec_params("DELETE FROM filters WHERE id = $1", filter_id);
}

std::optional<FilterKeywordRow> find_filter_keyword(pqxx::transaction_base& tx, std::int64_t owner,
                                                    std::int64_t keyword_id) {
  const pqxx::result rows = tx.exec_params(
      "SELECT k.id, k.filter_id, k.keyword, k.whole_word FROM filter_keywords k"
      " JOIN filters f ON f.id = k.filter_id WHERE k.id = $1 AND f.account_id = $2",
      keyword_id, owner);
  if (rows.empty()) return std::nullopt;
  return FilterKeywordRow{rows[0][0].as<std::int64_t>(), rows[0][1].as<std::int64_t>(),
                          rows[0][2].as<std::string>(), rows[0][3].as<bool>()};
}

FilterKeywordRow insert_filter_keyword(pqxx::transaction_base& tx, std::int64_t filter_id,
                                       const std::string& keyword, bool whole_word) {
  touch(tx, filter_id);
  const std::int64_t id =
      tx.exec_params(
            "INSERT INTO filter_keywords (filter_id, keyword, whole_word) VALUES ($1, $2, $3)"
            " RETURNING id",
            filter_id, keyword, whole_word)[0][0]
          .as<std::int64_t>();
  return {id, filter_id, keyword, whole_word};
}

void update_filter_keyword(pqxx::transaction_base& tx, const FilterKeywordRow& keyword) {
  touch(tx, keyword.filter_id);
  tx.exec_params("UPDATE filter_keywords SET keyword = $2, whole_word = $3 WHERE id = $1",
                 keyword.id, keyword.keyword, keyword.whole_word);
}

void delete_filter_keyword(pqxx::transaction_base& tx, const FilterKeywordRow& keyword) {
  touch(tx, keyword.filter_id);
  tx.exec_params("DELETE FROM filter_keywords WHERE id = $1", keyword.id);
}

std::optional<FilterStatusRow> find_filter_status(pqxx::transaction_base& tx, std::int64_t owner,
                                                  std::int64_t filter_status_id) {
  const pqxx::result rows = tx.exec_params(
      "SELECT fs.id, fs.filter_id, fs.status_id FROM filter_statuses fs"
      " JOIN filters f ON f.id = fs.filter_id WHERE fs.id = $1 AND f.account_id = $2",
      filter_status_id, owner);
  if (rows.empty()) return std::nullopt;
  return FilterStatusRow{rows[0][0].as<std::int64_t>(), rows[0][1].as<std::int64_t>(),
                         rows[0][2].as<std::int64_t>()};
}

std::optional<FilterStatusRow> insert_filter_status(pqxx::transaction_base& tx,
                                                    std::int64_t filter_id,
                                                    std::int64_t status_id) {
  const pqxx::result rows = tx.exec_params(
      "INSERT INTO filter_statuses (filter_id, status_id) VALUES ($1, $2)"
      " ON CONFLICT DO NOTHING RETURNING id",
      filter_id, status_id);
  if (rows.empty()) return std::nullopt;
  touch(tx, filter_id);
  return FilterStatusRow{rows[0][0].as<std::int64_t>(), filter_id, status_id};
}

void delete_filter_status(pqxx::transaction_base& tx, const FilterStatusRow& status) {
  touch(tx, status.filter_id);
  tx.exec_params("DELETE FROM filter_statuses WHERE id = $1", status.id);
}

}  // namespace kith::db
