// Minimal HTML pages for people who open an actor or status URL in a
// browser: server-rendered, escaped, no JavaScript (a Content-Security-Policy
// that allows none is sent with them). The web module will replace these
// with real pages; until then they show who or what the URL is and link to
// the ActivityStreams form. Not part of the module's interface.
#pragma once

#include <string>
#include <string_view>

#include "kith/db/accounts.hpp"
#include "kith/db/statuses.hpp"
#include "kith/http/message.hpp"

namespace kith::ap {

std::string render_profile_page(const db::LocalAccount& account, std::string_view host);
std::string render_status_page(const db::LocalAccount& account, const db::StatusRecord& status,
                               std::string_view host);

// 200 text/html with the security headers every page gets, and a Link to
// the ActivityStreams representation at `activity_streams_id`.
http::Response html_response(std::string body, std::string_view activity_streams_id);

}  // namespace kith::ap
