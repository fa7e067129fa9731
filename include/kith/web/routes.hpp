// kith::web — the pages people see in a browser: today the OAuth sign-in
// and consent pages of GET /oauth/authorize (later: public profile and post
// pages).
//
// The one idea: kith keeps no web session. The sign-in form carries the
// client's request; after a correct password the consent page carries a
// short-lived sealed ticket (ticket.hpp) saying who signed in and what was
// asked, bound to a CSRF cookie; the decision turns it into a single-use
// authorization code. So every authorization asks for the password, and
// nothing but the code and the cookie is ever stored for a browser.
//
// What it must never do: redirect anywhere but a redirect URI the
// application registered, exactly (an unknown client or address gets an
// error page, never a redirect); show a page that runs script or can be
// framed; log or cache a password, code or ticket.
#pragma once

#include <memory>

#include "kith/core/config.hpp"
#include "kith/db/pool.hpp"
#include "kith/http/router.hpp"

namespace kith::api {
class LoginThrottle;
}
namespace kith::mod {
class Engine;
}

namespace kith::web {

struct WebContext {
  const core::Config& config;
  db::Pool& pool;
  api::LoginThrottle& throttle;  // shared with the password grant
  // The community moderation engine, for "why is this hidden for me?"
  // (GET/POST /kith/moderation/statuses/:id/explanation); null: none.
  const mod::Engine* moderation = nullptr;
};

// GET and POST /oauth/authorize (also with a trailing slash, as the router
// allows), POST /oauth/authorize/decision. The returned object holds the
// routes' state; keep it alive as long as the router.
struct WebRoutes;
std::shared_ptr<WebRoutes> add_web_routes(http::Router& router, WebContext context);

}  // namespace kith::web
