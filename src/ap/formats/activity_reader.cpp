// ActivityStreams JSON -> the vocabulary of activity.hpp.
//
// Two stages. First the bytes become a JSON tree through a SAX handler that
// refuses, as each token arrives, what the limits forbid (depth, value
// count, duplicate keys, U+0000), so no hostile shape is ever built. Then
// the tree is read field by field into the typed Document, with each
// property's accepted shapes spelt out next to the code that reads it.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>
#include <string>

#include "kith/ap/activity.hpp"
#include "kith/ap/html_sanitizer.hpp"

namespace kith::ap {

static_assert(kMaxContentBytes <= kMaxHtmlInputBytes,
              "content the reader accepts must be content the sanitiser accepts");

namespace {

using json = nlohmann::json;

// At most this many bytes of a key from the document go into an error.
constexpr std::size_t kMaxKeyInError = 64;

// A prefix of valid UTF-8 text, cut at a character boundary.
std::string utf8_prefix(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end)) + "…";
}

std::string field(const std::string& path, std::string_view name) {
  if (path.empty()) return std::string(name);
  std::string result = path;
  result += '.';
  result += name;
  return result;
}

std::string item(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

// ---------------------------------------------------------------------------
// Stage 1: bounded JSON.

class BoundedJsonBuilder final : public nlohmann::json_sax<json> {
 public:
  json root;
  std::optional<ReadError> error;

  bool null() override { return add(json(nullptr)); }
  bool boolean(bool value) override { return add(json(value)); }
  bool number_integer(number_integer_t value) override { return add(json(value)); }
  bool number_unsigned(number_unsigned_t value) override { return add(json(value)); }
  bool number_float(number_float_t value, const string_t&) override { return add(json(value)); }
  bool string(string_t& value) override {
    if (value.find('\0') != std::string::npos)
      return refuse(utf8_prefix(key_, kMaxKeyInError), "a string contains U+0000");
    return add(json(std::move(value)));
  }
  bool binary(binary_t&) override { return refuse("", "binary data is not JSON"); }
  bool start_object(std::size_t) override { return add(json::object(), true); }
  bool key(string_t& name) override {
    if (name.find('\0') != std::string::npos) return refuse("", "a key contains U+0000");
    // RFC 8259 4: "The names within an object SHOULD be unique"; when they
    // are not, implementations disagree on which value counts, so a document
    // with a duplicate means different things to different readers.
    if (stack_.back()->contains(name))
      return refuse(utf8_prefix(name, kMaxKeyInError), "duplicate key");
    key_ = std::move(name);
    return true;
  }
  bool end_object() override {
    stack_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override { return add(json::array(), true); }
  bool end_array() override {
    stack_.pop_back();
    return true;
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception&) override {
    // The parser's own message quotes the input; ours does not.
    return refuse("", "invalid JSON near byte " + std::to_string(position));
  }

 private:
  bool refuse(std::string where, std::string message, bool over_limit = false) {
    if (!error) error = ReadError{std::move(where), std::move(message), over_limit};
    return false;
  }

  bool add(json&& value, bool container = false) {
    if (++values_ > kMaxJsonValues)
      return refuse("", "more than " + std::to_string(kMaxJsonValues) + " JSON values", true);
    if (container && stack_.size() >= static_cast<std::size_t>(kMaxJsonDepth))
      return refuse("", "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels", true);
    json* slot;
    if (stack_.empty()) {
      root = std::move(value);
      slot = &root;
    } else if (stack_.back()->is_array()) {
      stack_.back()->push_back(std::move(value));
      slot = &stack_.back()->back();
    } else {
      slot = &(*stack_.back())[std::move(key_)];
      *slot = std::move(value);
    }
    // A container's address stays valid while it is open: its parent gets
    // no new member until it closes.
    if (container) stack_.push_back(slot);
    return true;
  }

  std::vector<json*> stack_;
  std::string key_;
  std::size_t values_ = 0;
};

// ---------------------------------------------------------------------------
// Ids, dates and other checked strings.

enum class FragmentRule { forbidden, allowed };

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// RFC 3986 characters allowed in a path, query or fragment, plus bytes of
// non-ASCII UTF-8 (IRIs; kith::http's parser percent-encodes them).
bool url_char_ok(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x80) return true;
  if (byte <= 0x20 || byte == 0x7F) return false;
  return std::string_view("\"<>\\^`{|}[]").find(c) == std::string_view::npos;
}

// "https://" authority [ path-abempty ] [ "?" query ] [ "#" fragment ], the
// authority a host (a name, an IPv4 address or a bracketed IPv6 address)
// and an optional port, never userinfo. Only syntax: hosts are normalised
// and origins compared by the caller, with kith::http's URL parser.
bool valid_id(std::string_view id, bool allow_http, FragmentRule fragment) {
  std::string_view rest;
  if (id.starts_with("https://"))
    rest = id.substr(8);
  else if (allow_http && id.starts_with("http://"))
    rest = id.substr(7);
  else
    return false;
  const std::size_t authority_end = std::min(rest.find_first_of("/?#"), rest.size());
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view tail = rest.substr(authority_end);
  if (authority.empty()) return false;
  std::string_view host = authority, port;
  if (authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (char c : authority.substr(1, close - 1))
      if (!is_hex(c) && c != ':' && c != '.') return false;
    host = authority.substr(0, close + 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return false;
      port = after.substr(1);
      if (port.empty()) return false;
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      if (port.empty()) return false;
    }
    if (host.empty()) return false;
    for (char c : host) {
      const auto byte = static_cast<unsigned char>(c);
      if (byte < 0x80 && !(is_hex(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           is_digit(c) || c == '-' || c == '.' || c == '_'))
        return false;
    }
  }
  if (!port.empty()) {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), is_digit)) return false;
    const int number = std::stoi(std::string(port));
    if (number < 1 || number > 65535) return false;
  }
  bool seen_fragment = false;
  for (std::size_t i = 0; i < tail.size(); ++i) {
    const char c = tail[i];
    if (c == '#') {
      if (seen_fragment || fragment == FragmentRule::forbidden) return false;
      seen_fragment = true;
    } else if (c == '%') {
      if (i + 2 >= tail.size() || !is_hex(tail[i + 1]) || !is_hex(tail[i + 2])) return false;
    } else if (!url_char_ok(c)) {
      return false;
    }
  }
  return true;
}

// RFC 3339 5.6 date-time: 2024-05-01T12:34:56[.123]Z or …+02:00.
bool valid_date(std::string_view s) {
  auto digits = [&](std::size_t at, std::size_t count, int min, int max) {
    if (at + count > s.size()) return false;
    int value = 0;
    for (std::size_t i = at; i < at + count; ++i) {
      if (!is_digit(s[i])) return false;
      value = value * 10 + (s[i] - '0');
    }
    return value >= min && value <= max;
  };
  if (s.size() < 20) return false;
  if (!digits(0, 4, 0, 9999) || s[4] != '-' || !digits(5, 2, 1, 12) || s[7] != '-' ||
      !digits(8, 2, 1, 31) || (s[10] != 'T' && s[10] != 't') || !digits(11, 2, 0, 23) ||
      s[13] != ':' || !digits(14, 2, 0, 59) || s[16] != ':' || !digits(17, 2, 0, 60))
    return false;
  std::size_t i = 19;
  if (s[i] == '.') {
    const std::size_t start = ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == start || i - start > 9) return false;
  }
  if (i == s.size()) return false;
  if (s[i] == 'Z' || s[i] == 'z') return i + 1 == s.size();
  if (s[i] != '+' && s[i] != '-') return false;
  return i + 6 == s.size() && digits(i + 1, 2, 0, 23) && s[i + 3] == ':' && digits(i + 4, 2, 0, 59);
}

// A BCP 47 language tag, roughly: letters, digits and '-'.
bool valid_language(std::string_view s) {
  if (s.empty() || s.size() > 35) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-';
  });
}

// Base83 as blurhash uses it.
bool valid_blurhash(std::string_view s) {
  if (s.size() < 6 || s.size() > 128) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
           std::string_view("#$%*+,-.:;=?@[]^_{|}~").find(c) != std::string_view::npos;
  });
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// FEP-e232: a Link to an object has an ActivityStreams media type.
bool activitystreams_media_type(std::string_view media_type) {
  std::string compact;
  for (char c : ascii_lower(media_type))
    if (c != ' ') compact += c;
  return compact == "application/activity+json" ||
         compact == "application/ld+json;profile=\"https://www.w3.org/ns/activitystreams\"";
}

enum class TypeKind { activity, object, actor, tombstone, unsupported };

TypeKind classify(std::string_view type) {
  static constexpr std::string_view kActivities[] = {
      "Create", "Update",   "Delete", "Follow", "Accept", "Reject", "Undo",
      "Like",   "Announce", "Block",  "Flag",   "Move",   "Add",    "Remove"};
  static constexpr std::string_view kObjects[] = {"Note",  "Question", "Article", "Page",
                                                  "Image", "Video",    "Audio",   "Event"};
  static constexpr std::string_view kActors[] = {"Person", "Service", "Application", "Group",
                                                 "Organization"};
  auto in = [&](const auto& list) {
    return std::find(std::begin(list), std::end(list), type) != std::end(list);
  };
  if (in(kActivities)) return TypeKind::activity;
  if (in(kObjects)) return TypeKind::object;
  if (in(kActors)) return TypeKind::actor;
  if (type == "Tombstone") return TypeKind::tombstone;
  return TypeKind::unsupported;
}

// A member that is present and not null (null means absent in JSON-LD).
const json* get(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

// The elements of a property that may be one value or an array of them.
std::vector<const json*> values_of(const json* value) {
  std::vector<const json*> result;
  if (value == nullptr) return result;
  if (value->is_array()) {
    for (const json& element : *value)
      if (!element.is_null()) result.push_back(&element);
  } else {
    result.push_back(value);
  }
  return result;
}

const std::string* string_in(const json* value) {
  return value != nullptr && value->is_string() ? &value->get_ref<const std::string&>() : nullptr;
}

// The id a reference names: the string itself, an object's "id", or a Link's
// "href".
const std::string* id_in(const json& value) {
  if (value.is_string()) return &value.get_ref<const std::string&>();
  if (!value.is_object()) return nullptr;
  if (const std::string* id = string_in(get(value, "id"))) return id;
  if (const std::string* type = string_in(get(value, "type")); type && *type == "Link")
    return string_in(get(value, "href"));
  return nullptr;
}

std::string type_of(const json& object) {
  if (const std::string* type = string_in(get(object, "type"))) return *type;
  return {};
}

std::optional<std::int64_t> non_negative_integer(const json* value, std::int64_t max) {
  if (value == nullptr) return std::nullopt;
  if (value->is_number_unsigned()) {
    const auto n = value->get<std::uint64_t>();
    if (n <= static_cast<std::uint64_t>(max)) return static_cast<std::int64_t>(n);
  } else if (value->is_number_integer()) {
    const auto n = value->get<std::int64_t>();
    if (n >= 0 && n <= max) return n;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// Stage 2: the typed reader.

constexpr std::int64_t kMaxCount = std::numeric_limits<std::int64_t>::max();

enum class Strict { yes, no };

class Reader {
 public:
  explicit Reader(const ReadOptions& options) : allow_http_(options.allow_http) {}

  std::optional<ReadError> error;

  bool document(const json& value, const std::string& path, bool embedded, Document& out) {
    if (!value.is_object()) return fail(path, "must be an object");
    std::string type;
    if (!read_type(value, path, type)) return false;
    switch (classify(type)) {
      case TypeKind::activity: {
        Activity activity;
        activity.type = std::move(type);
        if (!read_activity(value, path, embedded, activity)) return false;
        out.value = std::move(activity);
        return true;
      }
      case TypeKind::object: {
        Object object;
        object.type = std::move(type);
        if (!read_object(value, path, object)) return false;
        out.value = std::move(object);
        return true;
      }
      case TypeKind::actor: {
        Actor actor;
        actor.type = std::move(type);
        if (!read_actor(value, path, actor)) return false;
        out.value = std::move(actor);
        return true;
      }
      case TypeKind::tombstone: {
        Tombstone tombstone;
        if (!id(value, path, "id", FragmentRule::forbidden, true, tombstone.id)) return false;
        if (!text(value, path, "formerType", kMaxShortTextBytes, Strict::no, tombstone.former_type))
          return false;
        if (!date(value, path, "deleted", tombstone.deleted)) return false;
        out.value = std::move(tombstone);
        return true;
      }
      case TypeKind::unsupported: {
        Unsupported unsupported;
        unsupported.type = std::move(type);
        const std::string* given = string_in(get(value, "id"));
        if (given && given->size() <= kMaxIdBytes &&
            valid_id(*given, allow_http_, FragmentRule::allowed))
          unsupported.id = *given;
        // Its actor, when it has one that reads as an id, so that the inbox
        // can tell a signer's own activity of an unknown type (dropped) from
        // anything else. Nothing else of it is read.
        if (const std::vector<const json*> actors = values_of(get(value, "actor")); !actors.empty())
          if (const std::string* actor = id_in(*actors.front());
              actor && actor->size() <= kMaxIdBytes &&
              valid_id(*actor, allow_http_, FragmentRule::forbidden))
            unsupported.actor = *actor;
        out.value = std::move(unsupported);
        return true;
      }
    }
    return fail(path, "unreachable");
  }

 private:
  bool fail(std::string where, std::string message) {
    if (!error) error = ReadError{std::move(where), std::move(message)};
    return false;
  }

  // "type": a string, or (JSON-LD) an array of them: the first type kith
  // knows counts, else the first one.
  bool read_type(const json& object, const std::string& path, std::string& out) {
    const std::string where = field(path, "type");
    const json* value = get(object, "type");
    if (value == nullptr) return fail(where, "missing");
    const std::string* chosen = nullptr;
    for (const json* candidate : values_of(value)) {
      const std::string* type = string_in(candidate);
      if (type == nullptr) return fail(where, "must be a string or an array of strings");
      if (chosen == nullptr) chosen = type;
      if (classify(*type) != TypeKind::unsupported) {
        chosen = type;
        break;
      }
    }
    if (chosen == nullptr || chosen->empty()) return fail(where, "missing");
    if (chosen->size() > kMaxShortTextBytes) return fail(where, "too long");
    out = *chosen;
    return true;
  }

  bool check_id(const std::string& where, const std::string& value, FragmentRule fragment) {
    if (value.size() > kMaxIdBytes)
      return fail(where, "longer than " + std::to_string(kMaxIdBytes) + " bytes");
    if (!valid_id(value, allow_http_, fragment))
      return fail(where, fragment == FragmentRule::forbidden
                             ? "must be an https URL without a fragment"
                             : "must be an https URL");
    return true;
  }

  // A reference to one object: a string id, an object with an id, or an
  // array of those (the first counts).
  bool id(const json& object, const std::string& path, const char* key, FragmentRule fragment,
          bool required, std::string& out) {
    const std::string where = field(path, key);
    std::vector<const json*> values = values_of(get(object, key));
    if (values.empty()) return !required || fail(where, "missing");
    const std::string* value = id_in(*values.front());
    if (value == nullptr) return fail(where, "must be an id or an object with an id");
    if (!check_id(where, *value, fragment)) return false;
    out = *value;
    return true;
  }

  // A list of references, e.g. "to": a string, an object or an array of
  // them. Addressing lists read "as:Public" and "Public" as the public
  // collection.
  bool id_list(const json& object, const std::string& path, const char* key, std::size_t max,
               bool addressing, std::vector<std::string>& out) {
    const std::string where = field(path, key);
    std::vector<const json*> values = values_of(get(object, key));
    if (values.size() > max) return fail(where, "more than " + std::to_string(max) + " entries");
    for (std::size_t i = 0; i < values.size(); ++i) {
      const std::string* value = id_in(*values[i]);
      if (value == nullptr) return fail(item(where, i), "must be an id or an object with an id");
      std::string entry = *value;
      if (addressing && (entry == "as:Public" || entry == "Public" || entry == kPublicCollection)) {
        entry = kPublicCollection;
      } else if (!check_id(item(where, i), entry, FragmentRule::forbidden)) {
        return false;
      }
      if (std::find(out.begin(), out.end(), entry) == out.end()) out.push_back(std::move(entry));
    }
    return true;
  }

  bool addressing(const json& object, const std::string& path, Addressing& out) {
    return id_list(object, path, "to", kMaxAddressees, true, out.to) &&
           id_list(object, path, "cc", kMaxAddressees, true, out.cc) &&
           id_list(object, path, "bto", kMaxAddressees, true, out.bto) &&
           id_list(object, path, "bcc", kMaxAddressees, true, out.bcc) &&
           id_list(object, path, "audience", kMaxAddressees, true, out.audience);
  }

  // A string property. A string over `max` bytes is always an error; a value
  // of another type is one only when `strict`, else it reads as absent.
  bool text(const json& object, const std::string& path, const char* key, std::size_t max,
            Strict strict, std::string& out) {
    const json* value = get(object, key);
    if (value == nullptr) return true;
    if (!value->is_string())
      return strict == Strict::no || fail(field(path, key), "must be a string");
    const auto& s = value->get_ref<const std::string&>();
    if (s.size() > max)
      return fail(field(path, key), "longer than " + std::to_string(max) + " bytes");
    out = s;
    return true;
  }

  // A date-time; anything but a well-formed RFC 3339 one reads as absent.
  bool date(const json& object, const std::string& path, const char* key, std::string& out) {
    std::string value;
    if (!text(object, path, key, kMaxShortTextBytes, Strict::no, value)) return false;
    if (valid_date(value)) out = std::move(value);
    return true;
  }

  // "url": a string, a Link ({"href", "mediaType"}) or an array of them; the
  // text/html one wins, else the first. Not an http(s) URL: absent.
  std::string page_url(const json& object) {
    std::string first, html;
    for (const json* value : values_of(get(object, "url"))) {
      const std::string* href =
          value->is_object() ? string_in(get(*value, "href")) : string_in(value);
      if (href == nullptr || href->size() > kMaxIdBytes) continue;
      if (!valid_id(*href, true, FragmentRule::allowed)) continue;
      if (first.empty()) first = *href;
      if (value->is_object()) {
        const std::string* media_type = string_in(get(*value, "mediaType"));
        if (media_type && ascii_lower(*media_type).starts_with("text/html") && html.empty())
          html = *href;
      }
    }
    return html.empty() ? first : html;
  }

  // A media URL (attachment, icon, emoji): a string, a Link or an array of
  // them, the first usable one; "" when there is none.
  std::string media_url(const json* value) {
    for (const json* candidate : values_of(value)) {
      const std::string* href =
          candidate->is_object() ? string_in(get(*candidate, "href")) : string_in(candidate);
      if (href && href->size() <= kMaxIdBytes &&
          valid_id(*href, allow_http_, FragmentRule::allowed))
        return *href;
    }
    return {};
  }

  bool read_activity(const json& value, const std::string& path, bool embedded, Activity& out) {
    // Activities are not fetched by their id, which only has to be unique:
    // Mastodon gives a Like the id …/users/alice#likes/42. An embedded
    // activity (Accept{Follow}) may lack one.
    if (!id(value, path, "id", FragmentRule::allowed, !embedded, out.id)) return false;
    if (!id(value, path, "actor", FragmentRule::forbidden, true, out.actor)) return false;

    const std::string where = field(path, "object");
    std::vector<const json*> objects = values_of(get(value, "object"));
    if (objects.empty()) return fail(where, "missing");
    if (objects.size() > kMaxActivityObjects)
      return fail(where, "more than " + std::to_string(kMaxActivityObjects) + " entries");
    for (std::size_t i = 0; i < objects.size(); ++i) {
      const json& object = *objects[i];
      const std::string object_path = objects.size() == 1 ? where : item(where, i);
      std::string object_id;
      // An object without a type is a reference written as {"id": …}.
      if (object.is_object() && i == 0 && get(object, "type") != nullptr) {
        Document inner;
        if (!document(object, object_path, true, inner)) return false;
        object_id = inner.id();
        if (object_id.empty() && inner.kind() != Kind::activity &&
            inner.kind() != Kind::unsupported)
          return fail(field(object_path, "id"), "missing");
        out.embedded = Box<Document>(std::move(inner));
      } else {
        const std::string* given = id_in(object);
        if (given == nullptr) return fail(object_path, "must be an id or an object with an id");
        if (!check_id(object_path, *given, FragmentRule::allowed)) return false;
        object_id = *given;
      }
      if (i == 0)
        out.object = std::move(object_id);
      else
        out.other_objects.push_back(std::move(object_id));
    }

    if (!id(value, path, "target", FragmentRule::allowed, false, out.target)) return false;
    if (!text(value, path, "content", kMaxContentBytes, Strict::yes, out.content)) return false;
    if (!addressing(value, path, out.addressing)) return false;
    return date(value, path, "published", out.published);
  }

  bool read_object(const json& value, const std::string& path, Object& out) {
    // A poll vote (a Note with a name and no content) may have a fragment
    // id, as Mastodon's do.
    const std::string* name = string_in(get(value, "name"));
    const bool vote = out.type == "Note" && name != nullptr && !name->empty() &&
                      get(value, "content") == nullptr && get(value, "contentMap") == nullptr;
    if (!id(value, path, "id", vote ? FragmentRule::allowed : FragmentRule::forbidden, true,
            out.id))
      return false;
    if (vote && !text(value, path, "name", kMaxTextBytes, Strict::yes, out.name)) return false;
    if (!attributed_to(value, path, out.attributed_to)) return false;
    if (!text(value, path, "content", kMaxContentBytes, Strict::yes, out.content)) return false;
    if (!content_map(value, path, out)) return false;
    if (!text(value, path, "summary", kMaxContentBytes, Strict::yes, out.summary)) return false;
    const json* sensitive = get(value, "sensitive");
    out.sensitive = sensitive != nullptr && sensitive->is_boolean() && sensitive->get<bool>();
    if (!id(value, path, "inReplyTo", FragmentRule::forbidden, false, out.in_reply_to))
      return false;
    if (!date(value, path, "published", out.published)) return false;
    if (!date(value, path, "updated", out.updated)) return false;
    out.url = page_url(value);
    if (!addressing(value, path, out.addressing)) return false;
    if (!tags(value, path, &out.mentions, &out.hashtags, out.emojis, &out.quote)) return false;
    if (!attachments(value, path, out.attachments)) return false;
    // Explicit quote properties come before a FEP-e232 tag.
    for (const char* key : {"quote", "quoteUrl", "quoteUri", "_misskey_quote"}) {
      const std::string* quote = string_in(get(value, key));
      if (quote && quote->size() <= kMaxIdBytes &&
          valid_id(*quote, allow_http_, FragmentRule::forbidden)) {
        out.quote = *quote;
        break;
      }
    }
    if (out.type == "Question") return poll(value, path, out.poll);
    return true;
  }

  // "attributedTo": an id, an object, or an array of them of which the
  // first Person counts (PeerTube lists the channel Group after the
  // Person), else the first entry.
  bool attributed_to(const json& value, const std::string& path, std::string& out) {
    const std::string where = field(path, "attributedTo");
    std::vector<const json*> values = values_of(get(value, "attributedTo"));
    if (values.empty()) return fail(where, "missing");
    std::size_t chosen = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (values[i]->is_object() && type_of(*values[i]) == "Person") {
        chosen = i;
        break;
      }
    }
    const std::string at = values.size() == 1 ? where : item(where, chosen);
    const std::string* given = id_in(*values[chosen]);
    if (given == nullptr) return fail(at, "must be an id or an object with an id");
    if (!check_id(at, *given, FragmentRule::forbidden)) return false;
    out = *given;
    return true;
  }

  // "contentMap": {"en": "<p>…</p>", …}. Entries that are not a language and
  // a string are skipped; when "content" is absent the first entry (in key
  // order) stands in for it.
  bool content_map(const json& value, const std::string& path, Object& out) {
    const json* map = get(value, "contentMap");
    if (map == nullptr || !map->is_object()) return true;
    const std::string where = field(path, "contentMap");
    if (map->size() > kMaxContentMapEntries)
      return fail(where, "more than " + std::to_string(kMaxContentMapEntries) + " entries");
    for (const auto& [language, html] : map->items()) {
      if (!valid_language(language) || !html.is_string()) continue;
      const auto& text = html.get_ref<const std::string&>();
      if (text.size() > kMaxContentBytes)
        return fail(field(where, language),
                    "longer than " + std::to_string(kMaxContentBytes) + " bytes");
      out.content_map.emplace(language, text);
    }
    if (out.content.empty() && !out.content_map.empty())
      out.content = out.content_map.begin()->second;
    return true;
  }

  // "tag": Mention, Hashtag, Emoji and FEP-e232 Link entries; anything else
  // is skipped, and so is an entry whose essential value is unusable.
  bool tags(const json& value, const std::string& path, std::vector<Mention>* mentions,
            std::vector<Hashtag>* hashtags, std::vector<Emoji>& emojis, std::string* quote) {
    const std::string where = field(path, "tag");
    std::vector<const json*> values = values_of(get(value, "tag"));
    if (values.size() > kMaxTags)
      return fail(where, "more than " + std::to_string(kMaxTags) + " entries");
    for (std::size_t i = 0; i < values.size(); ++i) {
      const json& tag = *values[i];
      if (!tag.is_object()) continue;
      const std::string at = item(where, i);
      const std::string type = type_of(tag);
      std::string name;
      if (!text(tag, at, "name", kMaxShortTextBytes, Strict::no, name)) return false;
      if (type == "Mention" && mentions != nullptr) {
        const std::string* href = string_in(get(tag, "href"));
        if (href && href->size() <= kMaxIdBytes &&
            valid_id(*href, allow_http_, FragmentRule::forbidden))
          mentions->push_back(Mention{*href, std::move(name)});
      } else if (type == "Hashtag" && hashtags != nullptr) {
        if (name.empty()) continue;
        const std::string* href = string_in(get(tag, "href"));
        std::string link;
        if (href && href->size() <= kMaxIdBytes && valid_id(*href, true, FragmentRule::allowed))
          link = *href;
        hashtags->push_back(Hashtag{std::move(link), std::move(name)});
      } else if (type == "Emoji") {
        if (name.empty()) continue;
        Emoji emoji;
        emoji.name = std::move(name);
        std::vector<const json*> icons = values_of(get(tag, "icon"));
        if (icons.empty()) continue;
        const json* first_icon = icons.front();
        if (first_icon->is_object()) {
          emoji.icon_url = media_url(get(*first_icon, "url"));
          if (!text(*first_icon, field(at, "icon"), "mediaType", kMaxShortTextBytes, Strict::no,
                    emoji.icon_media_type))
            return false;
        } else {
          emoji.icon_url = media_url(first_icon);
        }
        if (emoji.icon_url.empty()) continue;
        const std::string* emoji_id = string_in(get(tag, "id"));
        if (emoji_id && emoji_id->size() <= kMaxIdBytes &&
            valid_id(*emoji_id, allow_http_, FragmentRule::forbidden))
          emoji.id = *emoji_id;
        if (!date(tag, at, "updated", emoji.updated)) return false;
        emojis.push_back(std::move(emoji));
      } else if (type == "Link" && quote != nullptr && quote->empty()) {
        std::string media_type;
        if (!text(tag, at, "mediaType", kMaxShortTextBytes, Strict::no, media_type)) return false;
        const std::string* href = string_in(get(tag, "href"));
        if (activitystreams_media_type(media_type) && href && href->size() <= kMaxIdBytes &&
            valid_id(*href, allow_http_, FragmentRule::forbidden))
          *quote = *href;
      }
    }
    return true;
  }

  // "attachment" of an object: Document, Image, Video and Audio entries with
  // a usable URL; other entries are skipped.
  bool attachments(const json& value, const std::string& path, std::vector<Attachment>& out) {
    const std::string where = field(path, "attachment");
    std::vector<const json*> values = values_of(get(value, "attachment"));
    if (values.size() > kMaxAttachments)
      return fail(where, "more than " + std::to_string(kMaxAttachments) + " entries");
    for (std::size_t i = 0; i < values.size(); ++i) {
      const json& entry = *values[i];
      if (!entry.is_object()) continue;
      const std::string at = item(where, i);
      Attachment attachment;
      attachment.type = type_of(entry);
      if (attachment.type != "Document" && attachment.type != "Image" &&
          attachment.type != "Video" && attachment.type != "Audio")
        continue;
      attachment.url = media_url(get(entry, "url"));
      if (!text(entry, at, "mediaType", kMaxShortTextBytes, Strict::no, attachment.media_type) ||
          !text(entry, at, "name", kMaxTextBytes, Strict::no, attachment.name) ||
          !text(entry, at, "blurhash", kMaxShortTextBytes, Strict::no, attachment.blurhash))
        return false;
      if (attachment.url.empty()) continue;
      if (!valid_blurhash(attachment.blurhash)) attachment.blurhash.clear();
      constexpr std::int64_t kMaxPixels = 1 << 20;
      attachment.width = non_negative_integer(get(entry, "width"), kMaxPixels);
      attachment.height = non_negative_integer(get(entry, "height"), kMaxPixels);
      // Mastodon's focal point: [x, y], each from -1 to 1.
      if (const json* focus = get(entry, "focalPoint");
          focus && focus->is_array() && focus->size() == 2 && (*focus)[0].is_number() &&
          (*focus)[1].is_number()) {
        const double x = (*focus)[0].get<double>(), y = (*focus)[1].get<double>();
        if (x >= -1 && x <= 1 && y >= -1 && y <= 1) attachment.focal_point = std::pair{x, y};
      }
      out.push_back(std::move(attachment));
    }
    return true;
  }

  // A Question: "oneOf" (or, for several choices, "anyOf") lists options as
  // {"name", "replies": {"totalItems"}}.
  bool poll(const json& value, const std::string& path, std::optional<Poll>& out) {
    Poll poll;
    const char* key = "oneOf";
    const json* options = get(value, "oneOf");
    if (options == nullptr) {
      key = "anyOf";
      options = get(value, "anyOf");
      poll.multiple = options != nullptr;
    }
    if (options == nullptr) return true;
    const std::string where = field(path, key);
    std::vector<const json*> values = values_of(options);
    if (values.size() > kMaxPollOptions)
      return fail(where, "more than " + std::to_string(kMaxPollOptions) + " options");
    for (std::size_t i = 0; i < values.size(); ++i) {
      const std::string at = item(where, i);
      if (!values[i]->is_object()) return fail(at, "must be an object");
      PollOption option;
      if (!text(*values[i], at, "name", kMaxTextBytes, Strict::yes, option.name)) return false;
      if (option.name.empty()) return fail(field(at, "name"), "missing");
      if (const json* replies = get(*values[i], "replies"); replies && replies->is_object())
        option.votes = non_negative_integer(get(*replies, "totalItems"), kMaxCount).value_or(0);
      poll.options.push_back(std::move(option));
    }
    if (!date(value, path, "endTime", poll.end_time)) return false;
    if (const json* closed = get(value, "closed"); closed && closed->is_boolean()) {
      if (closed->get<bool>()) poll.closed = poll.end_time;
    } else if (!date(value, path, "closed", poll.closed)) {
      return false;
    }
    poll.voters_count = non_negative_integer(get(value, "votersCount"), kMaxCount);
    out = std::move(poll);
    return true;
  }

  ImageRef image(const json& value, const char* key) {
    ImageRef ref;
    std::vector<const json*> values = values_of(get(value, key));
    if (values.empty()) return ref;
    const json& first = *values.front();
    if (first.is_object()) {
      ref.url = media_url(get(first, "url"));
      const std::string* media_type = string_in(get(first, "mediaType"));
      if (!ref.url.empty() && media_type && media_type->size() <= kMaxShortTextBytes)
        ref.media_type = *media_type;
    } else {
      ref.url = media_url(&first);
    }
    return ref;
  }

  bool read_actor(const json& value, const std::string& path, Actor& out) {
    if (!id(value, path, "id", FragmentRule::forbidden, true, out.id)) return false;
    if (!text(value, path, "preferredUsername", kMaxShortTextBytes, Strict::yes,
              out.preferred_username))
      return false;
    if (out.preferred_username.empty()) return fail(field(path, "preferredUsername"), "missing");
    if (!text(value, path, "name", kMaxTextBytes, Strict::yes, out.name) ||
        !text(value, path, "summary", kMaxContentBytes, Strict::yes, out.summary))
      return false;
    out.url = page_url(value);
    out.icon = image(value, "icon");
    out.image = image(value, "image");
    if (!id(value, path, "inbox", FragmentRule::forbidden, true, out.inbox) ||
        !id(value, path, "outbox", FragmentRule::forbidden, false, out.outbox) ||
        !id(value, path, "followers", FragmentRule::forbidden, false, out.followers) ||
        !id(value, path, "following", FragmentRule::forbidden, false, out.following) ||
        !id(value, path, "featured", FragmentRule::forbidden, false, out.featured))
      return false;
    if (const json* endpoints = get(value, "endpoints"); endpoints && endpoints->is_object()) {
      if (!id(*endpoints, field(path, "endpoints"), "sharedInbox", FragmentRule::forbidden, false,
              out.shared_inbox))
        return false;
    }
    if (!public_key(value, path, out.public_key)) return false;
    const json* locked = get(value, "manuallyApprovesFollowers");
    out.manually_approves_followers = locked && locked->is_boolean() && locked->get<bool>();
    const json* discoverable = get(value, "discoverable");
    out.discoverable = discoverable && discoverable->is_boolean() && discoverable->get<bool>();
    if (!profile_fields(value, path, out.fields)) return false;
    if (!id(value, path, "movedTo", FragmentRule::forbidden, false, out.moved_to)) return false;
    if (!id_list(value, path, "alsoKnownAs", kMaxAliases, false, out.also_known_as)) return false;
    if (!date(value, path, "published", out.published)) return false;
    return tags(value, path, nullptr, nullptr, out.emojis, nullptr);
  }

  // "publicKey": {"id", "owner", "publicKeyPem"}, or an array of such of
  // which the first counts.
  bool public_key(const json& value, const std::string& path, std::optional<PublicKey>& out) {
    std::vector<const json*> values = values_of(get(value, "publicKey"));
    if (values.empty()) return true;
    const std::string where = field(path, "publicKey");
    if (!values.front()->is_object()) return fail(where, "must be an object");
    const json& key = *values.front();
    PublicKey result;
    if (!id(key, where, "id", FragmentRule::allowed, true, result.id) ||
        !id(key, where, "owner", FragmentRule::forbidden, true, result.owner) ||
        !text(key, where, "publicKeyPem", kMaxPublicKeyPemBytes, Strict::yes, result.pem))
      return false;
    if (result.pem.empty()) return fail(field(where, "publicKeyPem"), "missing");
    out = std::move(result);
    return true;
  }

  // Profile fields: "attachment" entries of type PropertyValue with a string
  // name and value; other entries are skipped.
  bool profile_fields(const json& value, const std::string& path, std::vector<ProfileField>& out) {
    const std::string where = field(path, "attachment");
    std::vector<const json*> values = values_of(get(value, "attachment"));
    std::size_t kept = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      const json& entry = *values[i];
      if (!entry.is_object() || type_of(entry) != "PropertyValue") continue;
      const std::string at = item(where, i);
      ProfileField profile_field;
      if (!text(entry, at, "name", kMaxTextBytes, Strict::no, profile_field.name) ||
          !text(entry, at, "value", kMaxTextBytes, Strict::no, profile_field.value))
        return false;
      if (profile_field.name.empty()) continue;
      if (++kept > kMaxProfileFields)
        return fail(where, "more than " + std::to_string(kMaxProfileFields) + " fields");
      out.push_back(std::move(profile_field));
    }
    return true;
  }

  bool allow_http_;
};

}  // namespace

ReadResult read_document(std::string_view bytes, const ReadOptions& options) {
  ReadResult result;
  try {
    if (bytes.size() > kMaxDocumentBytes) {
      result.error =
          ReadError{"", "larger than " + std::to_string(kMaxDocumentBytes) + " bytes", true};
      return result;
    }
    BoundedJsonBuilder builder;
    const bool parsed = json::sax_parse(bytes.begin(), bytes.end(), &builder);
    if (!parsed || builder.error) {
      result.error = builder.error.value_or(ReadError{"", "invalid JSON"});
      return result;
    }
    Reader reader(options);
    Document document;
    if (!reader.document(builder.root, "", false, document)) {
      result.error = reader.error.value_or(ReadError{"", "invalid document"});
      return result;
    }
    result.document = std::move(document);
  } catch (const std::exception& e) {
    // Only resource exhaustion can get here; the input is refused, not the
    // process.
    result.document.reset();
    result.error = ReadError{"", std::string("could not be read: ") + e.what()};
  }
  return result;
}

}  // namespace kith::ap
