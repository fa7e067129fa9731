// POST /api/v1/reports: a user reports an account (and some of its
// statuses) to the moderators; with forward=true and a remote account, a
// Flag goes to that account's server too, sent by the instance actor so
// that the reporter stays anonymous there (Mastodon's ReportService).
// The report row and the Flag's delivery commit together. Each reported
// status is a flag for the community moderation engine: recorded here right
// after the commit, so that it hides the status for the reporter at once
// (the `kith_mod` notification brings it again, for every daemon).
#include <algorithm>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "client_support.hpp"
#include "kith/ap/local_urls.hpp"
#include "kith/ap/outbox.hpp"
#include "kith/api/entities.hpp"
#include "kith/api/status_text.hpp"
#include "kith/db/local_actions.hpp"
#include "kith/http/url.hpp"
#include "kith/mod/engine.hpp"
#include "moderation_service.hpp"

namespace kith::api {
namespace {

using json = nlohmann::json;

// Mastodon's limits: a comment of at most 1000 characters; kith also caps
// the statuses named in one report.
constexpr std::size_t kMaxReportComment = 1000;
constexpr std::size_t kMaxReportStatuses = 100;

http::Handler create_report(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "write:reports");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const Params& params = std::get<Params>(parsed);
    auto target_id = parse_id(params.first("account_id").value_or(""));
    if (!target_id) co_return not_found();
    const std::string comment = params.first("comment").value_or("");
    if (count_characters(comment) > kMaxReportComment || !http::valid_utf8(comment))
      co_return unprocessable("Comment is too long (maximum is 1000 characters)");
    // Each status once (a repeated id is one flag, not several), in the
    // order given.
    std::vector<std::int64_t> status_ids;
    for (const std::string& value : params.all("status_ids")) {
      if (status_ids.size() >= kMaxReportStatuses) break;
      if (auto id = parse_id(value);
          id && std::find(status_ids.begin(), status_ids.end(), *id) == status_ids.end())
        status_ids.push_back(*id);
    }
    const bool forward = parse_bool(params.first("forward")).value_or(false);
    const std::string category = params.first("category").value_or("other");
    const std::string& host = routes.context.config.host;

    std::int64_t reported_account = 0;
    std::vector<std::int64_t> flagged;  // the statuses kept in the report
    auto report = co_await routes.context.pool.run([&](pqxx::connection& c) {
      std::optional<json> out;
      pqxx::work tx(c);
      auto target = db::account_ref(tx, *target_id);
      if (!target || target->id == caller.account_id) return out;
      // Only statuses of the reported account that the reporter can see.
      std::vector<std::int64_t> kept;
      auto seen = db::status_views(tx, status_ids, caller.account_id);
      for (std::int64_t id : status_ids)
        if (auto it = seen.find(id); it != seen.end() && it->second.account_id == target->id)
          kept.push_back(id);
      const std::int64_t report_id = db::next_id(tx);
      const bool forwarded = forward && !target->local();
      db::insert_local_report(tx, report_id, caller.account_id, target->id, kept, comment,
                              forwarded ? ap::urls::flag_activity(host, report_id) : "");
      if (forwarded) ap::outbox::flag(tx, host, report_id);
      auto account = render_account(tx, target->id, host);
      const pqxx::row created = tx.exec_params1(
          "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
          " FROM reports WHERE id = $1",
          report_id);
      json ids = json::array();
      for (std::int64_t id : kept) ids.push_back(std::to_string(id));
      out = json{{"id", std::to_string(report_id)},
                 {"action_taken", false},
                 {"action_taken_at", nullptr},
                 {"category", category == "spam" || category == "legal" || category == "violation"
                                  ? category
                                  : "other"},
                 {"comment", comment},
                 {"forwarded", forwarded},
                 {"created_at", created[0].as<std::string>()},
                 {"status_ids", ids.empty() ? json(nullptr) : ids},
                 {"rule_ids", nullptr},
                 {"target_account", account ? *account : json(nullptr)}};
      tx.commit();
      reported_account = target->id;
      flagged = kept;
      return out;
    });
    if (!report) co_return not_found();
    const std::int64_t now = moderation_unix_now();
    for (std::int64_t status : flagged)
      record_signal(routes, mod::Signal{caller.account_id, status, reported_account,
                                        mod::SignalKind::flag, now});
    routes.context.wake_delivery();
    co_return json_ok(*report);
  };
}

}  // namespace

void add_report_routes(http::Router& router, ApiRoutes& routes) {
  router.add("POST", "/api/v1/reports", create_report(routes));
}

}  // namespace kith::api
