// The media endpoints of the client API (Mastodon's media_controller.rb and
// api/v2/media_controller.rb) and the files they store:
//   POST /api/v1/media           upload, processed at once: 200
//   POST /api/v2/media           small images at once (200); larger ones
//                                answer 202 with url null and are processed
//                                in the background
//   GET  /api/v1/media/:id       206 while processing, then 200 (own media only)
//   PUT  /api/v1/media/:id       description (alt text) and focus
//   DELETE /api/v1/media/:id     unattached media only
//   GET  /system/media/:name     the stored file, with the sniffed type
//
// Every upload goes through media::process_image (type from the bytes,
// metadata removed, dimensions, pixel cap, BlurHash) before it is stored.
// Processing and file I/O block, so they run on this file's own small
// thread pool, never on an I/O thread; the database work on the db pool.
// Served files carry X-Content-Type-Options: nosniff and a sandboxing
// Content-Security-Policy, so an image can never run as a page.
#include <spdlog/spdlog.h>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "client_support.hpp"
#include "kith/api/entities.hpp"
#include "kith/http/url.hpp"
#include "kith/media/file_store.hpp"
#include "kith/media/processing.hpp"
#include "media_support.hpp"

namespace kith::api {
namespace {

using json = nlohmann::json;
namespace asio = boost::asio;

// Mastodon's limit on a description (alt text), in characters.
constexpr std::size_t kMaxDescriptionCharacters = 1500;
// Room in a multipart body for everything but the file (boundaries,
// headers, description, focus).
constexpr std::size_t kMultipartOverheadBytes = 64 * 1024;
// POST /api/v2/media processes images of at most this many pixels before
// answering (200, as Mastodon does for images); larger ones in the background.
constexpr std::uint64_t kProcessAtOncePixels = 4'000'000;
// Threads that process uploads and read and write files.
constexpr int kMediaThreads = 1;
// Background uploads (v2) waiting or being processed at once, each holding
// its file's bytes: beyond this many, an upload is processed before the
// answer, so the waiting request, not a queue, holds it (and the server's
// connection limit bounds those).
constexpr int kMaxBackgroundUploads = 8;

class MediaService {
 public:
  explicit MediaService(const core::Config& config)
      : store(config.media.directory), max_bytes(config.media.max_image_bytes) {}
  ~MediaService() { threads.join(); }

  // Runs `f()` on the media threads and resumes the caller with its result
  // (or its exception).
  template <class F>
  asio::awaitable<std::invoke_result_t<F>> run(F f) {
    using Result = std::invoke_result_t<F>;
    auto work = [&f]() -> asio::awaitable<Result> { co_return f(); };
    co_return co_await asio::co_spawn(threads.get_executor(), work, asio::use_awaitable);
  }

  // A slot for one more background upload; false when kMaxBackgroundUploads
  // are taken. Each slot taken is given back by finish_processing.
  bool take_background_slot() {
    int taken = background_uploads.load();
    while (taken < kMaxBackgroundUploads)
      if (background_uploads.compare_exchange_weak(taken, taken + 1)) return true;
    return false;
  }
  void give_background_slot() { background_uploads.fetch_sub(1); }

  media::FileStore store;
  std::size_t max_bytes;
  std::atomic<int> background_uploads{0};
  asio::thread_pool threads{kMediaThreads};
};

// The service of this process's API (one per daemon), for
// store_profile_image; set by add_media_routes.
std::shared_ptr<MediaService> g_service;

// What processing gives a row: the stored file and its facts, or the
// reason it was refused.
struct Stored {
  db::NewMedia media;
  std::optional<media::ProcessError> error;
};

json image_meta(const media::Dimensions& d) {
  const json size = {{"width", d.width},
                     {"height", d.height},
                     {"size", std::to_string(d.width) + "x" + std::to_string(d.height)},
                     {"aspect", static_cast<double>(d.width) / d.height}};
  return {{"original", size}, {"small", size}, {"focus", {{"x", 0.0}, {"y", 0.0}}}};
}

// On a media thread: process and store `bytes`.
Stored process_and_store(const MediaService& service, std::string_view bytes) {
  Stored out;
  auto processed = media::process_image(bytes, service.max_bytes);
  if (auto* error = std::get_if<media::ProcessError>(&processed)) {
    out.error = std::move(*error);
    return out;
  }
  const auto& image = std::get<media::ProcessedImage>(processed);
  out.media.media_type = std::string(media::mime_type(image.format));
  out.media.file_path = service.store.save(image.bytes, media::extension(image.format));
  out.media.file_size = static_cast<std::int64_t>(image.bytes.size());
  out.media.blurhash = image.blurhash;
  out.media.meta_json = image_meta(image.dimensions).dump();
  return out;
}

std::size_t count_characters(std::string_view text) {
  std::size_t n = 0;
  for (char c : text)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

// "" when the description is acceptable, else the error.
std::string check_description(const std::optional<std::string>& description) {
  if (!description) return "";
  if (!http::valid_utf8(*description)) return "Description is not valid UTF-8";
  if (count_characters(*description) > kMaxDescriptionCharacters)
    return "Description is too long (maximum is " + std::to_string(kMaxDescriptionCharacters) +
           " characters)";
  return "";
}

// Mastodon's focus "x,y", each from -1.0 to 1.0.
std::optional<std::pair<double, double>> parse_focus(std::string_view text) {
  const std::size_t comma = text.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  auto number = [](std::string_view part) -> std::optional<double> {
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    double value = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || ec != std::errc() || end != part.data() + part.size() ||
        !std::isfinite(value) || value < -1.0 || value > 1.0)
      return std::nullopt;
    return value;
  };
  auto x = number(text.substr(0, comma));
  auto y = number(text.substr(comma + 1));
  if (!x || !y) return std::nullopt;
  return std::pair{*x, *y};
}

// The MediaAttachment answer: 206 while processing, 200 when done.
http::Response media_answer(const db::OwnMedia& media, std::string_view host) {
  http::Response response = json_ok(media_attachment_json(media.view, host));
  if (media.processing == "pending") response.status = 206;
  return response;
}

// The end of a background upload (v2): process, store, complete the row.
asio::awaitable<void> finish_processing(ApiRoutes& routes, std::shared_ptr<MediaService> service,
                                        std::int64_t id, std::shared_ptr<const std::string> bytes) {
  try {
    const MediaService& s = *service;
    const std::string& data = *bytes;
    Stored stored = co_await service->run([&] { return process_and_store(s, data); });
    co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::work tx(c);
      if (stored.error)
        db::fail_media(tx, id);
      else
        db::complete_media(tx, id, stored.media);
      tx.commit();
    });
  } catch (const std::exception& e) {
    spdlog::warn("media {}: processing failed: {}", id, e.what());
  }
  service->give_background_slot();
}

struct UploadRequest {
  const UploadedFile* file = nullptr;
  std::optional<std::string> description;
  std::optional<std::pair<double, double>> focus;
};

asio::awaitable<http::Response> upload(ApiRoutes& routes, std::shared_ptr<MediaService> service,
                                       http::Request& request, bool v2) {
  auto auth = co_await authenticate(routes, request, "write:media");
  if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
  const Caller caller = std::get<Caller>(auth);
  auto parsed = read_params(request);
  if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
  const Params& params = std::get<Params>(parsed);
  const UploadedFile* file = params.file("file");
  if (!file) co_return unprocessable("File can't be blank");
  auto checked = media::check_upload(file->bytes, service->max_bytes);
  if (auto* error = std::get_if<media::ProcessError>(&checked))
    co_return http::error_response(error->status, error->message);
  const auto description = params.first("description");
  if (std::string error = check_description(description); !error.empty())
    co_return unprocessable(error);
  std::optional<std::pair<double, double>> focus;
  if (auto text = params.first("focus"); text && !text->empty()) {
    focus = parse_focus(*text);
    if (!focus) co_return unprocessable("Focus must be two numbers from -1.0 to 1.0: x,y");
  }
  const std::string& host = routes.context.config.host;

  const auto dimensions =
      media::read_dimensions(std::get<media::ImageFormat>(checked), file->bytes);
  const bool later = v2 && dimensions &&
                     std::uint64_t{dimensions->width} * dimensions->height > kProcessAtOncePixels &&
                     service->take_background_slot();
  if (later) {
    // The slot goes back when finish_processing ends, or here if the row
    // cannot be written.
    struct SlotGuard {
      MediaService* service;
      ~SlotGuard() {
        if (service) service->give_background_slot();
      }
    } guard{service.get()};
    db::NewMedia pending;
    pending.account_id = caller.account_id;
    pending.description = description.value_or("");
    pending.pending = true;
    auto media = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::work tx(c);
      const std::int64_t id = db::insert_media(tx, pending);
      db::update_media(tx, id, std::nullopt, focus);
      auto row = db::find_own_media(tx, id, caller.account_id);
      tx.commit();
      return row;
    });
    if (!media) co_return not_found();
    auto bytes = std::make_shared<const std::string>(file->bytes);
    guard.service = nullptr;  // finish_processing gives it back
    asio::co_spawn(co_await asio::this_coro::executor,
                   finish_processing(routes, service, media->view.id, std::move(bytes)),
                   asio::detached);
    http::Response response = json_ok(media_attachment_json(media->view, host));
    response.status = 202;
    co_return response;
  }

  const MediaService& s = *service;
  const std::string& data = file->bytes;
  Stored stored = co_await service->run([&] { return process_and_store(s, data); });
  if (stored.error) co_return http::error_response(stored.error->status, stored.error->message);
  stored.media.account_id = caller.account_id;
  stored.media.description = description.value_or("");
  auto media = co_await routes.context.pool.run([&](pqxx::connection& c) {
    pqxx::work tx(c);
    const std::int64_t id = db::insert_media(tx, stored.media);
    db::update_media(tx, id, std::nullopt, focus);
    auto row = db::find_own_media(tx, id, caller.account_id);
    tx.commit();
    return row;
  });
  if (!media) co_return not_found();
  co_return media_answer(*media, host);
}

http::Handler upload_handler(ApiRoutes& routes, std::shared_ptr<MediaService> service, bool v2) {
  return [&routes, service, v2](http::Request& request) -> asio::awaitable<http::Response> {
    return upload(routes, service, request, v2);
  };
}

http::Handler get_media(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "write:media");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto id = parse_id(request.params["id"]);
    if (!id) co_return not_found();
    auto media = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      return db::find_own_media(tx, *id, caller.account_id);
    });
    if (!media) co_return not_found();
    if (media->processing == "failed")
      co_return http::error_response(422, "Validation failed: File could not be processed");
    co_return media_answer(*media, routes.context.config.host);
  };
}

http::Handler update_media(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "write:media");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto id = parse_id(request.params["id"]);
    if (!id) co_return not_found();
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const Params& params = std::get<Params>(parsed);
    const auto description = params.first("description");
    if (std::string error = check_description(description); !error.empty())
      co_return unprocessable(error);
    std::optional<std::pair<double, double>> focus;
    if (auto text = params.first("focus"); text && !text->empty()) {
      focus = parse_focus(*text);
      if (!focus) co_return unprocessable("Focus must be two numbers from -1.0 to 1.0: x,y");
    }
    auto media = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::work tx(c);
      auto row = db::find_own_media(tx, *id, caller.account_id);
      // As Mastodon: only media not yet attached (a status edit changes the rest).
      if (!row || row->status_id) return std::optional<db::OwnMedia>();
      db::update_media(tx, *id, description, focus);
      row = db::find_own_media(tx, *id, caller.account_id);
      tx.commit();
      return row;
    });
    if (!media) co_return not_found();
    co_return media_answer(*media, routes.context.config.host);
  };
}

http::Handler delete_media(ApiRoutes& routes, std::shared_ptr<MediaService> service) {
  return [&routes, service](http::Request& request) -> asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "write:media");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto id = parse_id(request.params["id"]);
    if (!id) co_return not_found();
    enum class Outcome { deleted, attached, missing };
    std::string file_path;
    const Outcome outcome = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::work tx(c);
      auto row = db::find_own_media(tx, *id, caller.account_id);
      if (!row) return Outcome::missing;
      if (row->status_id) return Outcome::attached;
      file_path = db::delete_unattached_media(tx, *id, caller.account_id).value_or("");
      tx.commit();
      return Outcome::deleted;
    });
    if (outcome == Outcome::missing) co_return not_found();
    if (outcome == Outcome::attached)
      co_return http::error_response(422, "Media attachment is currently used by a status");
    if (!file_path.empty()) {
      const MediaService& s = *service;
      co_await service->run([&] { return s.store.remove(file_path); });
    }
    co_return json_ok(json::object());
  };
}

http::Handler serve_file(std::shared_ptr<MediaService> service) {
  return [service](http::Request& request) -> asio::awaitable<http::Response> {
    const std::string name = request.params["name"];
    const std::size_t dot = name.rfind('.');
    const auto format = dot == std::string::npos
                            ? std::nullopt
                            : media::format_from_extension(std::string_view(name).substr(dot + 1));
    if (!format || !media::FileStore::valid_name(name))
      co_return http::error_response(404, "Record not found");
    const MediaService& s = *service;
    auto bytes = co_await service->run([&] { return s.store.read(name); });
    if (!bytes) co_return http::error_response(404, "Record not found");
    http::Response response =
        http::text_response(200, std::move(*bytes), std::string(media::mime_type(*format)));
    response.set_header("X-Content-Type-Options", "nosniff");
    response.set_header("Content-Security-Policy", "default-src 'none'; sandbox");
    response.set_header("Cache-Control", "public, max-age=31536000, immutable");
    co_return response;
  };
}

}  // namespace

std::string read_media_ids(const Params& params, std::vector<std::int64_t>& out) {
  out.clear();
  for (const std::string& text : params.all("media_ids")) {
    if (text.empty()) continue;  // media_ids[]= (no media), as some clients send
    auto id = parse_id(text);
    if (!id) return "Media ids must be ids";
    out.push_back(*id);
  }
  if (out.size() > kMaxStatusMedia)
    return "Media attachments are at most " + std::to_string(kMaxStatusMedia);
  return "";
}

asio::awaitable<std::variant<std::string, http::Response>> store_profile_image(
    ApiRoutes& routes, const UploadedFile& file) {
  std::shared_ptr<MediaService> service = g_service;
  if (!service) co_return http::error_response(503, "Media uploads are not available");
  auto checked = media::check_upload(file.bytes, service->max_bytes);
  if (auto* error = std::get_if<media::ProcessError>(&checked))
    co_return http::error_response(error->status, error->message);
  const MediaService& s = *service;
  const std::string& data = file.bytes;
  Stored stored = co_await service->run([&] { return process_and_store(s, data); });
  if (stored.error) co_return http::error_response(stored.error->status, stored.error->message);
  co_return local_media_url(routes.context.config.host, stored.media.file_path);
}

std::size_t profile_upload_limit(const ApiRoutes& routes) {
  return 2 * routes.context.config.media.max_image_bytes + kMultipartOverheadBytes;
}

void add_media_routes(http::Router& router, ApiRoutes& routes) {
  auto service = std::make_shared<MediaService>(routes.context.config);
  g_service = service;
  const std::size_t upload_limit = service->max_bytes + kMultipartOverheadBytes;
  router.add("POST", "/api/v1/media", upload_handler(routes, service, false), upload_limit);
  router.add("POST", "/api/v2/media", upload_handler(routes, service, true), upload_limit);
  router.add("GET", "/api/v1/media/:id", get_media(routes));
  router.add("PUT", "/api/v1/media/:id", update_media(routes));
  router.add("DELETE", "/api/v1/media/:id", delete_media(routes, service));
  router.add("GET", "/system/media/:name", serve_file(service));
}

}  // namespace kith::api
