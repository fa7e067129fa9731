// Signed fetch: who asked for a document (routes_internal.hpp get_signer),
// and the caching that follows from it.
//
// Any GET of an actor, a status, its activity or a collection may carry an
// HTTP Signature (cavage or RFC 9421; a GET has no body, so no digest). A
// good one names the signer, whom visibility.hpp's may_fetch then weighs
// against the status's audience. A bad one is treated as no signature at
// all, as Mastodon does (SignatureVerification#signed_request_account is
// then nil), unless federation.authorized_fetch is on: then every such GET
// needs a valid signature and is 401 without one, except the actor
// documents. Mastodon's secure mode (PR #11269) serves actors to unsigned
// requests too, so that a server can fetch the key it needs to verify the
// signature of the very request that asks for something else; and the
// instance actor (/actor) is what remote servers verify kith's own fetches
// with. A signature by a suspended account counts as none.
//
// Caching. A response that can depend on who signed is Cache-Control:
// private, so that no shared cache hands one signer's answer to another or
// to an anonymous client; and every such response carries Vary: Accept,
// Signature. Varying on Signature makes a cache key of a value that differs
// on every request, which is the point: a cache that ignored the private
// directive would still never reuse a signed answer, and an unsigned answer
// (no Signature field) stays reusable for other unsigned requests.
#include <spdlog/spdlog.h>

#include "routes_internal.hpp"

namespace kith::ap {

boost::asio::awaitable<GetSigner> get_signer(ApRoutes& routes, const http::Request& request,
                                             AuthorizedFetch rule) {
  GetSigner result;
  const bool required =
      routes.context.config.federation.authorized_fetch && rule == AuthorizedFetch::required;
  if (!has_signature(request)) {
    if (required) {
      result.refusal = error(401, "unsigned_request: this server requires signed fetches");
      result.refusal->set_header("Vary", "Accept, Signature");
    }
    co_return result;
  }
  VerifyResult verified = co_await routes.verifier.verify(request);
  if (!verified) {
    spdlog::info("GET {}: signature not verified: {} (key {})", request.path, verified.reason,
                 verified.key_id);
    if (required) {
      result.refusal = error(401, verified.reason);
      result.refusal->set_header("Vary", "Accept, Signature");
    }
    co_return result;
  }
  if (verified.signer->suspended) {
    // A suspended account (deleted by its server, or by a moderator here)
    // is gone: its key proves nothing, and the request is weighed as if it
    // were unsigned.
    spdlog::info("GET {}: signed by suspended {}: treated as unsigned", request.path,
                 verified.signer->uri);
    if (required) {
      result.refusal = error(401, "unsigned_request: the signer's account is suspended");
      result.refusal->set_header("Vary", "Accept, Signature");
    }
    co_return result;
  }
  FetchSigner& signer = result.signer.emplace();
  signer.account_id = verified.signer->id;
  signer.actor_uri = verified.signer->uri;
  co_return result;
}

void cache_for_signer(ApRoutes& routes, http::Response& response, const FetchSigner* signer,
                      std::chrono::seconds max_age) {
  if (publicly_cacheable(signer) && !routes.context.config.federation.authorized_fetch) {
    cache_publicly(response, max_age);
  } else {
    cache_privately(response);
  }
  response.set_header("Vary", "Accept, Signature");
}

}  // namespace kith::ap
