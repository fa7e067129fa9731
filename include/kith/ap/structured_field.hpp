// RFC 8941 Structured Field Values: the Dictionary parser and the serialiser
// that HTTP Message Signatures (RFC 9421) and Content-Digest (RFC 9530) need.
//
// Signature-Input is both parsed and re-serialised: RFC 9421 signs the
// serialisation of the parsed covered-components list, not the bytes that
// were received, so parser and serialiser must agree exactly. The one idea:
// follow the RFC's parsing and serialising algorithms step by step (they are
// quoted above the code), and keep values in a form that serialises back
// unchanged (decimals as integer thousandths, no floating point). What it
// must never do: accept input the RFC says to fail on, or read two meanings
// into one value. It is stricter than RFC 8941 in two ways: a key repeated
// in a Dictionary or in Parameters is an error (RFC 8941 keeps the last;
// a signature over a value that two readers read differently is the bug to
// avoid), and sizes and counts have limits below the RFC's minimums, since
// only signature and digest fields are parsed with it. Dates and Display
// Strings (RFC 9651) are not supported and fail to parse.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "kith/ap/base64.hpp"

namespace kith::ap::sf {

struct Token {
  std::string value;
  bool operator==(const Token&) const = default;
};

// A Decimal as an integer number of thousandths: at most 12 integer and 3
// fractional digits (RFC 8941 3.3.2), so it fits and serialises exactly.
struct Decimal {
  std::int64_t thousandths = 0;
  bool operator==(const Decimal&) const = default;
};

// Integer, Decimal, String, Token, Byte Sequence, Boolean (RFC 8941 3.3).
using BareItem = std::variant<std::int64_t, Decimal, std::string, Token, Bytes, bool>;

struct Parameter {
  std::string key;
  BareItem value;
  bool operator==(const Parameter&) const = default;
};
using Parameters = std::vector<Parameter>;  // in order, keys unique

struct Item {
  BareItem value;
  Parameters params;
  bool operator==(const Item&) const = default;
};

struct InnerList {
  std::vector<Item> items;
  Parameters params;
  bool operator==(const InnerList&) const = default;
};

struct Member {
  std::string key;
  std::variant<Item, InnerList> value;
  bool operator==(const Member&) const = default;
};
using Dictionary = std::vector<Member>;  // in order, keys unique

struct Limits {
  std::size_t max_bytes = 16 * 1024;  // the whole field value
  std::size_t max_members = 64;       // Dictionary members
  std::size_t max_inner_items = 64;   // items in one Inner List
  std::size_t max_parameters = 32;    // parameters on one Item or Inner List
};

enum class Error { none, too_long, syntax, duplicate_key, too_many };
std::string_view describe(Error error);

struct DictionaryResult {
  std::optional<Dictionary> dictionary;
  Error error = Error::none;
  std::size_t position = 0;  // offset of the error in the input
  explicit operator bool() const { return dictionary.has_value(); }
};

// RFC 8941 4.2 with field_type "dictionary". The input is the field value,
// with several field lines already combined with ", " (RFC 9110 5.3).
DictionaryResult parse_dictionary(std::string_view text, const Limits& limits = {});

// RFC 8941 4.1 serialisation. Values must be valid (as the parser produces
// them): an invalid key, token, string or out-of-range number throws
// std::invalid_argument.
std::string serialize(const BareItem& item);
std::string serialize(const Parameters& params);
std::string serialize(const Item& item);
std::string serialize(const InnerList& list);
std::string serialize(const Dictionary& dictionary);

const BareItem* find(const Parameters& params, std::string_view key);
const Member* find(const Dictionary& dictionary, std::string_view key);

}  // namespace kith::ap::sf
