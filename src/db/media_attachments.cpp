// Local uploads in media_attachments (media_attachments.hpp).
#include "kith/db/media_attachments.hpp"

#include <pqxx/pqxx>

#include "sql_arrays.hpp"

namespace kith::db {

std::int64_t insert_media(pqxx::transaction_base& tx, const NewMedia& m) {
  return tx
      .exec_params1(
          "INSERT INTO media_attachments (account_id, type, media_type, file_path, file_size,"
          " description, blurhash, meta, processing)"
          " VALUES ($1, $2, nullif($3, ''), nullif($4, ''), $5, $6, nullif($7, ''), $8::jsonb, $9)"
          " RETURNING id",
          m.account_id, m.type, m.media_type, m.file_path, m.file_size, m.description, m.blurhash,
          m.meta_json, m.pending ? "pending" : "done")[0]
      .as<std::int64_t>();
}

void complete_media(pqxx::transaction_base& tx, std::int64_t id, const NewMedia& m) {
  // The description and focus may have been set while processing: kept.
  tx.exec_params(
      "UPDATE media_attachments SET media_type = $2, file_path = $3, file_size = $4,"
      " blurhash = nullif($5, ''), meta = $6::jsonb || (meta - 'original' - 'small'),"
      " processing = 'done' WHERE id = $1",
      id, m.media_type, m.file_path, m.file_size, m.blurhash, m.meta_json);
}

void fail_media(pqxx::transaction_base& tx, std::int64_t id) {
  tx.exec_params("UPDATE media_attachments SET processing = 'failed' WHERE id = $1", id);
}

std::optional<OwnMedia> find_own_media(pqxx::transaction_base& tx, std::int64_t id,
                                       std::int64_t account_id) {
  auto rows = tx.exec_params(
      "SELECT id, type, coalesce(remote_url, ''), description, coalesce(blurhash, ''),"
      " meta::text, coalesce(file_path, ''), coalesce(media_type, ''), status_id,"
      // Processing that a daemon stopped in the middle of never ends: after
      // 10 minutes it counts as failed.
      " CASE WHEN processing = 'pending' AND created_at < now() - interval '10 minutes'"
      " THEN 'failed' ELSE processing END"
      " FROM media_attachments WHERE id = $1 AND account_id = $2",
      id, account_id);
  if (rows.empty()) return std::nullopt;
  const auto& r = rows[0];
  OwnMedia out;
  out.view = {r[0].as<std::int64_t>(), r[1].as<std::string>(), r[2].as<std::string>(),
              r[3].as<std::string>(),  r[4].as<std::string>(), r[5].as<std::string>()};
  out.view.file_path = r[6].as<std::string>();
  out.view.media_type = r[7].as<std::string>();
  if (!r[8].is_null()) out.status_id = r[8].as<std::int64_t>();
  out.processing = r[9].as<std::string>();
  return out;
}

void update_media(pqxx::transaction_base& tx, std::int64_t id,
                  const std::optional<std::string>& description,
                  const std::optional<std::pair<double, double>>& focus) {
  if (description)
    tx.exec_params("UPDATE media_attachments SET description = $2 WHERE id = $1", id, *description);
  if (focus)
    tx.exec_params(
        "UPDATE media_attachments SET meta = jsonb_set(meta, '{focus}',"
        " jsonb_build_object('x', $2::float8, 'y', $3::float8)) WHERE id = $1",
        id, focus->first, focus->second);
}

std::optional<std::string> delete_unattached_media(pqxx::transaction_base& tx, std::int64_t id,
                                                   std::int64_t account_id) {
  auto rows = tx.exec_params(
      "DELETE FROM media_attachments WHERE id = $1 AND account_id = $2 AND status_id IS NULL"
      " RETURNING coalesce(file_path, '')",
      id, account_id);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

bool attach_media(pqxx::transaction_base& tx, std::int64_t status_id, std::int64_t account_id,
                  const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return true;
  const auto updated = tx.exec_params(
      "UPDATE media_attachments SET status_id = $1,"
      " position = array_position($3::bigint[], id) - 1"
      " WHERE id = ANY($3::bigint[]) AND account_id = $2 AND status_id IS NULL"
      " AND processing = 'done'",
      status_id, account_id, bigint_array_literal(ids));
  return static_cast<std::size_t>(updated.affected_rows()) == ids.size();
}

}  // namespace kith::db
