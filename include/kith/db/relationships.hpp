// What a local user decides about other accounts, beyond following and
// blocking (local_actions.hpp): mutes (with an optional end), blocks of
// whole servers, private notes, endorsed accounts; the pages of the
// GET /api/v1/mutes, /blocks, /domain_blocks and /endorsements lists; who
// among the people one follows also follows an account; and account search.
//
// The one idea: these are the user's private settings, never federated
// (Mastodon sends nothing for a mute, a note or a domain block; the follows
// a domain block ends are undone by the caller through the outbox, in the
// same transaction). Functions take the caller's transaction and never
// commit. What this layer must never do: return an expired mute as a mute,
// or let a page grow past its limit.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kith/db/activity_sources.hpp"
#include "kith/db/paging.hpp"

namespace pqxx {
class transaction_base;
}

namespace kith::db {

// Mutes `target` for `account_id`, or changes an existing mute: whether
// its notifications are hidden too, and for how long (`duration_seconds`
// from now; nullopt: until unmuted).
void mute_account(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t target,
                  bool hide_notifications, std::optional<std::int64_t> duration_seconds);
void unmute_account(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t target);

// A page of a user's list of accounts (mutes, blocks, endorsements),
// newest row first: the row's id is the paging cursor.
struct AccountListEntry {
  std::int64_t cursor = 0;
  std::int64_t account_id = 0;
  std::string expires_at;  // mutes: ISO 8601, "" when the mute does not end
};
std::vector<AccountListEntry> mutes_page(pqxx::transaction_base& tx, std::int64_t account_id,
                                         const PageRequest& page);
std::vector<AccountListEntry> blocks_page(pqxx::transaction_base& tx, std::int64_t account_id,
                                          const PageRequest& page);
std::vector<AccountListEntry> endorsements_page(pqxx::transaction_base& tx, std::int64_t account_id,
                                                const PageRequest& page);

// Private notes (POST /accounts/:id/note): "" removes it.
void set_account_note(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t target,
                      const std::string& comment);

// Endorsements (POST /accounts/:id/pin and /unpin).
void endorse_account(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t target);
void unendorse_account(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t target);

// User-level domain blocks. `domain` is normalised (lower case host[:port],
// as accounts.domain). insert returns false when it was already blocked.
bool insert_domain_block(pqxx::transaction_base& tx, std::int64_t account_id,
                         const std::string& domain);
void delete_domain_block(pqxx::transaction_base& tx, std::int64_t account_id,
                         const std::string& domain);
// Whether `domain` is blocked already or fewer than `most` domains are, after
// locking the account row so that concurrent blocks count one after the other.
bool may_block_domain(pqxx::transaction_base& tx, std::int64_t account_id,
                      const std::string& domain, std::size_t most);
struct DomainBlockEntry {
  std::int64_t cursor = 0;
  std::string domain;
};
std::vector<DomainBlockEntry> domain_blocks_page(pqxx::transaction_base& tx,
                                                 std::int64_t account_id, const PageRequest& page);
// The follows between `account_id` and accounts of `domain`, both ways,
// pending ones too (the caller undoes ours and rejects theirs).
std::vector<FollowRow> follows_with_domain(pqxx::transaction_base& tx, std::int64_t account_id,
                                           const std::string& domain);
// Removes the user's notifications caused by accounts of `domain`.
void delete_notifications_from_domain(pqxx::transaction_base& tx, std::int64_t account_id,
                                      const std::string& domain);

// Accounts that `viewer` follows and that follow `target` (accepted
// follows both), newest follow first, at most `limit`; none when `target`
// hides its collections; those that hide theirs are left out (Mastodon's
// FamiliarFollowersPresenter).
std::vector<std::int64_t> familiar_followers(pqxx::transaction_base& tx, std::int64_t viewer,
                                             std::int64_t target, std::size_t limit);

// GET /api/v1/accounts/search: accounts whose username starts with `text`
// or whose display name has a word starting with it (ignoring case), not
// suspended, not blocked either way; the exact acct first, then accounts
// the viewer follows, then local ones.
struct AccountSearch {
  std::int64_t viewer = 0;
  std::string text;
  std::string exact_username;  // "" when the query is not a full acct
  std::string exact_domain;    // "" for local
  bool following_only = false;
  std::size_t limit = 40;
  std::int64_t offset = 0;
};
std::vector<std::int64_t> search_accounts(pqxx::transaction_base& tx, const AccountSearch& search);

}  // namespace kith::db
