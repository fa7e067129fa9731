// Lists and their members (lists.hpp).
#include "kith/db/lists.hpp"

#include <algorithm>
#include <limits>
#include <pqxx/pqxx>

#include "sql_arrays.hpp"

namespace kith::db {
namespace {

ListRow list_of(const pqxx::row& row) {
  return ListRow{row[0].as<std::int64_t>(), row[1].as<std::string>(), row[2].as<std::string>(),
                 row[3].as<bool>()};
}

// Members the owner may still list: followed (accepted or pending) or the
// owner itself.
const char* const kListedMember =
    " (la.account_id = $1 OR EXISTS (SELECT 1 FROM follows f WHERE f.account_id = $1"
    "   AND f.target_account_id = la.account_id))";

}  // namespace

std::vector<ListRow> lists_of(pqxx::transaction_base& tx, std::int64_t owner) {
  std::vector<ListRow> out;
  for (const auto& row :
       tx.exec_params("SELECT id, title, replies_policy, exclusive FROM lists WHERE account_id = $1"
                      " ORDER BY id LIMIT $2",
                      owner, static_cast<std::int64_t>(kMaxListsPerAccount)))
    out.push_back(list_of(row));
  return out;
}

std::optional<ListRow> find_list(pqxx::transaction_base& tx, std::int64_t owner,
                                 std::int64_t list_id) {
  const pqxx::result rows = tx.exec_params(
      "SELECT id, title, replies_policy, exclusive FROM lists WHERE id = $1 AND account_id = $2",
      list_id, owner);
  if (rows.empty()) return std::nullopt;
  return list_of(rows[0]);
}

std::vector<ListRow> lists_containing(pqxx::transaction_base& tx, std::int64_t owner,
                                      std::int64_t account_id) {
  std::vector<ListRow> out;
  for (const auto& row :
       tx.exec_params("SELECT l.id, l.title, l.replies_policy, l.exclusive FROM lists l"
                      " JOIN list_accounts la ON la.list_id = l.id"
                      " WHERE l.account_id = $1 AND la.account_id = $2 AND" +
                          std::string(kListedMember) + " ORDER BY l.id LIMIT $3",
                      owner, account_id, static_cast<std::int64_t>(kMaxListsPerAccount)))
    out.push_back(list_of(row));
  return out;
}

std::size_t count_lists(pqxx::transaction_base& tx, std::int64_t owner) {
  return tx.exec_params("SELECT count(*) FROM lists WHERE account_id = $1", owner)[0][0]
      .as<std::size_t>();
}

ListRow insert_list(pqxx::transaction_base& tx, std::int64_t owner, const ListRow& list) {
  return list_of(tx.exec_params(
      "INSERT INTO lists (account_id, title, replies_policy, exclusive) VALUES ($1, $2, $3, $4)"
      " RETURNING id, title, replies_policy, exclusive",
      owner, list.title, list.replies_policy, list.exclusive)[0]);
}

void update_list(pqxx::transaction_base& tx, const ListRow& list) {
  tx.exec_params("UPDATE lists SET title = $2, replies_policy = $3, exclusive = $4 WHERE id = $1",
                 list.id, list.title, list.replies_policy, list.exclusive);
}

void delete_list(pqxx::transaction_base& tx, std::int64_t list_id) {
  tx.exec_params("DELETE FROM lists WHERE id = $1", list_id);
}

bool is_list_member(pqxx::transaction_base& tx, std::int64_t list_id, std::int64_t account_id) {
  return !tx.exec_params("SELECT 1 FROM list_accounts WHERE list_id = $1 AND account_id = $2",
                         list_id, account_id)
              .empty();
}

void add_list_member(pqxx::transaction_base& tx, std::int64_t list_id, std::int64_t account_id) {
  tx.exec_params(
      "INSERT INTO list_accounts (list_id, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
      list_id, account_id);
}

void remove_list_members(pqxx::transaction_base& tx, std::int64_t list_id,
                         const std::vector<std::int64_t>& account_ids) {
  tx.exec_params("DELETE FROM list_accounts WHERE list_id = $1 AND account_id = ANY($2::bigint[])",
                 list_id, bigint_array_literal(account_ids));
}

std::vector<std::int64_t> list_members_page(pqxx::transaction_base& tx, std::int64_t owner,
                                            std::int64_t list_id, const PageRequest& page) {
  const bool upward = page.min_id.has_value() && !page.max_id.has_value();
  std::vector<std::int64_t> ids;
  for (const auto& row : tx.exec_params(
           "SELECT la.account_id FROM list_accounts la WHERE la.list_id = $2 AND" +
               std::string(kListedMember) +
               " AND la.account_id < $3 AND la.account_id > $4 ORDER BY la.account_id" +
               (upward ? " ASC" : " DESC") + " LIMIT $5",
           owner, list_id, page.max_id.value_or(std::numeric_limits<std::int64_t>::max()),
           page.min_id.value_or(std::numeric_limits<std::int64_t>::min()),
           static_cast<std::int64_t>(page.limit)))
    ids.push_back(row[0].as<std::int64_t>());
  if (upward) std::reverse(ids.begin(), ids.end());
  return ids;
}

std::vector<std::int64_t> all_list_members(pqxx::transaction_base& tx, std::int64_t owner,
                                           std::int64_t list_id, std::size_t most) {
  PageRequest page;
  page.limit = most;
  return list_members_page(tx, owner, list_id, page);
}

bool may_list_account(pqxx::transaction_base& tx, std::int64_t owner, std::int64_t account_id) {
  return owner == account_id ||
         !tx.exec_params("SELECT 1 FROM follows WHERE account_id = $1 AND target_account_id = $2",
                         owner, account_id)
              .empty();
}

}  // namespace kith::db
