// Polls and votes (db/polls.hpp).
#include "kith/db/polls.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "sql_arrays.hpp"

namespace kith::db {
namespace {

const char* const kTargetColumns =
    "SELECT p.id, p.status_id, s.account_id, s.local,"
    " p.closed_at IS NOT NULL OR p.expires_at <= now(), p.multiple, p.options::text, s.uri"
    " FROM polls p JOIN statuses s ON s.id = p.status_id";

std::optional<PollTarget> target_of(const pqxx::result& rows) {
  if (rows.empty()) return std::nullopt;
  const pqxx::row& r = rows[0];
  PollTarget t;
  t.poll_id = r[0].as<std::int64_t>();
  t.status_id = r[1].as<std::int64_t>();
  t.author_id = r[2].as<std::int64_t>();
  t.local = r[3].as<bool>();
  t.expired = r[4].as<bool>();
  t.multiple = r[5].as<bool>();
  t.status_uri = r[7].as<std::string>();
  const nlohmann::json options = nlohmann::json::parse(r[6].as<std::string>(), nullptr, false);
  if (options.is_array())
    for (const auto& option : options) {
      const bool titled =
          option.is_object() && option.contains("title") && option["title"].is_string();
      t.option_titles.push_back(titled ? option["title"].get<std::string>() : std::string());
    }
  return t;
}

}  // namespace

void insert_local_poll(pqxx::transaction_base& tx, std::int64_t status_id, const NewPoll& poll) {
  nlohmann::json options = nlohmann::json::array();
  for (const std::string& title : poll.options) options.push_back({{"title", title}, {"votes", 0}});
  tx.exec_params(
      "INSERT INTO polls (status_id, multiple, options, voters_count, expires_at, hide_totals)"
      " VALUES ($1, $2, $3::jsonb, 0, now() + make_interval(secs => $4), $5)",
      status_id, poll.multiple, options.dump(), poll.expires_in, poll.hide_totals);
}

std::optional<PollTarget> poll_target(pqxx::transaction_base& tx, std::int64_t poll_id) {
  return target_of(
      tx.exec_params(std::string(kTargetColumns) + " WHERE p.id = $1 FOR UPDATE OF p", poll_id));
}

std::optional<PollTarget> poll_target_by_status_uri(pqxx::transaction_base& tx,
                                                    const std::string& uri) {
  return target_of(tx.exec_params(
      std::string(kTargetColumns) + " WHERE s.uri = $1 AND s.deleted_at IS NULL FOR UPDATE OF p",
      uri));
}

bool has_voted(pqxx::transaction_base& tx, std::int64_t poll_id, std::int64_t account_id) {
  return !tx.exec_params("SELECT 1 FROM poll_votes WHERE poll_id = $1 AND account_id = $2 LIMIT 1",
                         poll_id, account_id)
              .empty();
}

std::size_t record_votes(pqxx::transaction_base& tx, std::int64_t poll_id, std::int64_t account_id,
                         const std::vector<int>& choices, const std::vector<std::string>& uris) {
  const bool first_vote = !has_voted(tx, poll_id, account_id);
  std::vector<std::int64_t> added;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    const std::string uri = i < uris.size() ? uris[i] : std::string();
    if (!tx.exec_params("INSERT INTO poll_votes (poll_id, account_id, choice, uri)"
                        " VALUES ($1, $2, $3, NULLIF($4, '')) ON CONFLICT DO NOTHING RETURNING id",
                        poll_id, account_id, choices[i], uri)
             .empty())
      added.push_back(choices[i]);
  }
  if (added.empty()) return 0;
  // The chosen options' votes go up by one each, and voters_count by one
  // for a new voter (ordinality is 1-based, choices 0-based).
  tx.exec_params(
      "UPDATE polls SET options = (SELECT coalesce(jsonb_agg(CASE"
      "   WHEN (o.n - 1) = ANY($2::bigint[]) AND jsonb_typeof(o.option) = 'object'"
      "   THEN jsonb_set(o.option, '{votes}', to_jsonb(coalesce(CASE WHEN"
      "     jsonb_typeof(o.option->'votes') = 'number' THEN (o.option->>'votes')::numeric::bigint"
      "     END, 0) + 1))"
      "   ELSE o.option END ORDER BY o.n), '[]'::jsonb)"
      "   FROM jsonb_array_elements(polls.options) WITH ORDINALITY AS o(option, n)),"
      " voters_count = coalesce(voters_count, 0) + CASE WHEN $3 THEN 1 ELSE 0 END,"
      " updated_at = now()"
      " WHERE id = $1",
      poll_id, bigint_array_literal(added), first_vote);
  return added.size();
}

}  // namespace kith::db
