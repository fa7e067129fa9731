// Direct-message conversations as each local participant sees them
// (account_conversations, GET /api/v1/conversations): a row per local
// account and thread, naming the other participants, the last direct
// status and whether it is unread. Written in the transaction that creates
// the direct status, local or arriving by federation, so a conversation
// and its status commit together (and the table's trigger streams it).
// What it must never do: give an account a row for a thread it is not
// addressed in, or a last status it may not see.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "kith/db/paging.hpp"

namespace pqxx {
class transaction_base;
}

namespace kith::db {

// Gives status `status_id` a thread (statuses.conversation_id: its
// parent's, or a new conversations row; the parent gets the same one when
// it had none), and when it is direct, records it in the account
// conversation of each local participant (the author and the accounts it
// mentions): the author's row read, the others' unread.
void record_conversation(pqxx::transaction_base& tx, std::int64_t status_id);

struct ConversationEntry {
  std::int64_t id = 0;              // account_conversations.id
  std::int64_t last_status_id = 0;  // the paging cursor
};

// One page of `account_id`'s conversations, newest last status first,
// paged by last_status_id.
std::vector<ConversationEntry> conversations_page(pqxx::transaction_base& tx,
                                                  std::int64_t account_id, const PageRequest& page);

// Removing one from the list, and marking it read; false when it is not
// `account_id`'s.
bool remove_conversation(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t id);
bool mark_conversation_read(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t id);

}  // namespace kith::db
