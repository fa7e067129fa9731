// How a client's hashtag name becomes the name kith stores and compares:
// every leading '#' dropped ("#cats", "##cats" and "cats" are one tag) and
// ASCII capitals folded to lower case; other bytes are compared as they
// are. Streams, tag timelines and an account's tagged statuses all read
// tag names through this, so one name always means one tag.
//
// Header-only, so that the streaming parser's fuzz target can compile it
// without the api module.
#pragma once

#include <string>
#include <string_view>

namespace kith::api {

inline std::string normalised_tag_name(std::string_view name) {
  while (!name.empty() && name.front() == '#') name.remove_prefix(1);
  std::string out;
  out.reserve(name.size());
  for (char c : name) out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

}  // namespace kith::api
