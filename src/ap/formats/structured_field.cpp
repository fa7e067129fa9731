// RFC 8941 parsing (section 4.2) and serialisation (section 4.1). Each
// function implements the algorithm of the same name; the numbered steps are
// the RFC's.
#include "kith/ap/structured_field.hpp"
#include "kith/http/message.hpp"

#include <stdexcept>

namespace kith::ap::sf {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_lcalpha(char c) {
  return c >= 'a' && c <= 'z';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_key_char(char c) {
  return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '.' || c == '*';
}

struct Failure {
  Error error;
};

// The parser consumes `input` from the front, as the RFC's algorithms do.
class Parser {
 public:
  Parser(std::string_view text, const Limits& limits) : text_(text), rest_(text), limits_(limits) {}

  std::size_t position() const { return text_.size() - rest_.size(); }

  // 4.2.2 Parsing a Dictionary
  Dictionary parse_dictionary() {
    Dictionary dictionary;
    // 2. While input_string is not empty:
    while (!rest_.empty()) {
      // 1. Let this_key be the result of running Parsing a Key.
      std::string key = parse_key();
      Member member{std::move(key), Item{true, {}}};
      // 2. If the first character of input_string is "=": consume it and
      //    parse an Item or Inner List.
      if (peek() == '=') {
        consume();
        member.value = parse_item_or_inner_list();
      } else {
        // 3. Otherwise: value is Boolean true, with parameters.
        member.value = Item{true, parse_parameters()};
      }
      // 4. If dictionary already contains this_key, overwrite it. kith
      //    refuses instead (see the header).
      if (find(dictionary, member.key)) throw Failure{Error::duplicate_key};
      if (dictionary.size() == limits_.max_members) throw Failure{Error::too_many};
      dictionary.push_back(std::move(member));
      // 6. Discard any leading OWS characters from input_string.
      skip_ows();
      // 7. If input_string is empty, return dictionary.
      if (rest_.empty()) return dictionary;
      // 8. Consume the first character; if it is not ",", fail parsing.
      if (consume() != ',') throw Failure{Error::syntax};
      // 9. Discard any leading OWS characters from input_string.
      skip_ows();
      // 10. If input_string is empty, there is a trailing comma; fail.
      if (rest_.empty()) throw Failure{Error::syntax};
    }
    return dictionary;
  }

  void skip_leading_sp() {
    while (peek() == ' ') consume();
  }

  bool at_end() const { return rest_.empty(); }

 private:
  char peek() const { return rest_.empty() ? '\0' : rest_.front(); }
  char consume() {
    const char c = rest_.front();
    rest_.remove_prefix(1);
    return c;
  }
  void skip_ows() {
    while (peek() == ' ' || peek() == '\t') consume();
  }

  // 4.2.1.1 Parsing an Item or Inner List
  std::variant<Item, InnerList> parse_item_or_inner_list() {
    if (peek() == '(') return parse_inner_list();
    return parse_item();
  }

  // 4.2.1.2 Parsing an Inner List
  InnerList parse_inner_list() {
    // 1. Consume the first character; if it is not "(", fail parsing.
    if (consume() != '(') throw Failure{Error::syntax};
    InnerList list;
    // 3. While input_string is not empty:
    while (!rest_.empty()) {
      // 1. Discard any leading SP characters from input_string.
      while (peek() == ' ') consume();
      // 2. If the first character is ")": consume it, parse parameters, and
      //    return the tuple.
      if (peek() == ')') {
        consume();
        list.params = parse_parameters();
        return list;
      }
      // 3-4. Parse an Item and append it to inner_list.
      if (list.items.size() == limits_.max_inner_items) throw Failure{Error::too_many};
      list.items.push_back(parse_item());
      // 5. If the first character is not SP or ")", fail parsing.
      if (peek() != ' ' && peek() != ')') throw Failure{Error::syntax};
    }
    // 4. The end of the Inner List was not found; fail parsing.
    throw Failure{Error::syntax};
  }

  // 4.2.3 Parsing an Item
  Item parse_item() {
    Item item{parse_bare_item(), {}};
    item.params = parse_parameters();
    return item;
  }

  // 4.2.3.1 Parsing a Bare Item
  BareItem parse_bare_item() {
    const char c = peek();
    if (c == '-' || is_digit(c)) return parse_number();
    if (c == '"') return parse_string();
    if (is_alpha(c) || c == '*') return parse_token();
    if (c == ':') return parse_byte_sequence();
    if (c == '?') return parse_boolean();
    // 8. Otherwise, the item type is unrecognized; fail parsing. (Dates "@"
    //    and Display Strings "%" of RFC 9651 are not supported.)
    throw Failure{Error::syntax};
  }

  // 4.2.3.2 Parsing Parameters
  Parameters parse_parameters() {
    Parameters params;
    // 2. While input_string is not empty:
    while (!rest_.empty()) {
      // 1. If the first character is not ";", exit the loop.
      if (peek() != ';') break;
      // 2. Consume the ";" character.
      consume();
      // 3. Discard any leading SP characters from input_string.
      while (peek() == ' ') consume();
      // 4. Let param_key be the result of running Parsing a Key.
      std::string key = parse_key();
      // 5. Let param_value be Boolean true.
      BareItem value = true;
      // 6. If the first character is "=": consume it and parse a bare item.
      if (peek() == '=') {
        consume();
        value = parse_bare_item();
      }
      // 7. If parameters already contains param_key, overwrite it. kith
      //    refuses instead.
      if (find(params, key)) throw Failure{Error::duplicate_key};
      if (params.size() == limits_.max_parameters) throw Failure{Error::too_many};
      params.push_back({std::move(key), std::move(value)});
    }
    return params;
  }

  // 4.2.3.3 Parsing a Key
  std::string parse_key() {
    // 1. If the first character is not lcalpha or "*", fail parsing.
    if (!is_lcalpha(peek()) && peek() != '*') throw Failure{Error::syntax};
    std::string key;
    // 3. While input_string is not empty: if the first character is not one
    //    of lcalpha, DIGIT, "_", "-", ".", or "*", return output_string.
    while (!rest_.empty() && is_key_char(peek())) key += consume();
    return key;
  }

  // 4.2.4 Parsing an Integer or Decimal
  BareItem parse_number() {
    bool decimal = false;
    std::int64_t sign = 1;
    std::string number;
    // 4. If the first character is "-", consume it and set sign to -1.
    if (peek() == '-') {
      consume();
      sign = -1;
    }
    // 5-6. If input_string is empty or does not start with a DIGIT, fail.
    if (!is_digit(peek())) throw Failure{Error::syntax};
    // 7. While input_string is not empty:
    while (!rest_.empty()) {
      const char c = peek();
      if (is_digit(c)) {
        number += consume();
      } else if (!decimal && c == '.') {
        // 3.1. If input_number contains more than 12 characters, fail.
        if (number.size() > 12) throw Failure{Error::syntax};
        number += consume();
        decimal = true;
      } else {
        break;
      }
      // 5-6. At most 15 characters for an integer, 16 for a decimal.
      if (!decimal && number.size() > 15) throw Failure{Error::syntax};
      if (decimal && number.size() > 16) throw Failure{Error::syntax};
    }
    if (!decimal) return static_cast<std::int64_t>(sign * std::stoll(number));
    // 9.1. If the final character of input_number is ".", fail parsing.
    // 9.2. If there are more than three characters after ".", fail parsing.
    const auto dot = number.find('.');
    const std::string fraction = number.substr(dot + 1);
    if (fraction.empty() || fraction.size() > 3) throw Failure{Error::syntax};
    std::int64_t thousandths = std::stoll(number.substr(0, dot)) * 1000;
    std::int64_t scale = 100;
    for (char c : fraction) {
      thousandths += (c - '0') * scale;
      scale /= 10;
    }
    return Decimal{sign * thousandths};
  }

  // 4.2.5 Parsing a String
  std::string parse_string() {
    // 2-3. The first character must be DQUOTE; discard it.
    if (consume() != '"') throw Failure{Error::syntax};
    std::string out;
    // 4. While input_string is not empty:
    while (!rest_.empty()) {
      const char c = consume();
      if (c == '\\') {
        // 2.1-2.3. A backslash must be followed by DQUOTE or "\".
        if (rest_.empty()) throw Failure{Error::syntax};
        const char next = consume();
        if (next != '"' && next != '\\') throw Failure{Error::syntax};
        out += next;
      } else if (c == '"') {
        return out;
      } else if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) {
        // 4. Characters outside VCHAR and SP fail parsing.
        throw Failure{Error::syntax};
      } else {
        out += c;
      }
    }
    // 5. Reached the end without a closing DQUOTE; fail parsing.
    throw Failure{Error::syntax};
  }

  // 4.2.6 Parsing a Token
  Token parse_token() {
    if (!is_alpha(peek()) && peek() != '*') throw Failure{Error::syntax};
    Token token;
    while (!rest_.empty() && (http::is_token_char(peek()) || peek() == ':' || peek() == '/'))
      token.value += consume();
    return token;
  }

  // 4.2.7 Parsing a Byte Sequence
  Bytes parse_byte_sequence() {
    // 1-2. The first character must be ":"; discard it.
    if (consume() != ':') throw Failure{Error::syntax};
    // 3. If there is not a ":" character before the end, fail parsing.
    const auto end = rest_.find(':');
    if (end == std::string_view::npos) throw Failure{Error::syntax};
    // 4-5. b64_content is everything up to that ":", which is consumed.
    const std::string_view content = rest_.substr(0, end);
    rest_.remove_prefix(end + 1);
    // 6-7. Only the base64 alphabet and "="; padding may be missing.
    auto bytes = base64_decode(content, Base64Padding::optional);
    if (!bytes) throw Failure{Error::syntax};
    return std::move(*bytes);
  }

  // 4.2.8 Parsing a Boolean
  bool parse_boolean() {
    if (consume() != '?') throw Failure{Error::syntax};
    if (peek() == '1') {
      consume();
      return true;
    }
    if (peek() == '0') {
      consume();
      return false;
    }
    throw Failure{Error::syntax};
  }

  std::string_view text_;
  std::string_view rest_;
  const Limits& limits_;
};

void check_key(std::string_view key) {
  // 4.1.1.3 Serializing a Key: lcalpha or "*" first, then lcalpha, DIGIT,
  // "_", "-", ".", "*".
  if (key.empty() || (!is_lcalpha(key.front()) && key.front() != '*'))
    throw std::invalid_argument("structured field: invalid key");
  for (char c : key)
    if (!is_key_char(c)) throw std::invalid_argument("structured field: invalid key");
}

constexpr std::int64_t kMaxInteger = 999'999'999'999'999;
constexpr std::int64_t kMaxDecimalThousandths = 999'999'999'999'999;  // 12 + 3 digits

}  // namespace

std::string_view describe(Error error) {
  switch (error) {
    case Error::none:
      return "no error";
    case Error::too_long:
      return "structured field too long";
    case Error::syntax:
      return "structured field syntax error";
    case Error::duplicate_key:
      return "structured field key repeated";
    case Error::too_many:
      return "structured field has too many members or parameters";
  }
  return "unknown structured field error";
}

DictionaryResult parse_dictionary(std::string_view text, const Limits& limits) {
  DictionaryResult result;
  if (text.size() > limits.max_bytes) {
    result.error = Error::too_long;
    return result;
  }
  Parser parser(text, limits);
  try {
    // 0. Convert input_bytes into an ASCII string; if that fails, fail.
    for (char c : text)
      if (static_cast<unsigned char>(c) >= 0x80) throw Failure{Error::syntax};
    // 1. Discard any leading SP characters from input_string.
    parser.skip_leading_sp();
    Dictionary dictionary = parser.parse_dictionary();
    // 5-6. Discard leading SP; if input_string is not empty, fail parsing.
    parser.skip_leading_sp();
    if (!parser.at_end()) throw Failure{Error::syntax};
    result.dictionary = std::move(dictionary);
  } catch (const Failure& failure) {
    result.error = failure.error;
    result.position = parser.position();
  }
  return result;
}

std::string serialize(const BareItem& item) {
  std::string out;
  if (const auto* integer = std::get_if<std::int64_t>(&item)) {
    // 4.1.4: fail outside -999,999,999,999,999 to 999,999,999,999,999.
    if (*integer > kMaxInteger || *integer < -kMaxInteger)
      throw std::invalid_argument("structured field: integer out of range");
    return std::to_string(*integer);
  }
  if (const auto* decimal = std::get_if<Decimal>(&item)) {
    // 4.1.5: sign, integer part, ".", fractional digits without trailing
    // zeros (at least one digit).
    std::int64_t value = decimal->thousandths;
    if (value > kMaxDecimalThousandths || value < -kMaxDecimalThousandths)
      throw std::invalid_argument("structured field: decimal out of range");
    if (value < 0) {
      out += '-';
      value = -value;
    }
    out += std::to_string(value / 1000);
    out += '.';
    std::string fraction = std::to_string(value % 1000);
    fraction.insert(0, 3 - fraction.size(), '0');
    while (fraction.size() > 1 && fraction.back() == '0') fraction.pop_back();
    return out + fraction;
  }
  if (const auto* string = std::get_if<std::string>(&item)) {
    // 4.1.6: fail on characters outside VCHAR and SP; escape DQUOTE and "\".
    out += '"';
    for (char c : *string) {
      const auto byte = static_cast<unsigned char>(c);
      if (byte < 0x20 || byte >= 0x7F) throw std::invalid_argument("structured field: bad string");
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out + '"';
  }
  if (const auto* token = std::get_if<Token>(&item)) {
    // 4.1.7: ALPHA or "*" first, then tchar, ":" or "/".
    const std::string& t = token->value;
    if (t.empty() || (!is_alpha(t.front()) && t.front() != '*'))
      throw std::invalid_argument("structured field: bad token");
    for (char c : t)
      if (!http::is_token_char(c) && c != ':' && c != '/')
        throw std::invalid_argument("structured field: bad token");
    return t;
  }
  if (const auto* bytes = std::get_if<Bytes>(&item)) return ":" + base64_encode(*bytes) + ":";
  // 4.1.9 Serializing a Boolean
  return std::get<bool>(item) ? "?1" : "?0";
}

std::string serialize(const Parameters& params) {
  // 4.1.1.2: ";" key, and "=" value unless the value is Boolean true.
  std::string out;
  for (const auto& param : params) {
    check_key(param.key);
    out += ';';
    out += param.key;
    if (const auto* flag = std::get_if<bool>(&param.value); flag && *flag) continue;
    out += '=';
    out += serialize(param.value);
  }
  return out;
}

std::string serialize(const Item& item) {
  return serialize(item.value) + serialize(item.params);
}

std::string serialize(const InnerList& list) {
  // 4.1.1.1: "(", items separated by single SP, ")", parameters.
  std::string out = "(";
  for (std::size_t i = 0; i < list.items.size(); ++i) {
    if (i > 0) out += ' ';
    out += serialize(list.items[i]);
  }
  out += ')';
  return out + serialize(list.params);
}

std::string serialize(const Dictionary& dictionary) {
  // 4.1.2: key, then parameters alone for Boolean true, else "=" and the
  // member; members separated by "," and a single SP.
  std::string out;
  for (std::size_t i = 0; i < dictionary.size(); ++i) {
    const Member& member = dictionary[i];
    if (i > 0) out += ", ";
    check_key(member.key);
    out += member.key;
    if (const auto* item = std::get_if<Item>(&member.value)) {
      if (const auto* flag = std::get_if<bool>(&item->value); flag && *flag) {
        out += serialize(item->params);
        continue;
      }
      out += '=';
      out += serialize(*item);
    } else {
      out += '=';
      out += serialize(std::get<InnerList>(member.value));
    }
  }
  return out;
}

const BareItem* find(const Parameters& params, std::string_view key) {
  for (const auto& param : params)
    if (param.key == key) return &param.value;
  return nullptr;
}

const Member* find(const Dictionary& dictionary, std::string_view key) {
  for (const auto& member : dictionary)
    if (member.key == key) return &member;
  return nullptr;
}

}  // namespace kith::ap::sf
