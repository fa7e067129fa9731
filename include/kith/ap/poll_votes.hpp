// Votes of local accounts in remote polls, sent the way Mastodon sends
// them: one Create per choice, whose object is a Note with `name` the
// chosen option's title and inReplyTo the Question, addressed (and
// delivered) to the poll's author only. Queued in the caller's
// transaction, with the vote rows.
// What it must never do: send a vote to anyone but the poll's author.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pqxx {
class transaction_base;
}

namespace kith::ap {

// Gives `account_id`'s votes in poll `poll_id` their Note ids
// (<actor>#votes/<poll_votes.id>) where they have none, and queues their
// Creates to the poll's author. Returns how many delivery jobs were queued.
std::size_t send_poll_votes(pqxx::transaction_base& tx, std::int64_t poll_id,
                            std::int64_t account_id);

}  // namespace kith::ap
