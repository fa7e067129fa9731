// Flag from other servers: a report about a local account, kept for the
// moderators and the community moderation model.
//
// The Flag names accounts and statuses (object, and more objects after it);
// kith keeps only what is its own: the first local account named is the
// target (or, when only statuses are named, the author of the first local
// one), and the reported statuses are the named local statuses of that
// target. The report's author is the Flag's actor (often the other server's
// instance actor). A Flag that names nothing local is true but not kith's
// to act on.
#include <algorithm>
#include <pqxx/pqxx>

#include "inbox_apply.hpp"
#include "kith/db/inbound.hpp"

namespace kith::ap::inbox {

namespace asio = boost::asio;

// A Flag keeps at most this many statuses (as a local report does,
// kMaxReportStatuses in api/reports.cpp): each is a flag for the community
// moderation engine and one notification of migration 0016's trigger.
// The objects looked up are bounded likewise (the account, then statuses).
constexpr std::size_t kMaxFlagStatuses = 100;

asio::awaitable<Prepared> prepare_flag(Context& context, const Received& r) {
  std::vector<std::string> named;
  if (!r.activity.object.empty()) named.push_back(r.activity.object);
  named.insert(named.end(), r.activity.other_objects.begin(), r.activity.other_objects.end());
  // Only this server's ids can name anything local.
  const std::string origin = "https://" + context.host + "/";
  std::erase_if(named, [&origin](const std::string& uri) { return !same_origin(uri, origin); });
  if (named.empty()) co_return ignored("Flag of nothing on this server");
  if (named.size() > kMaxFlagStatuses + 1) named.resize(kMaxFlagStatuses + 1);
  const std::int64_t actor_id = r.actor.id;
  const std::string flag_uri = r.activity.id;
  const std::string comment = r.activity.content;
  co_return apply([=](pqxx::transaction_base& tx) {
    std::int64_t target_id = 0;
    for (const auto& uri : named)
      if (auto account = db::find_local_account_by_uri(tx, uri)) {
        target_id = account->id;
        break;
      }
    std::vector<db::StatusRef> statuses;
    for (const auto& uri : named)
      if (auto status = db::find_status_by_uri(tx, uri); status && status->local && !status->reblog)
        statuses.push_back(*status);
    if (target_id == 0 && !statuses.empty()) target_id = statuses.front().account_id;
    if (target_id == 0) return WriteResult{"the Flag names no local account or status", 0, true};
    std::vector<std::int64_t> status_ids;
    for (const auto& status : statuses)
      if (status.account_id == target_id && status_ids.size() < kMaxFlagStatuses &&
          std::find(status_ids.begin(), status_ids.end(), status.id) == status_ids.end())
        status_ids.push_back(status.id);
    if (db::insert_report(tx, actor_id, target_id, status_ids, comment, flag_uri))
      return WriteResult{"report stored", 0, false};
    return WriteResult{"report already stored", 0, true};
  });
}

}  // namespace kith::ap::inbox
