// Polls of local statuses and votes in any poll: the rows POST
// /api/v1/statuses (with poll[...]) and POST /api/v1/polls/:id/votes write,
// and the votes other servers send for local polls (a Create of a Note with
// `name`, applied by the inbox worker). Counts (polls.options[].votes,
// voters_count) change in the same statement as the votes, in the caller's
// transaction.
// What it must never do: count one account's vote in one poll twice, or a
// vote in a poll that has ended.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pqxx {
class transaction_base;
}

namespace kith::db {

struct NewPoll {
  std::vector<std::string> options;  // titles, in order
  std::int64_t expires_in = 0;       // seconds from now
  bool multiple = false;
  bool hide_totals = false;
};

void insert_local_poll(pqxx::transaction_base& tx, std::int64_t status_id, const NewPoll& poll);

// What voting in poll `poll_id` needs to know.
struct PollTarget {
  std::int64_t poll_id = 0;
  std::int64_t status_id = 0;
  std::int64_t author_id = 0;
  bool local = false;  // the poll's status is local
  bool expired = false;
  bool multiple = false;
  std::vector<std::string> option_titles;
  std::string status_uri;  // the Question's id
};
std::optional<PollTarget> poll_target(pqxx::transaction_base& tx, std::int64_t poll_id);
// The poll of the status whose uri is `uri` (a remote vote's inReplyTo).
std::optional<PollTarget> poll_target_by_status_uri(pqxx::transaction_base& tx,
                                                    const std::string& uri);

bool has_voted(pqxx::transaction_base& tx, std::int64_t poll_id, std::int64_t account_id);

// Records `account_id`'s vote for `choices` (distinct option indexes, in
// range: the caller checked) and updates the counts; `uris` names each
// choice's Note (same size as choices, "" for none). A new voter adds one
// to voters_count; a choice already recorded is not counted again.
// Returns how many choices were new.
std::size_t record_votes(pqxx::transaction_base& tx, std::int64_t poll_id, std::int64_t account_id,
                         const std::vector<int>& choices, const std::vector<std::string>& uris);

}  // namespace kith::db
