// Local uploads in media_attachments: created by the media endpoints,
// completed when processing ends, described and focused by their owner,
// attached to a status in the status's transaction. Every function takes
// the caller's transaction; ownership is part of each WHERE clause, so a
// caller cannot touch another account's media by id.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kith/db/client_views.hpp"

namespace pqxx {
class transaction_base;
}

namespace kith::db {

struct NewMedia {
  std::int64_t account_id = 0;
  std::string type = "image";
  std::string media_type;  // image/png ... ("" while pending)
  std::string file_path;   // relative to media.directory ("" while pending)
  std::int64_t file_size = 0;
  std::string description;
  std::string blurhash;
  std::string meta_json = "{}";
  bool pending = false;
};

// Inserts and returns the new id.
std::int64_t insert_media(pqxx::transaction_base& tx, const NewMedia& media);

// Processing finished: the file, its facts, 'done'.
void complete_media(pqxx::transaction_base& tx, std::int64_t id, const NewMedia& media);
// Processing failed: 'failed' (GET answers 422 from then on).
void fail_media(pqxx::transaction_base& tx, std::int64_t id);

struct OwnMedia {
  MediaView view;
  std::optional<std::int64_t> status_id;
  std::string processing;  // pending, done, failed
};

// The caller's own media `id`; nullopt for someone else's or none. Media
// still pending 10 minutes after upload (its daemon stopped while
// processing it) reads as 'failed'.
std::optional<OwnMedia> find_own_media(pqxx::transaction_base& tx, std::int64_t id,
                                       std::int64_t account_id);

// Sets the description and/or focus (meta.focus) of the caller's media.
void update_media(pqxx::transaction_base& tx, std::int64_t id,
                  const std::optional<std::string>& description,
                  const std::optional<std::pair<double, double>>& focus);

// Deletes the caller's unattached media `id`, returning its file_path
// ("" when it had none); nullopt when there was no such unattached media.
std::optional<std::string> delete_unattached_media(pqxx::transaction_base& tx, std::int64_t id,
                                                   std::int64_t account_id);

// Attaches `ids` (in that order) to `status_id`; false, changing nothing
// the caller keeps, unless every one is the account's own, unattached and
// processed (the caller then rolls back).
bool attach_media(pqxx::transaction_base& tx, std::int64_t status_id, std::int64_t account_id,
                  const std::vector<std::int64_t>& ids);

}  // namespace kith::db
