// The outbox (outbox.hpp): each local action -> one activity and its
// delivery jobs, in the caller's transaction.
//
// Every function reads the rows the action wrote (db/activity_sources.hpp),
// builds the activity with the vocabulary of activity.hpp and the ids of
// local_urls.hpp, writes it once (activity_writer.hpp) and hands it with
// its recipients to enqueue_deliveries, which de-duplicates shared inboxes.
// Who receives what:
//   a status (Create, Update, Delete): the author's remote followers unless
//     it is direct, the remote accounts it mentions, and for a public or
//     unlisted status the parent's remote author (of a reply) and the remote
//     followers of local accounts that boosted it; local-only: nobody;
//   its Update and Delete, when it is public or unlisted, also: the remote
//     accounts that boosted, favourited or replied to it (they have it,
//     following or not; Mastodon's StatusReachFinder does the same), at
//     most kMaxInteractorInboxes inboxes; never for private, direct or
//     local-only statuses, whose audience must not grow;
//   Announce and its Undo: the booster's remote followers and the boosted
//     status's remote author;
//   Like, Follow, Block and their Undo, Accept, Reject: the one remote
//     account concerned;
//   Update{Person}, Delete{Person}, Move: the account's remote followers;
//   Flag: the reported account's server, sent by the instance actor.
// Local accounts are never recipients: their side of an action is already
// in the database.
#include "kith/ap/outbox.hpp"

#include <pqxx/pqxx>

#include "kith/ap/activity_writer.hpp"
#include "kith/ap/delivery.hpp"
#include "kith/ap/local_urls.hpp"
#include "kith/ap/to_activitystreams.hpp"
#include "kith/db/activity_sources.hpp"

namespace kith::ap::outbox {
namespace {

using Recipients = std::vector<Recipient>;

// Delivery targets (shared inboxes, else inboxes) of remote accounts that
// interacted with a status, per Update or Delete of it: a few thousand
// servers at most, whatever a popular status collected.
constexpr std::size_t kMaxInteractorInboxes = 5000;

void add(Recipients& to, const std::vector<db::RemoteInbox>& inboxes) {
  for (const db::RemoteInbox& inbox : inboxes) to.push_back({inbox.inbox, inbox.shared_inbox});
}

// The account as a recipient, if it is remote (local ones need nothing).
void add_remote(Recipients& to, const std::optional<db::AccountRef>& account) {
  if (account && !account->local() && !account->suspended && !account->inbox_url.empty())
    to.push_back({account->inbox_url, account->shared_inbox_url});
}

std::string key_id_of(const db::AccountRef& account) {
  return account.public_key_id.empty() ? urls::key_id(account.uri) : account.public_key_id;
}

// Signs with a local account's key: only local accounts may act here.
std::size_t send(pqxx::transaction_base& tx, const db::AccountRef& actor, const Activity& activity,
                 const Recipients& recipients) {
  if (recipients.empty() || !actor.local()) return 0;
  OutgoingActivity outgoing{activity.id, write_activity(activity), actor.id, key_id_of(actor)};
  return enqueue_deliveries(tx, outgoing, recipients);
}

Activity make(std::string id, std::string type, const std::string& actor, std::string object) {
  Activity activity;
  activity.id = std::move(id);
  activity.type = std::move(type);
  activity.actor = actor;
  activity.object = std::move(object);
  return activity;
}

Activity undo_of(const Activity& undone) {
  Activity undo = make(urls::undo_activity(undone.id), "Undo", undone.actor, undone.id);
  undo.addressing = undone.addressing;
  undo.embedded = Box<Document>(Document{undone});
  return undo;
}

// The audience of a local status, as described at the top of this file.
Recipients status_audience(pqxx::transaction_base& tx, const db::StatusRecord& status,
                           const db::StatusRow& row) {
  Recipients recipients;
  if (status.visibility == db::Visibility::local) return recipients;
  if (status.visibility != db::Visibility::direct)
    add(recipients, db::remote_follower_inboxes(tx, status.account_id));
  add(recipients, db::remote_mention_inboxes(tx, status.id));
  const bool open =
      status.visibility == db::Visibility::public_ || status.visibility == db::Visibility::unlisted;
  if (open && row.in_reply_to_id != 0) {
    if (auto parent = db::status_row(tx, row.in_reply_to_id))
      add_remote(recipients, db::account_ref(tx, parent->account_id));
  }
  // Followers of local boosters saw it too (only open statuses are boosted).
  if (open) add(recipients, db::remote_booster_follower_inboxes(tx, status.id));
  return recipients;
}

// The audience of an edit or deletion: who received the status, and for a
// public or unlisted one whoever remote boosted, favourited or replied to it.
Recipients change_audience(pqxx::transaction_base& tx, const db::StatusRecord& status,
                           const db::StatusRow& row) {
  Recipients recipients = status_audience(tx, status, row);
  if (status.visibility == db::Visibility::public_ || status.visibility == db::Visibility::unlisted)
    add(recipients, db::remote_interactor_inboxes(tx, status.id, kMaxInteractorInboxes));
  return recipients;
}

struct LocalStatus {
  db::StatusRecord record;
  db::StatusRow row;
  db::AccountRef author;
};

std::optional<LocalStatus> local_status(pqxx::transaction_base& tx, std::int64_t status_id) {
  auto record = db::find_local_status(tx, status_id);
  if (!record || record->visibility == db::Visibility::local) return std::nullopt;
  auto row = db::status_row(tx, status_id);
  auto author = db::account_ref(tx, record->account_id);
  if (!row || !author || !author->local()) return std::nullopt;
  return LocalStatus{std::move(*record), std::move(*row), std::move(*author)};
}

// Announce of the boosted status by the booster, addressed as Mastodon
// does: public boosts to as:Public with the author and followers in cc;
// unlisted ones the other way round.
struct Boost {
  Activity announce;
  Recipients recipients;
  db::AccountRef booster;
};

std::optional<Boost> boost(pqxx::transaction_base& tx, std::int64_t reblog_id) {
  auto row = db::status_row(tx, reblog_id);
  if (!row || row->reblog_of_id == 0 || !row->local) return std::nullopt;
  auto booster = db::account_ref(tx, row->account_id);
  auto original = db::status_row(tx, row->reblog_of_id);
  if (!booster || !booster->local() || !original) return std::nullopt;
  auto original_author = db::account_ref(tx, original->account_id);
  if (!original_author) return std::nullopt;
  // Only public and unlisted statuses can be boosted; a boost row of any
  // other visibility is sent nowhere.
  if (row->visibility != "public" && row->visibility != "unlisted") return std::nullopt;
  Boost out;
  out.announce = make(urls::status_activity(row->uri), "Announce", booster->uri, original->uri);
  out.announce.published = row->created_at;
  const std::string everyone(kPublicCollection);
  if (row->visibility == "public") {
    out.announce.addressing.to = {everyone};
    out.announce.addressing.cc = {original_author->uri, booster->followers_url};
  } else {
    out.announce.addressing.to = {booster->followers_url};
    out.announce.addressing.cc = {everyone, original_author->uri};
  }
  add(out.recipients, db::remote_follower_inboxes(tx, booster->id));
  add_remote(out.recipients, original_author);
  out.booster = std::move(*booster);
  return out;
}

// Follow of target by follower, with the id it was sent (or received) with.
struct FollowParts {
  Activity follow;
  db::AccountRef follower;
  db::AccountRef target;
  db::FollowRow row;
};

std::optional<FollowParts> follow_parts(pqxx::transaction_base& tx, std::int64_t follow_id) {
  auto row = db::follow_row(tx, follow_id);
  if (!row) return std::nullopt;
  auto follower = db::account_ref(tx, row->account_id);
  auto target = db::account_ref(tx, row->target_account_id);
  if (!follower || !target) return std::nullopt;
  std::string id = row->uri.empty() ? urls::follow_activity(follower->uri, row->id) : row->uri;
  FollowParts parts{make(std::move(id), "Follow", follower->uri, target->uri), std::move(*follower),
                    std::move(*target), std::move(*row)};
  return parts;
}

// Accept or Reject of a remote follower's Follow by the local target.
std::size_t answer_follow(pqxx::transaction_base& tx, std::int64_t follow_id, bool accept) {
  auto parts = follow_parts(tx, follow_id);
  if (!parts || !parts->target.local() || parts->follower.local()) return 0;
  // The id names the Follow answered: a new Follow (its server lost our
  // Accept) gets a new answer, not one the delivery dedupe would drop.
  const std::string& follow_uri = parts->follow.id;
  Activity answer =
      make(accept ? urls::accept_follow_activity(parts->target.uri, follow_id, follow_uri)
                  : urls::reject_follow_activity(parts->target.uri, follow_id, follow_uri),
           accept ? "Accept" : "Reject", parts->target.uri, parts->follow.id);
  answer.addressing.to = {parts->follower.uri};
  answer.embedded = Box<Document>(Document{parts->follow});
  Recipients recipients;
  add_remote(recipients, parts->follower);
  return send(tx, parts->target, answer, recipients);
}

std::optional<std::pair<Activity, Recipients>> like_parts(pqxx::transaction_base& tx,
                                                          std::int64_t favourite_id,
                                                          db::AccountRef& liker) {
  auto row = db::favourite_row(tx, favourite_id);
  if (!row) return std::nullopt;
  auto account = db::account_ref(tx, row->account_id);
  auto status = db::status_row(tx, row->status_id);
  if (!account || !status) return std::nullopt;
  auto author = db::account_ref(tx, status->account_id);
  if (!author || author->local()) return std::nullopt;  // a local status needs no Like sent
  std::string id = row->uri.empty() ? urls::like_activity(account->uri, row->id) : row->uri;
  Activity like = make(std::move(id), "Like", account->uri, status->uri);
  like.addressing.to = {author->uri};
  Recipients recipients;
  add_remote(recipients, author);
  liker = std::move(*account);
  return std::make_pair(std::move(like), std::move(recipients));
}

std::optional<std::pair<Activity, Recipients>> block_parts(pqxx::transaction_base& tx,
                                                           std::int64_t block_id,
                                                           db::AccountRef& blocker) {
  auto row = db::block_row(tx, block_id);
  if (!row) return std::nullopt;
  auto account = db::account_ref(tx, row->account_id);
  auto target = db::account_ref(tx, row->target_account_id);
  if (!account || !target || target->local()) return std::nullopt;
  std::string id = row->uri.empty() ? urls::block_activity(account->uri, row->id) : row->uri;
  Activity block = make(std::move(id), "Block", account->uri, target->uri);
  block.addressing.to = {target->uri};
  Recipients recipients;
  add_remote(recipients, target);
  blocker = std::move(*account);
  return std::make_pair(std::move(block), std::move(recipients));
}

}  // namespace

std::size_t create_status(pqxx::transaction_base& tx, std::string_view, std::int64_t status_id) {
  auto status = local_status(tx, status_id);
  if (!status) return 0;
  return send(tx, status->author, status_create(status->record),
              status_audience(tx, status->record, status->row));
}

std::size_t update_status(pqxx::transaction_base& tx, std::string_view, std::int64_t status_id) {
  auto status = local_status(tx, status_id);
  if (!status) return 0;
  Activity update = make(urls::update_activity(status->record.uri, status->row.edited_at_micros),
                         "Update", status->author.uri, status->record.uri);
  update.addressing = status_addressing(status->record);
  update.published = status->record.edited_at;
  update.embedded = Box<Document>(Document{status_note(status->record)});
  return send(tx, status->author, update, change_audience(tx, status->record, status->row));
}

std::size_t delete_status(pqxx::transaction_base& tx, std::string_view, std::int64_t status_id) {
  auto status = local_status(tx, status_id);
  if (!status) return 0;
  Activity remove = make(urls::delete_activity(status->record.uri), "Delete", status->author.uri,
                         status->record.uri);
  remove.addressing = status_addressing(status->record);
  remove.embedded = Box<Document>(Document{Tombstone{status->record.uri, "Note", ""}});
  return send(tx, status->author, remove, change_audience(tx, status->record, status->row));
}

std::size_t follow(pqxx::transaction_base& tx, std::string_view, std::int64_t follow_id) {
  auto parts = follow_parts(tx, follow_id);
  if (!parts || !parts->follower.local() || parts->target.local()) return 0;
  parts->follow.addressing.to = {parts->target.uri};
  Recipients recipients;
  add_remote(recipients, parts->target);
  return send(tx, parts->follower, parts->follow, recipients);
}

std::size_t unfollow(pqxx::transaction_base& tx, std::string_view, std::int64_t follow_id) {
  auto parts = follow_parts(tx, follow_id);
  if (!parts || !parts->follower.local() || parts->target.local()) return 0;
  parts->follow.addressing.to = {parts->target.uri};
  Recipients recipients;
  add_remote(recipients, parts->target);
  return send(tx, parts->follower, undo_of(parts->follow), recipients);
}

std::size_t accept_follow(pqxx::transaction_base& tx, std::string_view, std::int64_t follow_id) {
  return answer_follow(tx, follow_id, true);
}

std::size_t reject_follow(pqxx::transaction_base& tx, std::string_view, std::int64_t follow_id) {
  return answer_follow(tx, follow_id, false);
}

std::size_t like(pqxx::transaction_base& tx, std::string_view, std::int64_t favourite_id) {
  db::AccountRef liker;
  auto parts = like_parts(tx, favourite_id, liker);
  if (!parts) return 0;
  return send(tx, liker, parts->first, parts->second);
}

std::size_t unlike(pqxx::transaction_base& tx, std::string_view, std::int64_t favourite_id) {
  db::AccountRef liker;
  auto parts = like_parts(tx, favourite_id, liker);
  if (!parts) return 0;
  return send(tx, liker, undo_of(parts->first), parts->second);
}

std::size_t announce(pqxx::transaction_base& tx, std::string_view, std::int64_t reblog_id) {
  auto parts = boost(tx, reblog_id);
  if (!parts) return 0;
  return send(tx, parts->booster, parts->announce, parts->recipients);
}

std::size_t unannounce(pqxx::transaction_base& tx, std::string_view, std::int64_t reblog_id) {
  auto parts = boost(tx, reblog_id);
  if (!parts) return 0;
  return send(tx, parts->booster, undo_of(parts->announce), parts->recipients);
}

std::size_t block(pqxx::transaction_base& tx, std::string_view, std::int64_t block_id) {
  db::AccountRef blocker;
  auto parts = block_parts(tx, block_id, blocker);
  if (!parts) return 0;
  return send(tx, blocker, parts->first, parts->second);
}

std::size_t unblock(pqxx::transaction_base& tx, std::string_view, std::int64_t block_id) {
  db::AccountRef blocker;
  auto parts = block_parts(tx, block_id, blocker);
  if (!parts) return 0;
  return send(tx, blocker, undo_of(parts->first), parts->second);
}

std::size_t update_actor(pqxx::transaction_base& tx, std::string_view, std::int64_t account_id) {
  auto account = db::find_local_account(tx, account_id);
  auto ref = db::account_ref(tx, account_id);
  if (!account || !ref) return 0;
  Activity update =
      make(urls::update_activity(account->uri, db::account_updated_micros(tx, account_id)),
           "Update", account->uri, account->uri);
  update.addressing.to = {std::string(kPublicCollection)};
  update.addressing.cc = {account->followers_url};
  update.embedded = Box<Document>(Document{local_actor(*account)});
  Recipients recipients;
  add(recipients, db::remote_follower_inboxes(tx, account_id));
  return send(tx, *ref, update, recipients);
}

std::size_t delete_actor(pqxx::transaction_base& tx, std::string_view, std::int64_t account_id) {
  auto ref = db::account_ref(tx, account_id);
  if (!ref || !ref->local()) return 0;
  Activity remove = make(urls::delete_activity(ref->uri), "Delete", ref->uri, ref->uri);
  remove.addressing.to = {std::string(kPublicCollection)};
  Recipients recipients;
  add(recipients, db::remote_follower_inboxes(tx, account_id));
  add(recipients, db::remote_followee_inboxes(tx, account_id));
  return send(tx, *ref, remove, recipients);
}

std::size_t flag(pqxx::transaction_base& tx, std::string_view host, std::int64_t report_id) {
  auto report = db::report_row(tx, report_id);
  if (!report) return 0;
  auto target = db::account_ref(tx, report->target_account_id);
  if (!target || target->local()) return 0;
  // The reporter stays anonymous to the other server, as with Mastodon:
  // the instance actor sends the Flag (account_id 0 in the delivery job).
  const std::string instance = urls::instance_actor(host);
  Activity flag = make(urls::flag_activity(host, report_id), "Flag", instance, target->uri);
  for (std::int64_t status_id : report->status_ids) {
    auto status = db::status_row(tx, status_id);
    if (status && status->account_id == target->id && !status->local)
      flag.other_objects.push_back(status->uri);
  }
  flag.content = report->comment;
  Recipients recipients;
  add_remote(recipients, target);
  if (recipients.empty()) return 0;
  OutgoingActivity outgoing{flag.id, write_activity(flag), 0, urls::key_id(instance)};
  return enqueue_deliveries(tx, outgoing, recipients);
}

std::size_t move(pqxx::transaction_base& tx, std::string_view, std::int64_t account_id,
                 std::string_view target_uri) {
  auto ref = db::account_ref(tx, account_id);
  if (!ref || !ref->local()) return 0;
  Activity moved = make(urls::move_activity(ref->uri, db::account_updated_micros(tx, account_id)),
                        "Move", ref->uri, ref->uri);
  moved.target = std::string(target_uri);
  moved.addressing.to = {ref->followers_url};
  Recipients recipients;
  add(recipients, db::remote_follower_inboxes(tx, account_id));
  return send(tx, *ref, moved, recipients);
}

}  // namespace kith::ap::outbox
