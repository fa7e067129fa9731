// libFuzzer target: bytes as an ActivityStreams document through
// read_document, then the writer and the reader again.
//
// Beyond "no crash, no leak, no undefined behaviour" (the sanitizers), it
// checks the promises of activity.hpp and activity_writer.hpp: exactly one
// of document and error; no exception escapes; errors are short; every
// reference list_references() reports is non-empty and an https URL (or
// the public collection); and for every accepted document,
// read(write(read(x))) == read(x) (bto and bcc aside, which the writer
// never writes) unless the written form goes over a whole-document limit,
// and writing is stable.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "kith/ap/activity.hpp"
#include "kith/ap/activity_writer.hpp"

namespace {

using namespace kith::ap;

// Aborts with a message, so that libFuzzer records the input as a crash.
void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "invariant broken: %s\n", what);
  std::abort();
}

void clear_blind_copies(Document& document) {
  if (auto* activity = std::get_if<Activity>(&document.value)) {
    activity->addressing.bto.clear();
    activity->addressing.bcc.clear();
    if (Document* inner = activity->embedded.get()) clear_blind_copies(*inner);
  } else if (auto* object = std::get_if<Object>(&document.value)) {
    object->addressing.bto.clear();
    object->addressing.bcc.clear();
  }
}

void check_result(const ReadResult& result) {
  require(result.document.has_value() != result.error.has_value(),
          "exactly one of document and error");
  if (result.error) {
    require(result.error->field.size() <= 512, "error fields are short");
    require(!result.error->message.empty() && result.error->message.size() <= 256,
            "error messages are short and present");
  }
}

void check_references(const Document& document, bool allow_http) {
  for (const Reference& reference : list_references(document)) {
    require(!reference.url.empty(), "references are non-empty");
    require(reference.url.find('\0') == std::string::npos, "no NUL in references");
    const bool https = reference.url.starts_with("https://");
    const bool http = reference.url.starts_with("http://");
    // Web pages and hashtag pages may be http; everything else is an id.
    require(https || (http && (allow_http || reference.role == Role::url)),
            "references are http(s) URLs");
  }
}

void round_trip(const Document& document, const ReadOptions& options) {
  const std::string written = write_document(document);
  ReadResult again = read_document(written, options);
  check_result(again);
  if (again.error) {
    // The written form may be larger or deeper than what was read (the
    // @context, arrays for single values); only those limits may refuse it.
    require(again.error->over_limit, "what the writer writes, the reader reads");
    return;
  }
  Document expected = document;
  clear_blind_copies(expected);
  require(*again.document == expected, "read(write(d)) == d");
  require(write_document(*again.document) == written, "writing is stable");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    for (const bool allow_http : {false, true}) {
      const ReadOptions options{.allow_http = allow_http};
      ReadResult result = read_document(bytes, options);
      check_result(result);
      if (!result.document) continue;
      check_references(*result.document, allow_http);
      round_trip(*result.document, options);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "exception escaped: %s\n", e.what());
    std::abort();
  }
  return 0;
}
