// Header lookup over kith::http's header list.
#include "kith/ap/request_parts.hpp"

namespace kith::ap {

HeaderLookup header_lookup(const std::vector<http::Header>& headers) {
  return [&headers](std::string_view name) {
    std::vector<std::string_view> values;
    for (const auto& header : headers)
      if (http::iequals(header.name, name)) values.emplace_back(header.value);
    return values;
  };
}

}  // namespace kith::ap
