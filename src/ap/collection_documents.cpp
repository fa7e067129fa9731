// Collection documents (collection_documents.hpp). Items and pages use the
// @context of activity_writer.hpp, taken from the writer itself so that a
// page defines every term its embedded activities use.
#include "collection_documents.hpp"

#include "kith/ap/activity_writer.hpp"

namespace kith::ap {
namespace {

using json = nlohmann::ordered_json;

// The writer's @context, read once from a document it writes.
const json& writer_context() {
  static const json context = json::parse(write_tombstone(Tombstone{"", "", ""}))["@context"];
  return context;
}

std::string serialise(const json& document) {
  return document.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

std::string write_ordered_collection(std::string_view id, std::int64_t total_items,
                                     std::string_view first, std::string_view last) {
  json out = json::object();
  out["@context"] = writer_context();
  out["id"] = id;
  out["type"] = "OrderedCollection";
  out["totalItems"] = total_items;
  if (!first.empty()) out["first"] = first;
  if (!last.empty()) out["last"] = last;
  return serialise(out);
}

std::string write_inline_collection(std::string_view id, const json& items) {
  json out = json::object();
  out["@context"] = writer_context();
  out["id"] = id;
  out["type"] = "OrderedCollection";
  out["totalItems"] = items.size();
  out["orderedItems"] = items;
  return serialise(out);
}

std::string write_ordered_collection_page(const PageLinks& links, std::int64_t total_items,
                                          json items) {
  json out = json::object();
  out["@context"] = writer_context();
  out["id"] = links.id;
  out["type"] = "OrderedCollectionPage";
  out["partOf"] = links.part_of;
  out["totalItems"] = total_items;
  if (!links.next.empty()) out["next"] = links.next;
  if (!links.prev.empty()) out["prev"] = links.prev;
  out["orderedItems"] = std::move(items);
  return serialise(out);
}

json activity_item(const Activity& activity) {
  // The writer keeps its JSON to itself; reading its output back costs
  // microseconds per item and keeps one writer for every activity.
  json item = json::parse(write_activity(activity));
  item.erase("@context");
  return item;
}

}  // namespace kith::ap
