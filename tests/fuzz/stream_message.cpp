// libFuzzer target: what a streaming client sends on its WebSocket
// (kith::api::parse_client_message) and the stream it names
// (parse_stream), as the hub reads them.
//
// Beyond "no crash, no leak, no undefined behaviour", it checks the
// promises of stream_requests.hpp: a parsed stream's tag is at most
// kMaxStreamTagLength bytes, has no leading '#' and no ASCII capitals; a
// list stream names a positive id; and the "stream" array of a message
// always serialises.
//
// The parser is one small file with no dependency but nlohmann/json, so it
// is compiled into the target directly rather than linking the api module.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "../../src/api/stream_requests.cpp"

namespace {

void require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "stream_message: broken promise: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kith::api;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto message = parse_client_message(text);
  auto* parsed = std::get_if<ClientMessage>(&message);
  if (!parsed) return 0;
  auto stream = parse_stream(parsed->stream, parsed->tag, parsed->list);
  auto* key = std::get_if<StreamKey>(&stream);
  if (!key) return 0;
  require(key->tag.size() <= kMaxStreamTagLength, "tag length");
  require(key->tag.empty() || key->tag.front() != '#', "no leading #");
  for (char c : key->tag) require(!(c >= 'A' && c <= 'Z'), "lower case tag");
  if (key->kind == StreamKind::list) require(key->list > 0, "positive list id");
  (void)stream_array(*key).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return 0;
}
