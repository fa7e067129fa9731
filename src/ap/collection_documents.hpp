// OrderedCollection and OrderedCollectionPage documents (ActivityStreams
// 2.0 vocabulary 2.7-2.10), which activity_writer.hpp does not write.
// Not part of the module's interface.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kith/ap/activity.hpp"

namespace kith::ap {

// The collection itself: its size and where paging starts. `last` may be "";
// `first` is "" only for a collection whose items are hidden (hide_collections).
std::string write_ordered_collection(std::string_view id, std::int64_t total_items,
                                     std::string_view first, std::string_view last);

// A collection small enough to list inline (today: featured, always empty).
std::string write_inline_collection(std::string_view id, const nlohmann::ordered_json& items);

struct PageLinks {
  std::string id;       // this page's URL
  std::string part_of;  // the collection's id
  std::string next;     // older items, "" when this page is the last
  std::string prev;     // newer items, "" when there are none
};

// One page; `items` is a JSON array of ids or of documents without @context.
std::string write_ordered_collection_page(const PageLinks& links, std::int64_t total_items,
                                          nlohmann::ordered_json items);

// An activity as a collection item: what write_activity writes, without its
// @context (the page carries one for all).
nlohmann::ordered_json activity_item(const Activity& activity);

}  // namespace kith::ap
