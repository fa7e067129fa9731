// A user's mutes, domain blocks, notes and endorsements, and account
// search (relationships.hpp). Lists page by row id on an index, never by
// OFFSET; search is the one place with an offset (Mastodon's parameter),
// bounded by the caller.
#include "kith/db/relationships.hpp"

#include <algorithm>
#include <limits>
#include <pqxx/pqxx>

namespace kith::db {
namespace {

std::string iso_time(const std::string& column) {
  return "to_char(" + column + R"( AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))";
}

// One page of `table` rows of `account_id` (id, target_account_id and
// `extra`), newest first, with `condition` on the row `r`.
std::vector<AccountListEntry> list_page(pqxx::transaction_base& tx, const std::string& table,
                                        const std::string& extra, const std::string& condition,
                                        std::int64_t account_id, const PageRequest& page) {
  const bool upward = page.min_id.has_value() && !page.max_id.has_value();
  const pqxx::result rows =
      tx.exec_params("SELECT r.id, r.target_account_id, " + extra + " FROM " + table +
                         " r JOIN accounts a ON a.id = r.target_account_id WHERE r.account_id = $1"
                         " AND a.suspended_at IS NULL AND r.id < $2 AND r.id > $3" +
                         condition + " ORDER BY r.id " + (upward ? "ASC" : "DESC") + " LIMIT $4",
                     account_id, page.max_id.value_or(std::numeric_limits<std::int64_t>::max()),
                     page.min_id.value_or(std::numeric_limits<std::int64_t>::min()),
                     static_cast<std::int64_t>(page.limit));
  std::vector<AccountListEntry> out;
  for (const auto& row : rows)
    out.push_back({row[0].as<std::int64_t>(), row[1].as<std::int64_t>(), row[2].as<std::string>()});
  if (upward) std::reverse(out.begin(), out.end());
  return out;
}

// `text` for a LIKE pattern: its wildcards and the escape character escaped.
std::string like_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

void mute_account(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t target,
                  bool hide_notifications, std::optional<std::int64_t> duration_seconds) {
  tx.exec_params(
      "INSERT INTO mutes (account_id, target_account_id, hide_notifications, expires_at)"
      " VALUES ($1, $2, $3, now() + make_interval(secs => $4::bigint))"
      " ON CONFLICT (account_id, target_account_id) DO UPDATE"
      " SET hide_notifications = EXCLUDED.hide_notifications,"
      " expires_at = EXCLUDED.expires_at",
      account_id, target, hide_notifications, duration_seconds);
}

void unmute_account(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t target) {
  tx.exec_params("DELETE FROM mutes WHERE account_id = $1 AND target_account_id = $2", account_id,
                 target);
}

std::vector<AccountListEntry> mutes_page(pqxx::transaction_base& tx, std::int64_t account_id,
                                         const PageRequest& page) {
  return list_page(tx, "mutes", "coalesce(" + iso_time("r.expires_at") + ", '')",
                   " AND (r.expires_at IS NULL OR r.expires_at > now())", account_id, page);
}

std::vector<AccountListEntry> blocks_page(pqxx::transaction_base& tx, std::int64_t account_id,
                                          const PageRequest& page) {
  return list_page(tx, "blocks", "''", "", account_id, page);
}

std::vector<AccountListEntry> endorsements_page(pqxx::transaction_base& tx, std::int64_t account_id,
                                                const PageRequest& page) {
  return list_page(tx, "account_endorsements", "''", "", account_id, page);
}

void set_account_note(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t target,
                      const std::string& comment) {
  if (comment.empty()) {
    tx.exec_params("DELETE FROM account_notes WHERE account_id = $1 AND target_account_id = $2",
                   account_id, target);
    return;
  }
  tx.exec_params(
      "INSERT INTO account_notes (account_id, target_account_id, comment) VALUES ($1, $2, $3)"
      " ON CONFLICT (account_id, target_account_id) DO UPDATE"
      " SET comment = EXCLUDED.comment, updated_at = now()",
      account_id, target, comment);
}

void endorse_account(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t target) {
  tx.exec_params(
      "INSERT INTO account_endorsements (account_id, target_account_id) VALUES ($1, $2)"
      " ON CONFLICT DO NOTHING",
      account_id, target);
}

void unendorse_account(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t target) {
  tx.exec_params(
      "DELETE FROM account_endorsements WHERE account_id = $1 AND target_account_id = $2",
      account_id, target);
}

bool insert_domain_block(pqxx::transaction_base& tx, std::int64_t account_id,
                         const std::string& domain) {
  return !tx.exec_params(
                "INSERT INTO account_domain_blocks (account_id, domain) VALUES ($1, $2)"
                " ON CONFLICT DO NOTHING RETURNING id",
                account_id, domain)
              .empty();
}

bool may_block_domain(pqxx::transaction_base& tx, std::int64_t account_id,
                      const std::string& domain, std::size_t most) {
  tx.exec_params("SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", account_id);
  return tx
      .exec_params1(
          "SELECT EXISTS (SELECT 1 FROM account_domain_blocks WHERE account_id = $1"
          "   AND domain = $2)"
          " OR (SELECT count(*) FROM account_domain_blocks WHERE account_id = $1) < $3",
          account_id, domain, static_cast<std::int64_t>(most))[0]
      .as<bool>();
}

void delete_domain_block(pqxx::transaction_base& tx, std::int64_t account_id,
                         const std::string& domain) {
  tx.exec_params("DELETE FROM account_domain_blocks WHERE account_id = $1 AND domain = $2",
                 account_id, domain);
}

std::vector<DomainBlockEntry> domain_blocks_page(pqxx::transaction_base& tx,
                                                 std::int64_t account_id, const PageRequest& page) {
  const bool upward = page.min_id.has_value() && !page.max_id.has_value();
  const pqxx::result rows = tx.exec_params(
      std::string("SELECT id, domain FROM account_domain_blocks WHERE account_id = $1"
                  " AND id < $2 AND id > $3 ORDER BY id ") +
          (upward ? "ASC" : "DESC") + " LIMIT $4",
      account_id, page.max_id.value_or(std::numeric_limits<std::int64_t>::max()),
      page.min_id.value_or(std::numeric_limits<std::int64_t>::min()),
      static_cast<std::int64_t>(page.limit));
  std::vector<DomainBlockEntry> out;
  for (const auto& row : rows) out.push_back({row[0].as<std::int64_t>(), row[1].as<std::string>()});
  if (upward) std::reverse(out.begin(), out.end());
  return out;
}

std::vector<FollowRow> follows_with_domain(pqxx::transaction_base& tx, std::int64_t account_id,
                                           const std::string& domain) {
  std::vector<FollowRow> out;
  for (const auto& row : tx.exec_params(
           "SELECT f.id, f.account_id, f.target_account_id, coalesce(f.uri, ''),"
           " f.state = 'accepted' FROM follows f"
           " JOIN accounts a ON a.id = CASE WHEN f.account_id = $1 THEN f.target_account_id"
           "   ELSE f.account_id END"
           " WHERE (f.account_id = $1 OR f.target_account_id = $1) AND a.domain = $2"
           " ORDER BY f.id",
           account_id, domain))
    out.push_back({row[0].as<std::int64_t>(), row[1].as<std::int64_t>(), row[2].as<std::int64_t>(),
                   row[3].as<std::string>(), row[4].as<bool>()});
  return out;
}

void delete_notifications_from_domain(pqxx::transaction_base& tx, std::int64_t account_id,
                                      const std::string& domain) {
  tx.exec_params(
      "DELETE FROM notifications n USING accounts a WHERE n.account_id = $1"
      " AND a.id = n.from_account_id AND a.domain = $2",
      account_id, domain);
}

std::vector<std::int64_t> familiar_followers(pqxx::transaction_base& tx, std::int64_t viewer,
                                             std::int64_t target, std::size_t limit) {
  std::vector<std::int64_t> out;
  for (const auto& row : tx.exec_params(
           "SELECT f.account_id FROM follows f JOIN accounts a ON a.id = f.account_id"
           " JOIN accounts t ON t.id = f.target_account_id"
           " WHERE f.target_account_id = $2 AND f.state = 'accepted' AND NOT t.hide_collections"
           " AND a.suspended_at IS NULL AND NOT a.hide_collections AND f.account_id <> $1"
           " AND EXISTS (SELECT 1 FROM follows mine WHERE mine.account_id = $1"
           "   AND mine.target_account_id = f.account_id AND mine.state = 'accepted')"
           " ORDER BY f.id DESC LIMIT $3",
           viewer, target, static_cast<std::int64_t>(limit)))
    out.push_back(row[0].as<std::int64_t>());
  return out;
}

std::vector<std::int64_t> search_accounts(pqxx::transaction_base& tx, const AccountSearch& search) {
  const std::string prefix = like_escape(search.text) + "%";
  std::vector<std::int64_t> out;
  for (const auto& row : tx.exec_params(
           "SELECT a.id FROM accounts a WHERE a.suspended_at IS NULL"
           " AND (lower(a.username) LIKE lower($2) OR lower(a.display_name) LIKE lower($2)"
           "   OR lower(a.display_name) LIKE '% ' || lower($2)"
           "   OR (lower(a.username) = lower($3) AND lower(coalesce(a.domain, '')) = lower($4)))"
           " AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.account_id = $1"
           "   AND b.target_account_id = a.id) OR (b.account_id = a.id"
           "   AND b.target_account_id = $1))"
           " AND (NOT $5 OR EXISTS (SELECT 1 FROM follows f WHERE f.account_id = $1"
           "   AND f.target_account_id = a.id AND f.state = 'accepted'))"
           " ORDER BY (lower(a.username) = lower($3) AND lower(coalesce(a.domain, ''))"
           "   = lower($4)) DESC,"
           " EXISTS (SELECT 1 FROM follows f WHERE f.account_id = $1"
           "   AND f.target_account_id = a.id AND f.state = 'accepted') DESC,"
           " a.domain IS NULL DESC, lower(a.username), a.id"
           " LIMIT $6 OFFSET $7",
           search.viewer, prefix, search.exact_username, search.exact_domain, search.following_only,
           static_cast<std::int64_t>(search.limit), search.offset))
    out.push_back(row[0].as<std::int64_t>());
  return out;
}

}  // namespace kith::db
