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
#include <map>
#include <pqxx/pqxx>

#include "inbox_apply.hpp"
#include "kith/db/inbound.hpp"

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

asio::awaitable<Prepared> prepare_create(Context& context, const Received& r) {
  Believed believed = co_await believe_object(context, r.activity);
  if (!believed.document) co_return std::move(believed.failure);
  const Document& document = *believed.document;
  if (document.kind() != Kind::object || !is_status_type(document.type()))
    co_return invalid("Create of an unsupported object type " + document.type());
  const Object& object = std::get<Object>(document.value);
  if (auto error = authorship_error(object, r.actor.uri)) co_return invalid(*error);
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
