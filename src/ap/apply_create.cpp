// Create from other servers: a Note (or Question, read as a poll, or an
// Article, Page, Image, Video, Audio or Event, read as a status) becomes a
// remote status, with what the author said about it: mentions, hashtags,
// content warning, attachments, reply, quote, poll.
//
// Trust: the object must be the actor's own (attributed to the actor, its id
// on the actor's origin); an embedded object on another origin is not
// believed but fetched from there (believe_object), and then still has to
// be the actor's. Relevance (relevant_status): kith stores a remote post
// only when someone here follows its author, it names a local account, or
// it replies to a local status or to a followed account's status; anything
// else is dropped, as Mastodon drops what is not related to local activity.
//
// A poll vote is a Create of a Note with `name` (the option's title),
// inReplyTo the Question and no content (Mastodon's poll votes): it is
// counted, never stored as a status, and only in a local poll that is still
// open, once per voter and option (one option unless the poll is multiple
// choice). So one voter adds at most the poll's option count to it.
#include <algorithm>
#include <map>
#include <pqxx/pqxx>

#include "inbox_apply.hpp"
#include "kith/db/inbound.hpp"
#include "kith/db/polls.hpp"

namespace kith::ap::inbox {

namespace asio = boost::asio;

bool relevant_status(pqxx::transaction_base& tx, const db::InboundStatus& status,
                     const NamedAccounts& named) {
  if (db::followed_by_local_account(tx, status.account_id)) return true;
  std::vector<std::string> uris = named.mentioned;
  uris.insert(uris.end(), named.addressed.begin(), named.addressed.end());
  for (const auto& known : db::find_known_accounts(tx, uris))
    if (known.local) return true;
  if (!status.in_reply_to_uri.empty()) {
    if (auto parent = db::find_status_by_uri(tx, status.in_reply_to_uri);
        parent && !parent->deleted)
      return parent->local || db::followed_by_local_account(tx, parent->account_id);
  }
  return false;
}

WriteResult store_status(pqxx::transaction_base& tx, db::InboundStatus status,
                         const NamedAccounts& named) {
  std::vector<std::string> uris = named.mentioned;
  uris.insert(uris.end(), named.addressed.begin(), named.addressed.end());
  std::map<std::string, db::KnownAccount> known;
  for (auto& account : db::find_known_accounts(tx, uris)) known.emplace(account.uri, account);
  // Mention tags of accounts kith knows (local ones always are); addressees
  // it knows but the text does not name are silent mentions (Mastodon's
  // process_audience), which is what lets them see a direct post.
  for (const auto& uri : named.mentioned)
    if (auto it = known.find(uri); it != known.end())
      status.mentioned_account_ids.push_back(it->second.id);
  for (const auto& uri : named.addressed)
    if (auto it = known.find(uri); it != known.end())
      status.silent_account_ids.push_back(it->second.id);
  const db::StoredStatus stored = db::insert_remote_status(tx, status);
  if (!stored.created) return WriteResult{"status already stored", 0, true};
  return WriteResult{"status stored", 0, false};
}

namespace {

WriteResult count_vote(pqxx::transaction_base& tx, std::int64_t voter_id, const Object& vote) {
  auto target = db::poll_target_by_status_uri(tx, vote.in_reply_to);
  if (!target) return WriteResult{"vote in no poll kith knows", 0, true};
  if (!target->local) return WriteResult{"vote in a poll that is not local", 0, true};
  if (target->expired) return WriteResult{"vote in a poll that has ended", 0, true};
  if (target->author_id == voter_id) return WriteResult{"vote in one's own poll", 0, true};
  const auto option =
      std::find(target->option_titles.begin(), target->option_titles.end(), vote.name);
  if (option == target->option_titles.end())
    return WriteResult{"vote for no option of the poll", 0, true};
  const int choice = static_cast<int>(option - target->option_titles.begin());
  if (!target->multiple && db::has_voted(tx, target->poll_id, voter_id))
    return WriteResult{"already voted in this single-choice poll", 0, true};
  if (db::record_votes(tx, target->poll_id, voter_id, {choice}, {vote.id}) == 0)
    return WriteResult{"vote already counted", 0, true};
  return WriteResult{"vote counted", 0, false};
}

}  // namespace

asio::awaitable<Prepared> prepare_create(Context& context, const Received& r) {
  Believed believed = co_await believe_object(context, r.activity);
  if (!believed.document) co_return std::move(believed.failure);
  const Document& document = *believed.document;
  if (document.kind() != Kind::object || !is_status_type(document.type()))
    co_return invalid("Create of an unsupported object type " + document.type());
  const Object& object = std::get<Object>(document.value);
  if (auto error = authorship_error(object, r.actor.uri)) co_return invalid(*error);
  if (object.is_vote()) {
    if (object.in_reply_to.empty()) co_return invalid("a poll vote without inReplyTo");
    co_return apply([vote = object, voter_id = r.actor.id](pqxx::transaction_base& tx) {
      return count_vote(tx, voter_id, vote);
    });
  }
  std::string error;
  auto status = status_from_object(object, r.actor.id, r.actor.followers_url, error);
  if (!status) co_return invalid(error);
  status->activity_uri = r.activity.id;
  NamedAccounts named = named_accounts(object, r.actor.followers_url);
  co_return apply(
      [status = std::move(*status), named = std::move(named)](pqxx::transaction_base& tx) {
        if (auto existing = db::find_status_by_uri(tx, status.uri))
          return WriteResult{existing->deleted ? "status was deleted" : "status already stored", 0,
                             true};
        if (!relevant_status(tx, status, named))
          return WriteResult{"nobody here follows, is named or is replied to", 0, true};
        return store_status(tx, status, named);
      });
}

}  // namespace kith::ap::inbox
