// What other api files use of the media endpoints (media.cpp): media_ids
// of a new status, and profile pictures for update_credentials. Internal to
// the api module.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "kith/api/params.hpp"
#include "kith/db/media_attachments.hpp"
#include "routes_internal.hpp"

namespace kith::api {

// Most attachments on one status (Mastodon's limit).
inline constexpr std::size_t kMaxStatusMedia = 4;

inline constexpr std::string_view kMediaNotAttachable =
    "Media attachments must be your own, unattached and processed";

// media_ids[] of a status: at most kMaxStatusMedia ids, in order. The error
// to answer (422), or "" when they read well (db::attach_media then checks
// ownership in the status's transaction).
std::string read_media_ids(const Params& params, std::vector<std::int64_t>& out);

// An avatar or header from update_credentials: processed like any upload
// (type from the bytes, metadata removed) and stored; the URL to keep in
// accounts.avatar_url / header_url, or the error Response to send.
boost::asio::awaitable<std::variant<std::string, http::Response>> store_profile_image(
    ApiRoutes& routes, const UploadedFile& file);

// The body limit of update_credentials: room for an avatar and a header of
// media.max_image_bytes each.
std::size_t profile_upload_limit(const ApiRoutes& routes);

}  // namespace kith::api
