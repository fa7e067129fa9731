// Fetcher (fetcher.hpp): a signed GET of one document from its origin, and
// the checks that make what came back believable.
//
// Content types. ActivityPub 3.2 says a server serves
// `application/ld+json; profile="https://www.w3.org/ns/activitystreams"` and
// that `application/activity+json` is equivalent. kith accepts exactly
// those two, as GoToSocial does (apiutil.ASContentType): activity+json with
// any parameters (Misskey adds charset=utf-8), ld+json only with the
// ActivityStreams profile among its profiles. Mastodon (JsonLdHelper
// #fetch_resource_without_id_validation) also takes a bare
// application/ld+json; kith does not: any JSON-LD document is ld+json, and a
// server that serves user uploads or other JSON-LD as bare ld+json could then
// have them taken for actors (CVE-2024-25623 was this with any JSON). Every
// implementation kith federates with sends one of the two accepted forms.
//
// Signing. Every fetch is signed by the instance actor (cavage rsa-sha256
// over (request-target) host date, keyId https://<host>/actor#main-key), as
// Mastodon does in secure mode and GoToSocial always: a server with
// authorized fetch refuses unsigned GETs. The instance actor signs rather
// than a user, so that the remote server learns nothing about who is
// reading. The private key is read from the database once and kept parsed.
#include "kith/ap/fetcher.hpp"

#include <spdlog/spdlog.h>

#include <cctype>
#include <mutex>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "kith/ap/acct.hpp"
#include "kith/ap/content_negotiation.hpp"
#include "kith/ap/local_urls.hpp"
#include "kith/ap/rsa.hpp"
#include "kith/ap/signature_header.hpp"
#include "kith/ap/signature_policy.hpp"
#include "kith/ap/signing_string.hpp"
#include "kith/db/instance_actor.hpp"
#include "kith/db/pool.hpp"
#include "kith/http/client.hpp"

namespace kith::ap {

std::string_view describe(FetchFailure failure) {
  switch (failure) {
    case FetchFailure::none:
      return "none";
    case FetchFailure::bad_url:
      return "bad_url";
    case FetchFailure::local:
      return "local";
    case FetchFailure::network:
      return "network";
    case FetchFailure::gone:
      return "gone";
    case FetchFailure::http_status:
      return "http_status";
    case FetchFailure::content_type:
      return "content_type";
    case FetchFailure::invalid:
      return "invalid";
    case FetchFailure::id_mismatch:
      return "id_mismatch";
  }
  return "unknown";
}

bool is_activity_streams_content_type(std::string_view value) {
  // parse_accept reads "type/subtype; name=value" with RFC 9110 quoting; a
  // Content-Type is one such element (a comma would make it two: refused).
  const std::vector<MediaRange> ranges = parse_accept(value);
  if (ranges.size() != 1) return false;
  const MediaRange& range = ranges.front();
  if (range.type != "application") return false;
  if (range.subtype == "activity+json") return true;
  if (range.subtype != "ld+json") return false;
  // RFC 6906: profile is a space-separated list of URIs.
  for (const auto& [name, profile] : range.parameters) {
    if (name != "profile") continue;
    std::string_view rest = profile;
    while (!rest.empty()) {
      const std::size_t space = rest.find(' ');
      if (rest.substr(0, space) == kActivityStreamsProfile) return true;
      if (space == std::string_view::npos) break;
      rest.remove_prefix(space + 1);
    }
  }
  return false;
}

std::vector<http::Header> signed_get_headers(const RsaPrivateKey& key, const std::string& key_id,
                                             const http::Url& target,
                                             std::chrono::system_clock::time_point now) {
  const std::string authority = target.origin.authority();
  const std::string request_target = target.request_target();
  // Host is listed for the signing string only: the client sends its own,
  // which is the same authority.
  std::vector<http::Header> headers = {
      {"Host", authority},
      {"Date", format_http_date(std::chrono::floor<std::chrono::seconds>(now))}};
  CavageSignature signature;
  signature.key_id = key_id;
  signature.algorithm = "rsa-sha256";
  signature.headers = {"(request-target)", "host", "date"};
  signature.headers_given = true;
  const RequestParts parts{"GET", request_target, target.origin.scheme, authority,
                           header_lookup(headers)};
  const SigningStringResult text = build_signing_string(signature, parts);
  if (!text) return {};
  auto bytes = key.sign(RsaScheme::pkcs1_sha256, text.text);
  if (!bytes) return {};
  signature.signature = std::move(*bytes);
  headers.erase(headers.begin());
  headers.push_back({"Signature", serialize_signature_header(signature)});
  return headers;
}

struct Fetcher::State {
  State(http::Client& c, db::Pool& p, std::string h) : client(c), pool(p), host(std::move(h)) {}
  http::Client& client;
  db::Pool& pool;
  std::string host;             // as configured: the instance actor's URLs
  std::string normalized_host;  // normalize_authority(host): compared with URLs
  std::string key_id;           // https://<host>/actor#main-key

  std::mutex mutex;
  std::shared_ptr<const RsaPrivateKey> key;  // loaded on first use, then kept
};

Fetcher::Fetcher(http::Client& client, db::Pool& pool, std::string host)
    : state_(std::make_shared<State>(client, pool, host)) {
  AuthorityResult normal = normalize_authority(host);
  state_->normalized_host = normal ? normal.authority : host;
  state_->key_id = urls::key_id(urls::instance_actor(host));
}

Fetcher::~Fetcher() = default;

bool Fetcher::is_local(const http::Url& url) const {
  return url.origin.authority() == state_->normalized_host;
}

const std::string& Fetcher::host() const {
  return state_->normalized_host;
}

boost::asio::awaitable<FetchResult> Fetcher::fetch(std::string url) {
  FetchResult result;
  const http::UrlResult parsed = http::parse_url(url);
  // https only: ids in documents are https (read_document refuses others),
  // and tests use https with a test CA too.
  if (!parsed || parsed.url->origin.scheme != "https") {
    result.failure = FetchFailure::bad_url;
    result.detail = parsed ? "not https: " + url : std::string(http::describe(parsed.error));
    co_return result;
  }
  if (is_local(*parsed.url)) {
    result.failure = FetchFailure::local;
    result.detail = url;
    co_return result;
  }

  std::shared_ptr<State> state = state_;
  std::shared_ptr<const RsaPrivateKey> key;
  {
    std::lock_guard lock(state->mutex);
    key = state->key;
  }
  if (!key) {
    std::string pem = co_await state->pool.run(
        [](pqxx::connection& c) { return db::instance_actor_private_key(c); });
    RsaPrivateKey::Parsed parsed_key = RsaPrivateKey::from_pem(pem);
    if (!parsed_key) throw std::runtime_error("the instance actor's private key does not parse");
    key = std::make_shared<const RsaPrivateKey>(std::move(*parsed_key.key));
    std::lock_guard lock(state->mutex);
    if (!state->key) state->key = key;
  }

  http::OutgoingRequest request;
  request.method = "GET";
  request.url = parsed.url->text_without_fragment();
  request.headers = {
      {"Accept", std::string(kActivityJsonType) + ", " + std::string(kLdJsonActivityStreamsType)}};
  request.sign = [key, key_id = state->key_id](const http::Url& target) {
    try {
      auto headers = signed_get_headers(*key, key_id, target, std::chrono::system_clock::now());
      if (headers.empty()) spdlog::error("fetch: signing a request failed");
      return headers;
    } catch (const std::exception& e) {
      spdlog::error("fetch: signing a request failed: {}", e.what());
      return std::vector<http::Header>{};
    }
  };
  http::ClientResult answer = co_await state->client.request(std::move(request));
  if (!answer) {
    result.failure = FetchFailure::network;
    result.detail = answer.error.message;
    co_return result;
  }
  const http::ClientResponse& response = *answer.response;
  const std::string final_url = response.final_url.text_without_fragment();
  result.status = response.status;
  if (response.status == 404 || response.status == 410) {
    result.failure = FetchFailure::gone;
    result.detail = std::to_string(response.status) + " from " + final_url;
    co_return result;
  }
  if (response.status != 200) {
    result.failure = FetchFailure::http_status;
    result.detail = std::to_string(response.status) + " from " + final_url;
    co_return result;
  }
  const auto content_type = response.header("Content-Type");
  if (!content_type || !is_activity_streams_content_type(*content_type)) {
    result.failure = FetchFailure::content_type;
    result.detail = "Content-Type \"" + std::string(content_type.value_or("")).substr(0, 200) +
                    "\" from " + final_url;
    co_return result;
  }
  ReadResult read = read_document(response.body);
  if (!read.document) {
    result.failure = FetchFailure::invalid;
    result.detail = final_url + ": " + read.error->field + ": " + read.error->message;
    co_return result;
  }
  // The document must be the URL that answered: its id, normalised, equal
  // to that URL (after redirects) and without a fragment of its own.
  const http::UrlResult id = http::parse_url(read.document->id());
  if (!id || id.url->has_fragment || id.url->text_without_fragment() != final_url) {
    result.failure = FetchFailure::id_mismatch;
    result.detail = "id " + read.document->id().substr(0, 300) + " fetched from " + final_url;
    if (id && !id.url->has_fragment) result.claimed_id = id.url->text_without_fragment();
    co_return result;
  }
  result.document = std::move(read.document);
  result.url = final_url;
  result.body = std::move(answer.response->body);
  co_return result;
}

namespace {

// RFC 3986 unreserved characters stay; everything else is %XX.
std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

boost::asio::awaitable<std::optional<std::string>> Fetcher::webfinger(std::string username,
                                                                      std::string host) {
  const std::string acct = percent_encode(username) + "@" + host;
  const std::string url = "https://" + host + "/.well-known/webfinger?resource=acct%3A" + acct;
  const http::UrlResult parsed = http::parse_url(url);
  if (!parsed || is_local(*parsed.url)) co_return std::nullopt;
  http::OutgoingRequest request;
  request.url = url;
  request.headers = {{"Accept", "application/jrd+json, application/json"}};
  request.max_body_bytes = kMaxWebFingerBytes;
  std::shared_ptr<State> state = state_;
  http::ClientResult answer = co_await state->client.request(std::move(request));
  if (!answer || answer.response->status != 200) {
    spdlog::info(
        "webfinger {}: {}", url,
        answer ? "status " + std::to_string(answer.response->status) : answer.error.message);
    co_return std::nullopt;
  }
  const nlohmann::json jrd = nlohmann::json::parse(answer.response->body, nullptr, false);
  if (!jrd.is_object() || !jrd.contains("links") || !jrd["links"].is_array())
    co_return std::nullopt;
  std::size_t looked_at = 0;
  for (const nlohmann::json& link : jrd["links"]) {
    if (++looked_at > kMaxWebFingerLinks) break;
    if (!link.is_object()) continue;
    const auto rel = link.find("rel");
    const auto type = link.find("type");
    const auto href = link.find("href");
    if (rel == link.end() || !rel->is_string() || *rel != "self") continue;
    if (type == link.end() || !type->is_string() ||
        !is_activity_streams_content_type(type->get<std::string>()))
      continue;
    if (href == link.end() || !href->is_string()) continue;
    co_return href->get<std::string>();
  }
  co_return std::nullopt;
}

}  // namespace kith::ap
