// Like and Announce from other servers, and their Undo.
//
// A Like matters only for a local status (it is what a local author is
// notified of); a Like of a remote status is true but none of kith's
// business. An Announce is a boost: the boosted status is looked up by id,
// or fetched from its own origin when kith does not have it (never taken
// from the Announce, which only the booster wrote), and must be public or
// unlisted. The boost is kept when it is of a local status or someone here
// follows the booster. A local status may be named by its page
// (https://<host>/@<name>/<id>) as well as by its id: some servers send the
// url they showed their user.
#include <charconv>
#include <pqxx/pqxx>

#include "inbox_apply.hpp"
#include "kith/ap/local_urls.hpp"
#include "kith/db/inbound.hpp"
#include "kith/db/pool.hpp"
#include "kith/http/url.hpp"

namespace kith::ap::inbox {

namespace asio = boost::asio;

namespace {

bool boostable(db::Visibility visibility) {
  return visibility == db::Visibility::public_ || visibility == db::Visibility::unlisted;
}

// The boost's own visibility, from the Announce's addressing; a boost is
// never narrower than followers-only.
db::Visibility reblog_visibility(const Received& r) {
  const db::Visibility v = visibility_from_addressing(r.activity.addressing, r.actor.followers_url);
  return v == db::Visibility::direct ? db::Visibility::private_ : v;
}

// The id of the status whose page of ours `object` is
// (https://<host>/@<name>/<id> -> <actor of name>/statuses/<id>), or
// `object` itself when it is not such a page. The id built from the page
// names the author, so a page whose name is not the status's author finds
// no status.
std::string status_id_of(std::string_view host, const std::string& object) {
  const http::UrlResult parsed = http::parse_url(object);
  if (!parsed || parsed.url->has_fragment) return object;
  const std::string url = parsed.url->text();
  const std::string prefix = urls::origin(host) + "/@";
  if (!url.starts_with(prefix)) return object;
  const std::string_view rest = std::string_view(url).substr(prefix.size());
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return object;
  const std::string_view name = rest.substr(0, slash);
  const std::string_view digits = rest.substr(slash + 1);
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (!urls::valid_username(name) || ec != std::errc() || end != digits.data() + digits.size() ||
      id <= 0)
    return object;
  // Round trip: exactly the page kith would write (no sign, no leading zero).
  if (urls::status_page(host, name, id) != url) return object;
  return urls::status(urls::actor(host, name), id);
}

}  // namespace

asio::awaitable<Prepared> prepare_like(Context& context, const Received& r) {
  const std::string status_uri = status_id_of(
      context.host, r.activity.embedded ? r.activity.embedded->id() : r.activity.object);
  if (status_uri.empty()) co_return invalid("Like without an object");
  const std::int64_t actor_id = r.actor.id;
  const std::string like_uri = r.activity.id;
  co_return apply([=](pqxx::transaction_base& tx) {
    const auto status = db::find_status_by_uri(tx, status_uri);
    if (!status || !status->local || status->deleted || status->reblog)
      return WriteResult{"Like of a status that is not a local one", 0, true};
    if (db::insert_favourite(tx, actor_id, status->id, like_uri))
      return WriteResult{"favourite stored", 0, false};
    return WriteResult{"favourite already stored", 0, true};
  });
}

asio::awaitable<Prepared> prepare_announce(Context& context, const Received& r) {
  const std::string status_uri = status_id_of(
      context.host, r.activity.embedded ? r.activity.embedded->id() : r.activity.object);
  if (status_uri.empty()) co_return invalid("Announce without an object");
  const std::int64_t actor_id = r.actor.id;
  const std::string announce_uri = r.activity.id;
  const std::string published = r.activity.published;
  const db::Visibility visibility = reblog_visibility(r);

  const auto known = co_await context.pool.run([&status_uri](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return db::find_status_by_uri(tx, status_uri);
  });
  if (known) {
    if (known->deleted) co_return ignored("Announce of a deleted status");
    if (known->reblog) co_return invalid("Announce of a boost");
    if (!boostable(known->visibility)) co_return invalid("Announce of a status that is not public");
    const std::int64_t status_id = known->id;
    const bool local = known->local;
    co_return apply([=](pqxx::transaction_base& tx) {
      if (!local && !db::followed_by_local_account(tx, actor_id))
        return WriteResult{"nobody here follows the booster", 0, true};
      const auto stored =
          db::insert_reblog(tx, actor_id, status_id, announce_uri, visibility, published);
      return WriteResult{stored.created ? "boost stored" : "boost already stored", 0,
                         !stored.created};
    });
  }
  if (same_origin(status_uri, "https://" + context.host + "/"))
    co_return ignored("Announce of a local status kith does not have");

  // Unknown: as its origin serves it.
  Believed believed = co_await believe_object(context, r.activity);
  if (!believed.document) co_return std::move(believed.failure);
  const Document& document = *believed.document;
  if (document.kind() != Kind::object || !is_status_type(document.type()))
    co_return invalid("Announce of an unsupported object type " + document.type());
  const Object& object = std::get<Object>(document.value);
  if (object.attributed_to.empty() || !same_origin(object.attributed_to, object.id))
    co_return invalid("the boosted object's author is not on its origin");
  const auto author = co_await context.actors.by_uri(object.attributed_to);
  if (!author) co_return retry_later("the boosted status's author cannot be fetched");
  if (author->local()) co_return invalid("a remote object attributed to a local account");
  if (author->suspended) co_return ignored("the boosted status's author is suspended");
  std::string error;
  auto status = status_from_object(object, author->id, author->followers_url, error);
  if (!status) co_return invalid(error);
  if (!boostable(status->visibility)) co_return invalid("Announce of a status that is not public");
  NamedAccounts named = named_accounts(object, author->followers_url);
  co_return apply([status = std::move(*status), named = std::move(named), actor_id, announce_uri,
                   visibility, published](pqxx::transaction_base& tx) {
    if (!db::followed_by_local_account(tx, actor_id))
      return WriteResult{"nobody here follows the booster", 0, true};
    store_status(tx, status, named);
    const auto original = db::find_status_by_uri(tx, status.uri);
    if (!original || original->deleted || original->reblog)
      return WriteResult{"the boosted status was deleted", 0, true};
    const auto stored =
        db::insert_reblog(tx, actor_id, original->id, announce_uri, visibility, published);
    return WriteResult{stored.created ? "boosted status and boost stored" : "boost already stored",
                       0, !stored.created};
  });
}

WriteResult undo_like(pqxx::transaction_base& tx, std::int64_t actor_id, const Undone& undone) {
  std::int64_t status_id = 0;
  if (!undone.object.empty())
    if (auto status = db::find_status_by_uri(tx, undone.object)) status_id = status->id;
  if (db::remove_favourite(tx, actor_id, undone.id, status_id))
    return WriteResult{"favourite removed", 0, false};
  return WriteResult{"no such favourite", 0, true};
}

WriteResult undo_announce(pqxx::transaction_base& tx, std::int64_t actor_id, const Undone& undone) {
  std::int64_t status_id = 0;
  if (!undone.object.empty())
    if (auto status = db::find_status_by_uri(tx, undone.object)) status_id = status->id;
  if (db::remove_reblog(tx, actor_id, undone.id, status_id))
    return WriteResult{"boost removed", 0, false};
  return WriteResult{"no such boost", 0, true};
}

}  // namespace kith::ap::inbox
