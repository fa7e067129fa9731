// libFuzzer target: Accept headers (kith::ap::parse_accept, negotiate and
// the representation choice at actor and object URLs), which every request
// to those URLs carries.
//
// Beyond "no crash, no leak, no undefined behaviour", it checks the promises
// of content_negotiation.hpp: at most kMaxMediaRanges ranges, each with a
// lower-case type and subtype made of token characters ("*/*" or "type/*"
// for wildcards), at most kMaxMediaRangeParameters parameters and a weight
// in 0..1000; negotiate returns an index into the offers; and what is chosen
// among the ActivityStreams types alone agrees with the full choice whenever
// the full choice is an ActivityStreams type.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "kith/ap/content_negotiation.hpp"

namespace {

using namespace kith::ap;

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "invariant broken: %s\n", what);
  std::abort();
}

bool token(const std::string& text) {
  if (text.empty()) return false;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  try {
    const auto ranges = parse_accept(input);
    require(ranges.size() <= kMaxMediaRanges, "range count");
    for (const MediaRange& range : ranges) {
      require(token(range.type) && token(range.subtype), "type and subtype are tokens");
      require(range.type != "*" || range.subtype == "*", "no */subtype");
      require(range.quality >= 0 && range.quality <= kMaxQuality, "weight in range");
      require(range.parameters.size() <= kMaxMediaRangeParameters, "parameter count");
      for (const auto& [name, value] : range.parameters) {
        require(token(name), "parameter names are tokens");
        require(name != "q", "q is the weight, not a parameter");
      }
    }
    static constexpr MediaOffer kOffers[] = {{"application", "xrd+xml", ""},
                                             {"application", "json", "https://example.com/p"}};
    const auto index = negotiate(input, kOffers);
    require(!index || *index < 2, "an index into the offers");
    const auto full = choose_representation(input);
    const auto streams = choose_activity_streams(input);
    if (full && *full != Representation::html) require(streams == full, "choices agree");
    require(!content_type(full.value_or(Representation::html)).empty(), "content types");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "exception escaped: %s\n", e.what());
    std::abort();
  }
  return 0;
}
