// The receiving half of the inbox (inbox.hpp): POST /inbox (shared),
// /users/:name/inbox and /actor/inbox.
//
// Each POST goes through the same gates, cheapest first, and a refused one
// changes nothing:
//   1. Content-Type an ActivityStreams or JSON one, else 415;
//   2. (a Delete of an actor by itself, from an actor kith never stored:
//      202 and dropped before anything else, as Mastodon does;)
//      the HTTP Signature verified (signature_verifier.hpp), else 401 with
//      {"error": reason} -- except a Delete whose signer's server says the
//      actor is gone (404/410): 202 and dropped, as Mastodon does, because a
//      deleted account's server keeps sending its Delete to every follower's
//      server and retrying on any error;
//   3. read_document, else 400 naming the field;
//   4. an Activity, else 400 -- except the signer's own activity of a type
//      kith does not know (its actor the signer, its id on the signer's
//      origin): 202 and dropped, as Mastodon answers them;
//   5. its actor is the signer (the key's owner) and its id, when it has one,
//      on the actor's origin (else 400). When the actor is someone else (a
//      relay, a reply forwarded by a third server with a Linked-Data
//      signature), neither the POST nor any LD signature is believed: the
//      activity is fetched from its own id's origin (Fetcher) and only that
//      copy, whose actor must be on the id's origin, is kept (else 401).
//      When the origin does not serve it (a fragment id, 404 or 410, 401 or
//      403: a forwarded reply Delete, a non-public Create), it is 202 and
//      dropped: a sender retries a 401 for days, and nothing is believed;
//   6. one job in the "inbox" queue, deduplicated by the activity id; 202
//      once it is committed (a duplicate is 202 too), then the worker is
//      woken.
// The worker re-checks everything about embedded objects: the payload keeps
// the body as received (or as fetched in case 5).
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <pqxx/pqxx>

#include "kith/ap/fetcher.hpp"
#include "kith/ap/inbox.hpp"
#include "kith/ap/local_urls.hpp"
#include "kith/db/jobs.hpp"
#include "routes_internal.hpp"

namespace kith::ap {
namespace {

// RFC 9110 8.3: a Content-Type is one media type. ActivityPub 7 says
// ld+json with the ActivityStreams profile; activity+json is what most
// servers send; some send plain application/json or ld+json without the
// profile. Bodies are read as JSON in every case, so all four are taken.
bool inbound_content_type(std::optional<std::string_view> value) {
  if (!value) return false;
  const std::vector<MediaRange> ranges = parse_accept(*value);
  if (ranges.size() != 1 || ranges.front().type != "application") return false;
  const std::string& subtype = ranges.front().subtype;
  return subtype == "activity+json" || subtype == "ld+json" || subtype == "json";
}

http::Response accepted() {
  http::Response response;
  response.status = 202;
  response.set_header("Cache-Control", "no-store");
  return response;
}

std::optional<http::Url> parse_id(std::string_view id) {
  http::UrlResult parsed = http::parse_url(id);
  if (!parsed) return std::nullopt;
  return std::move(parsed.url);
}

std::string now_iso() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                     std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
}

// What is stored: the job's payload and dedupe key.
struct Accepted {
  InboundActivity inbound;
  std::string activity_id;  // "" when the activity has none
};

// Step 5 when the signer is not the actor: the activity as its origin
// serves it, a refusal, or nothing to keep (dropped): the origin does not
// serve it to kith.
struct Refetched {
  std::optional<Accepted> accepted;
  std::string refusal;
  std::string dropped;  // why nothing is kept, when it is answered 202
};

// Whether the origin's answer means it does not serve that activity to
// kith at all (rather than failing now): 404 or 410, or 401 or 403 (not
// public: Mastodon forwards replies and non-public Creates it will show to
// no one but their audience).
bool origin_does_not_serve(const FetchResult& fetched) {
  if (fetched.failure == FetchFailure::gone) return true;
  return fetched.failure == FetchFailure::http_status &&
         (fetched.status == 401 || fetched.status == 403);
}

boost::asio::awaitable<Refetched> refetch_from_origin(ApRoutes& routes, const Activity& activity) {
  Refetched result;
  const std::optional<http::Url> id = parse_id(activity.id);
  if (!id || id->has_fragment) {
    // Mastodon forwards reply Deletes (…/statuses/1#delete) that no one can
    // fetch; a refusal would only have the sender retry for days.
    result.dropped = "the activity has no id it can be fetched at";
    co_return result;
  }
  FetchResult fetched = co_await routes.context.fetcher.fetch(id->text());
  if (!fetched && origin_does_not_serve(fetched)) {
    result.dropped = fmt::format("its origin does not serve it ({})", fetched.detail);
    co_return result;
  }
  if (!fetched || fetched.document->kind() != Kind::activity) {
    spdlog::info("inbox: re-fetch of {} failed: {} {}", id->text(), describe(fetched.failure),
                 fetched.detail);
    result.refusal = fmt::format(
        "the signer is not the actor, and the activity could not be fetched from its origin ({})",
        fetched ? "not an activity" : describe(fetched.failure));
    co_return result;
  }
  const Activity& original = std::get<Activity>(fetched.document->value);
  const std::optional<http::Url> actor = parse_id(original.actor);
  if (!actor || actor->origin != id->origin) {
    result.refusal = "the activity fetched from its origin has an actor on another origin";
    co_return result;
  }
  std::optional<db::AccountRef> account = co_await routes.context.actors.by_uri(actor->text());
  if (!account || account->local()) {
    result.refusal = "the actor of the fetched activity could not be had";
    co_return result;
  }
  Accepted& accepted = result.accepted.emplace();
  accepted.inbound.body = std::move(fetched.body);
  // The origin vouches for the copy it served: its actor is who the worker
  // must hold it to, not the server that forwarded it.
  accepted.inbound.signer = account->uri;
  accepted.inbound.signer_account_id = account->id;
  accepted.activity_id = fetched.url;
  co_return result;
}

// Mastodon (InboxesController#skip_unknown_actor_activity): a Delete of an
// actor by itself, from an actor kith has never stored, changes nothing
// here. A server deleting an account sends that to every server it ever
// talked to; answering 202 at once (storing nothing) spares fetching a key
// that went with the account, and the sender's retries.
boost::asio::awaitable<bool> unknown_actor_deleting_itself(ApRoutes& routes,
                                                           const std::string& body) {
  if (body.find("\"Delete\"") == std::string::npos) co_return false;  // cheap first look
  const ReadResult read = read_document(body);
  if (!read.document || read.document->kind() != Kind::activity) co_return false;
  const Activity& activity = std::get<Activity>(read.document->value);
  if (activity.type != "Delete" || activity.actor != activity.object) co_return false;
  const std::optional<http::Url> actor = parse_id(activity.actor);
  if (!actor) co_return false;
  const std::string uri = actor->text();
  const bool known = co_await routes.context.pool.run(
      [&uri](pqxx::connection& c) { return db::find_account_by_uri(c, uri).has_value(); });
  co_return !known;
}

// A document of a type outside the vocabulary (EmojiReact, Listen…) whose
// actor is the signer and whose id is on the signer's origin: Mastodon
// answers 202 to any such one and drops it in its worker; kith drops it at
// once (nothing would apply it).
bool signers_own_unknown_activity(const ReadResult& read, const db::AccountRef& signer) {
  const Unsupported& unknown = std::get<Unsupported>(read.document->value);
  const std::optional<http::Url> actor = parse_id(unknown.actor);
  const std::optional<http::Url> id = parse_id(unknown.id);
  return actor && actor->text() == signer.uri && id && id->origin == actor->origin;
}

boost::asio::awaitable<http::Response> receive(ApRoutes& routes, http::Request& request,
                                               std::int64_t recipient_account_id) {
  if (!inbound_content_type(request.header("Content-Type")))
    co_return error(415, "Content-Type must be application/activity+json or application/ld+json");

  if (co_await unknown_actor_deleting_itself(routes, request.body)) {
    spdlog::debug("inbox: Delete of an actor kith never knew: accepted and dropped");
    co_return accepted();
  }

  VerifyResult verified = co_await routes.verifier.verify(request);
  if (!verified) {
    if (verified.failure == VerifyFailure::actor_gone) {
      ReadResult read = read_document(request.body);
      if (read.document && read.document->kind() == Kind::activity &&
          read.document->type() == "Delete") {
        spdlog::info("inbox: Delete from a gone actor (key {}): accepted and dropped",
                     verified.key_id);
        co_return accepted();
      }
    }
    spdlog::info("inbox {}: 401 {} (key {})", request.path, verified.reason, verified.key_id);
    co_return error(401, verified.reason);
  }
  const db::AccountRef& signer = *verified.signer;
  if (signer.local()) co_return error(401, "a local key signs nothing that comes from outside");

  ReadResult read = read_document(request.body);
  if (!read.document) {
    const ReadError& e = *read.error;
    co_return error(400, e.field.empty() ? e.message : fmt::format("{}: {}", e.field, e.message));
  }
  if (read.document->kind() == Kind::unsupported && signers_own_unknown_activity(read, signer)) {
    spdlog::debug("inbox: {} {} from {}: a type kith does not know: accepted and dropped",
                  read.document->type(), read.document->id(), signer.uri);
    co_return accepted();
  }
  if (read.document->kind() != Kind::activity)
    co_return error(400, fmt::format("not an activity: {}", read.document->type()));
  const Activity& activity = std::get<Activity>(read.document->value);

  Accepted stored;
  const std::optional<http::Url> actor = parse_id(activity.actor);
  if (actor && actor->text() == signer.uri) {
    if (!activity.id.empty()) {
      const std::optional<http::Url> id = parse_id(activity.id);
      if (!id || id->origin != actor->origin) co_return error(400, "id: not on the actor's origin");
      stored.activity_id = id->text();
    }
    stored.inbound.body = std::move(request.body);
    stored.inbound.signer = signer.uri;
    stored.inbound.signer_account_id = signer.id;
  } else {
    Refetched refetched = co_await refetch_from_origin(routes, activity);
    if (!refetched.dropped.empty()) {
      spdlog::info("inbox: {} {} forwarded by {}: accepted and dropped: {}", activity.type,
                   activity.id, signer.uri, refetched.dropped);
      co_return accepted();
    }
    if (!refetched.accepted) {
      spdlog::info("inbox: {} signed by {}: 401 {}", activity.id, signer.uri, refetched.refusal);
      co_return error(401, refetched.refusal);
    }
    stored = std::move(*refetched.accepted);
  }
  if (signer.suspended) {
    spdlog::info("inbox: {} from suspended {}: accepted and dropped", stored.activity_id,
                 signer.uri);
    co_return accepted();
  }
  stored.inbound.recipient_account_id = recipient_account_id;
  stored.inbound.received_at = now_iso();

  db::NewJob job;
  job.queue = std::string(kInboxQueue);
  job.payload = inbox_payload(stored.inbound);
  if (!stored.activity_id.empty()) job.dedupe_key = inbox_dedupe_key(stored.activity_id);
  const std::optional<std::int64_t> job_id =
      co_await routes.context.pool.run([&job](pqxx::connection& c) {
        pqxx::work tx(c);
        std::optional<std::int64_t> id = db::enqueue(tx, job);
        tx.commit();
        return id;
      });
  if (job_id) {
    routes.context.wake_inbox();
    spdlog::debug("inbox: {} {} from {} queued as job {}", activity.type, stored.activity_id,
                  stored.inbound.signer, *job_id);
  }
  co_return accepted();
}

}  // namespace

http::Handler inbox_handler(ApRoutes& routes, InboxKind kind) {
  return [&routes, kind](http::Request& request) -> boost::asio::awaitable<http::Response> {
    std::int64_t recipient = 0;
    if (kind == InboxKind::user) {
      const std::string name = request.params["name"];
      if (!urls::valid_username(name)) co_return not_found();
      std::optional<db::LocalAccount> account = co_await routes.context.pool.run(
          [&name](pqxx::connection& c) { return db::find_local_account(c, name); });
      if (auto refusal = account_refusal(account)) co_return std::move(*refusal);
      recipient = account->id;
    }
    co_return co_await receive(routes, request, recipient);
  };
}

}  // namespace kith::ap
