// Shared between the api module's source files; not part of its interface.
#pragma once

#include <chrono>
#include <string>

#include "kith/api/routes.hpp"
#include "kith/core/lru_cache.hpp"

namespace kith::api {

// A rendered JSON document and when it stops being fresh.
struct CachedDocument {
  std::string body;
  std::chrono::steady_clock::time_point expires;
};

struct ApiRoutes {
  explicit ApiRoutes(ApiContext ctx)
      : context(ctx),
        documents(ctx.budget, "api_documents", [](const std::string& key, const CachedDocument& d) {
          return key.size() + d.body.size() + sizeof(CachedDocument);
        }) {}
  ApiContext context;
  core::LruCache<std::string, CachedDocument> documents;
};

extern const char* const kMastodonVersion;

http::Handler instance_handler(ApiRoutes& routes);
http::Handler create_app_handler(ApiRoutes& routes);

}  // namespace kith::api
