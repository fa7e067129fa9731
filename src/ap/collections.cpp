// An account's collections: outbox, followers, following and featured.
//
// Each is an OrderedCollection that gives its size and links to its first
// and last pages; a page (?page=true, then max_id= going back in time or
// min_id= coming forward) lists at most a page size of items, newest first,
// with next and prev links. Ids grow with time, so pages are id ranges on an
// index, whatever the collection's size (Mastodon pages the same way; compare
// GoToSocial's StatusesToASOutboxPage). The outbox lists Create activities
// of what visibility.hpp allows and counts only those, so that its
// totalItems does not reveal how many private statuses exist; followers and
// following list accepted follows only. An account that set hide_collections
// (migration 0010) shows only the size of its followers and following: the
// collection has no first page and a page request is refused (403), as
// Mastodon's FollowerAccountsController does.
#include <charconv>
#include <pqxx/pqxx>

#include "collection_documents.hpp"
#include "kith/ap/local_urls.hpp"
#include "kith/ap/to_activitystreams.hpp"
#include "kith/ap/visibility.hpp"
#include "kith/db/follows.hpp"
#include "kith/db/signed_fetch.hpp"
#include "kith/db/statuses.hpp"
#include "routes_internal.hpp"

namespace kith::ap {
namespace {

using json = nlohmann::ordered_json;

enum class CollectionKind { outbox, followers, following };

struct PageQuery {
  bool page = false;  // a page, not the collection
  db::PageRequest request;
};

// Ids in query strings: decimal, non-negative, fitting an int64.
std::optional<std::int64_t> parse_id(std::string_view text) {
  std::int64_t value = 0;
  if (text.empty() || text.size() > 19 ||
      text.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// ?page=true[&max_id=N][&min_id=N]; anything else than "true" or "1" for page
// asks for the collection. nullopt: a malformed id (400).
std::optional<PageQuery> parse_page_query(const http::Request& request, std::size_t limit) {
  PageQuery query;
  query.request.limit = limit;
  const std::optional<std::string> page = request.query_param("page");
  query.page = page && (*page == "true" || *page == "1");
  for (const char* name : {"max_id", "min_id"}) {
    const std::optional<std::string> value = request.query_param(name);
    if (!value) continue;
    const std::optional<std::int64_t> id = parse_id(*value);
    if (!id) return std::nullopt;
    (std::string_view(name) == "max_id" ? query.request.max_id : query.request.min_id) = id;
  }
  return query;
}

std::string page_url(std::string_view collection, std::optional<std::int64_t> max_id,
                     std::optional<std::int64_t> min_id) {
  std::string url = std::string(collection) + "?page=true";
  if (max_id) url += "&max_id=" + std::to_string(*max_id);
  if (min_id) url += "&min_id=" + std::to_string(*min_id);
  return url;
}

std::string collection_id(CollectionKind kind, const db::LocalAccount& account) {
  switch (kind) {
    case CollectionKind::outbox:
      return account.outbox_url;
    case CollectionKind::followers:
      return account.followers_url;
    case CollectionKind::following:
      return account.following_url;
  }
  return account.outbox_url;
}

// What one pool job reads for a collection request.
struct CollectionData {
  std::optional<db::LocalAccount> account;
  std::int64_t total = 0;
  json items = json::array();
  std::optional<std::int64_t> first_cursor, last_cursor;  // of the items, newest and oldest
  std::size_t count = 0;
  bool hidden = false;  // followers/following of an account that hides them
};

bool hides_collections(pqxx::connection& c, std::int64_t account_id) {
  pqxx::nontransaction tx(c);
  return tx.exec_params1("SELECT hide_collections FROM accounts WHERE id = $1", account_id)[0]
      .as<bool>();
}

CollectionData read_collection(pqxx::connection& c, const std::string& name, CollectionKind kind,
                               const PageQuery& query, std::optional<FetchSigner>& who) {
  CollectionData data;
  data.account = db::find_local_account(c, name);
  if (account_refusal(data.account)) return data;
  const std::int64_t id = data.account->id;
  if (who) who->follows_author = db::accepted_follower(c, who->account_id, id);
  const FetchSigner* signer = who ? &*who : nullptr;
  auto note_cursor = [&data](std::int64_t cursor) {
    if (!data.first_cursor) data.first_cursor = cursor;
    data.last_cursor = cursor;
    ++data.count;
  };
  if (kind == CollectionKind::outbox) {
    const auto visibilities = collection_visibilities(signer);
    data.total = db::count_account_statuses(c, id, visibilities);
    if (query.page)
      for (const db::StatusRecord& status :
           db::list_account_statuses(c, id, visibilities, query.request)) {
        data.items.push_back(activity_item(status_create(status)));
        note_cursor(status.id);
      }
  } else {
    const bool followers = kind == CollectionKind::followers;
    data.total = followers ? db::count_followers(c, id) : db::count_following(c, id);
    data.hidden = hides_collections(c, id);
    if (query.page && !data.hidden)
      for (const db::FollowEntry& entry : followers ? db::list_followers(c, id, query.request)
                                                    : db::list_following(c, id, query.request)) {
        data.items.push_back(entry.actor_uri);
        note_cursor(entry.follow_id);
      }
  }
  return data;
}

http::Handler collection_handler(ApRoutes& routes, CollectionKind kind) {
  return [&routes, kind](http::Request& request) -> boost::asio::awaitable<http::Response> {
    const std::optional<Representation> representation =
        choose_activity_streams(accept_header(request));
    if (!representation) co_return not_acceptable();
    const std::string name = request.params["name"];
    if (!urls::valid_username(name)) co_return not_found();
    const std::size_t limit = kind == CollectionKind::outbox ? kOutboxPageSize : kFollowsPageSize;
    const std::optional<PageQuery> query = parse_page_query(request, limit);
    if (!query) co_return error(400, "max_id and min_id must be ids");
    GetSigner asked = co_await get_signer(routes, request, AuthorizedFetch::required);
    if (asked.refusal) co_return std::move(*asked.refusal);
    std::optional<FetchSigner>& who = asked.signer;
    CollectionData data =
        co_await routes.context.pool.run([&name, &kind, &query, &who](pqxx::connection& c) {
          return read_collection(c, name, kind, *query, who);
        });
    if (auto refusal = account_refusal(data.account)) co_return std::move(*refusal);

    const std::string id = collection_id(kind, *data.account);
    std::string body;
    if (data.hidden && query->page) co_return error(403, "This account hides its collections");
    if (data.hidden) {
      body = write_ordered_collection(id, data.total, "", "");
    } else if (!query->page) {
      body = write_ordered_collection(id, data.total, page_url(id, std::nullopt, std::nullopt),
                                      page_url(id, std::nullopt, 0));
    } else {
      PageLinks links;
      links.id = page_url(id, query->request.max_id, query->request.min_id);
      links.part_of = id;
      if (data.count == limit) links.next = page_url(id, data.last_cursor, std::nullopt);
      if (data.first_cursor) links.prev = page_url(id, std::nullopt, data.first_cursor);
      body = write_ordered_collection_page(links, data.total, std::move(data.items));
    }
    http::Response response = activity_streams_response(std::move(body), *representation);
    cache_for_signer(routes, response, asked.get(), kCollectionMaxAge);
    co_return response;
  };
}

}  // namespace

http::Handler outbox_handler(ApRoutes& routes) {
  return collection_handler(routes, CollectionKind::outbox);
}

http::Handler followers_handler(ApRoutes& routes) {
  return collection_handler(routes, CollectionKind::followers);
}

http::Handler following_handler(ApRoutes& routes) {
  return collection_handler(routes, CollectionKind::following);
}

http::Handler featured_handler(ApRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    const std::optional<Representation> representation =
        choose_activity_streams(accept_header(request));
    if (!representation) co_return not_acceptable();
    const std::string name = request.params["name"];
    if (!urls::valid_username(name)) co_return not_found();
    GetSigner asked = co_await get_signer(routes, request, AuthorizedFetch::required);
    if (asked.refusal) co_return std::move(*asked.refusal);
    std::optional<db::LocalAccount> account = co_await routes.context.pool.run(
        [&name](pqxx::connection& c) { return db::find_local_account(c, name); });
    if (auto refusal = account_refusal(account)) co_return std::move(*refusal);
    // Pinned statuses come with the client API's pin endpoints.
    http::Response response = activity_streams_response(
        write_inline_collection(
            account->featured_url.empty() ? urls::featured(account->uri) : account->featured_url,
            json::array()),
        *representation);
    cache_for_signer(routes, response, asked.get(), kCollectionMaxAge);
    co_return response;
  };
}

}  // namespace kith::ap
