// The ActivityStreams vocabulary kith federates with, as plain C++ values,
// and the reader that turns untrusted JSON into them.
//
// Other servers send JSON-LD in its compacted form, and each writes it a
// little differently: a property may be a string id, an object with an id,
// or an array of either; `url` may be a string, a Link or a list of Links;
// as:Public has three spellings. The one idea: all of that variety ends
// here. read_document() takes bytes and returns one typed Document (or an
// error naming the JSON field at fault), with ids checked, the public
// collection spelt one way, lists capped and strings bounded, so that the
// code applying an activity never looks at JSON. The reader decides what the
// document *says*, never whether it is *true*: an object embedded in an
// activity is kept as embedded (Activity::embedded) and the caller re-fetches
// it from its origin before believing it; list_references() names every id
// and URL in a document with its role so that the caller can check origins
// (kith::http's URL parser normalises them for that).
// What the reader must never do: recurse or allocate in proportion to
// hostile nesting (depth is refused while parsing, at kMaxJsonDepth), let an
// exception escape, or return a string with U+0000 in it (PostgreSQL text
// cannot hold one).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace kith::ap {

// ---------------------------------------------------------------------------
// Limits. A document that goes over one is refused with an error naming the
// field: these sizes are far above what any real server sends.

inline constexpr std::size_t kMaxDocumentBytes = 1024 * 1024;
// Arrays and objects open at once; the 33rd is refused as it is opened.
inline constexpr int kMaxJsonDepth = 32;
// Values of any kind in one document (a 1 MiB body of tiny values would
// otherwise cost many times its size in memory).
inline constexpr std::size_t kMaxJsonValues = 20000;
// Ids and URLs (kith::http::kMaxUrlLength is the same).
inline constexpr std::size_t kMaxIdBytes = 2048;
// content, summary and each contentMap value (no more than the HTML
// sanitiser's kMaxHtmlInputBytes).
inline constexpr std::size_t kMaxContentBytes = 128 * 1024;
// Display names, alt text, profile field names and values, poll options.
inline constexpr std::size_t kMaxTextBytes = 16 * 1024;
// preferredUsername, tag and emoji names, media types, dates, blurhash,
// language tags, type names.
inline constexpr std::size_t kMaxShortTextBytes = 1024;
inline constexpr std::size_t kMaxPublicKeyPemBytes = 8 * 1024;
// Entries of each of to, cc, bto, bcc and audience.
inline constexpr std::size_t kMaxAddressees = 1024;
inline constexpr std::size_t kMaxTags = 256;
inline constexpr std::size_t kMaxAttachments = 32;
inline constexpr std::size_t kMaxPollOptions = 64;
inline constexpr std::size_t kMaxProfileFields = 64;
inline constexpr std::size_t kMaxAliases = 64;  // alsoKnownAs
inline constexpr std::size_t kMaxContentMapEntries = 64;
inline constexpr std::size_t kMaxActivityObjects = 256;  // Flag: reported statuses

// The public collection, in the one spelling the reader returns (it also
// reads "as:Public" and "Public").
inline constexpr std::string_view kPublicCollection =
    "https://www.w3.org/ns/activitystreams#Public";

// ---------------------------------------------------------------------------
// The vocabulary. Strings are UTF-8 and "" when absent; ids are absolute
// https URLs (see ReadOptions). HTML (content, summary, field values) is the
// remote server's, NOT sanitised: pass it through sanitize_html() before
// storing or serving it.

// An owning, copyable, comparable pointer for the one recursive spot in the
// vocabulary: an activity whose object is embedded (Undo{Follow}).
template <class T>
class Box {
 public:
  Box() = default;
  explicit Box(T value) : value_(std::make_unique<T>(std::move(value))) {}
  Box(const Box& other) : value_(other.value_ ? std::make_unique<T>(*other.value_) : nullptr) {}
  Box(Box&&) noexcept = default;
  Box& operator=(const Box& other) {
    if (this != &other) value_ = other.value_ ? std::make_unique<T>(*other.value_) : nullptr;
    return *this;
  }
  Box& operator=(Box&&) noexcept = default;
  ~Box() = default;

  explicit operator bool() const { return value_ != nullptr; }
  const T* get() const { return value_.get(); }
  T* get() { return value_.get(); }
  const T& operator*() const { return *value_; }
  const T* operator->() const { return value_.get(); }

  friend bool operator==(const Box& a, const Box& b) {
    if (!a.value_ || !b.value_) return !a.value_ && !b.value_;
    return *a.value_ == *b.value_;
  }

 private:
  std::unique_ptr<T> value_;
};

// Who an activity or object is addressed to. as:Public appears as
// kPublicCollection. bto and bcc are read (a sender should have removed
// them) but never written.
struct Addressing {
  std::vector<std::string> to, cc, bto, bcc, audience;
  bool operator==(const Addressing&) const = default;
};

// tag: {"type": "Mention", "href": actor id, "name": "@alice@host"}.
struct Mention {
  std::string href;
  std::string name;
  bool operator==(const Mention&) const = default;
};

// tag: {"type": "Hashtag", "href": the tag's page, "name": "#tag"}.
struct Hashtag {
  std::string href;  // "" when absent or not an http(s) URL
  std::string name;
  bool operator==(const Hashtag&) const = default;
};

// tag: {"type": "Emoji", "name": ":blobcat:", "icon": {"url": …}}.
struct Emoji {
  std::string id;  // "" when absent (Pleroma sends none)
  std::string name;
  std::string icon_url;
  std::string icon_media_type;
  std::string updated;
  bool operator==(const Emoji&) const = default;
};

// A media attachment (Document, Image, Video or Audio).
struct Attachment {
  std::string type;
  std::string url;
  std::string media_type;
  std::string name;  // the alt text
  std::string blurhash;
  std::optional<std::int64_t> width, height;
  std::optional<std::pair<double, double>> focal_point;  // x, y in [-1, 1]
  bool operator==(const Attachment&) const = default;
};

struct PollOption {
  std::string name;
  std::int64_t votes = 0;  // replies.totalItems
  bool operator==(const PollOption&) const = default;
};

// A Question's poll: oneOf (one choice) or anyOf (several).
struct Poll {
  bool multiple = false;  // anyOf
  std::vector<PollOption> options;
  std::string end_time;  // endTime
  std::string closed;    // when it closed ("closed": true reads as end_time)
  std::optional<std::int64_t> voters_count;
  bool operator==(const Poll&) const = default;
};

// A piece of content: Note, Question, Article, Page, Image, Video, Audio or
// Event. What Mastodon stores as a status.
struct Object {
  std::string id;
  std::string type;
  std::string attributed_to;                       // the author: the first Person when several
  std::string content;                             // HTML; from contentMap when absent
  std::map<std::string, std::string> content_map;  // language -> HTML
  std::string summary;                             // the content warning
  bool sensitive = false;
  std::string in_reply_to;
  std::string published;
  std::string updated;
  std::string url;  // the page for people: the text/html one when several
  Addressing addressing;
  std::vector<Mention> mentions;
  std::vector<Hashtag> hashtags;
  std::vector<Emoji> emojis;
  std::vector<Attachment> attachments;
  // The quoted post's id, from the first of: quote (FEP-044f), quoteUrl,
  // quoteUri (Fedibird), _misskey_quote, a FEP-e232 Link tag whose mediaType
  // is an ActivityStreams one.
  std::string quote;
  std::optional<Poll> poll;  // Question only
  // A vote in a poll, as Mastodon sends it: a Note with `name` (the chosen
  // option's title), inReplyTo the Question and no content. Its id may
  // carry a fragment (https://host/users/bob#votes/12). Empty otherwise.
  std::string name;
  bool is_vote() const { return !name.empty() && type == "Note" && content.empty(); }
  bool operator==(const Object&) const = default;
};

struct PublicKey {
  std::string id;  // may carry a fragment: https://host/users/alice#main-key
  std::string owner;
  std::string pem;
  bool operator==(const PublicKey&) const = default;
};

// attachment: {"type": "PropertyValue", "name": …, "value": HTML}.
struct ProfileField {
  std::string name;
  std::string value;
  bool operator==(const ProfileField&) const = default;
};

// An icon or header image.
struct ImageRef {
  std::string url;
  std::string media_type;
  bool operator==(const ImageRef&) const = default;
};

// Person, Service, Application, Group or Organization.
struct Actor {
  std::string id;
  std::string type;
  std::string preferred_username;
  std::string name;
  std::string summary;  // HTML
  std::string url;
  ImageRef icon;
  ImageRef image;
  std::string inbox;
  std::string outbox;
  std::string followers;
  std::string following;
  std::string featured;
  std::string shared_inbox;  // endpoints.sharedInbox
  std::optional<PublicKey> public_key;
  bool manually_approves_followers = false;
  bool discoverable = false;
  std::vector<ProfileField> fields;
  std::string moved_to;
  std::vector<std::string> also_known_as;
  std::string published;
  std::vector<Emoji> emojis;  // for :shortcodes: in name and summary
  bool operator==(const Actor&) const = default;
};

// What a deleted object leaves behind.
struct Tombstone {
  std::string id;
  std::string former_type;
  std::string deleted;
  bool operator==(const Tombstone&) const = default;
};

// A type the reader does not interpret (Collection, EmojiReact, Listen…):
// kept so that the caller can answer "not supported" and log what it was.
struct Unsupported {
  std::string id;  // "" when absent or not a valid id
  std::string type;
  std::string actor;  // "" when absent or not a valid id (no fragment)
  bool operator==(const Unsupported&) const = default;
};

struct Document;

// Create, Update, Delete, Follow, Accept, Reject, Undo, Like, Announce,
// Block, Flag, Move, Add or Remove.
struct Activity {
  std::string id;  // may carry a fragment (Mastodon: …/users/alice#likes/42)
  std::string type;
  std::string actor;
  // The object's id; "" only when an embedded activity (or an unsupported
  // object) came without one. {"id": …} without a type is a reference, not
  // an embedded object.
  std::string object;
  // The object as the sender embedded it, or empty when it was given by id.
  // Never trusted: it is what the sender claims the object says.
  Box<Document> embedded;
  std::vector<std::string> other_objects;  // Flag: the reported statuses
  std::string target;
  std::string content;  // Flag: the report's comment
  Addressing addressing;
  std::string published;
  bool operator==(const Activity&) const = default;
};

enum class Kind { activity, object, actor, tombstone, unsupported };

struct Document {
  std::variant<Activity, Object, Actor, Tombstone, Unsupported> value;

  Kind kind() const { return static_cast<Kind>(value.index()); }
  const std::string& id() const;
  const std::string& type() const;
  bool operator==(const Document&) const = default;
};

// ---------------------------------------------------------------------------
// Reading.

struct ReadOptions {
  // Accept http:// ids as well as https://. Never in production: tests and
  // benchmarks use https with a test CA too; this exists for tools.
  bool allow_http = false;
};

// Why a document was refused: the JSON field (a path such as
// "object.tag[2].href"; "" for the document as a whole) and what is wrong.
struct ReadError {
  std::string field;
  std::string message;
  // A limit on the whole document (kMaxDocumentBytes, kMaxJsonDepth,
  // kMaxJsonValues) was hit, rather than the document being wrong.
  bool over_limit = false;
  bool operator==(const ReadError&) const = default;
};

// Exactly one of the two is set.
struct ReadResult {
  std::optional<Document> document;
  std::optional<ReadError> error;
};

// Parses one ActivityStreams document (an activity, an object, an actor or
// a tombstone). Refused: more than kMaxDocumentBytes, invalid JSON or UTF-8,
// nesting deeper than kMaxJsonDepth or more than kMaxJsonValues values (both
// refused while parsing), duplicate keys, U+0000 in any string, a top level
// that is not an object, a missing or non-string type, a missing or invalid
// id, actor, object, attributedTo, inbox, addressee or key, a list or string
// over its limit. Where a value only decorates (dates, sizes, blurhash,
// focalPoint, url, hashtag href, sensitive, the booleans of an actor) a
// malformed one is dropped as if absent, as Mastodon does. A type outside
// the vocabulary is not an error: it comes back as Unsupported.
//
// Ids: absolute "https://host[:port]/…" URLs (lower-case scheme, a host, no
// userinfo, no spaces, controls or characters RFC 3986 forbids), at most
// kMaxIdBytes; a fragment only where ids legitimately have one: key ids,
// activity ids, and references to activities (object, target).
ReadResult read_document(std::string_view bytes, const ReadOptions& options = {});

// ---------------------------------------------------------------------------
// What a document points at, for origin checks.

enum class Role {
  id,             // the document's (or embedded object's) own id
  actor,          // Activity::actor
  object,         // Activity::object and other_objects
  target,         // Activity::target
  attributed_to,  // Object::attributed_to
  in_reply_to,
  quote,
  addressee,  // to, cc, bto, bcc, audience (kPublicCollection included)
  url,        // a page for people (Object::url, Actor::url, Hashtag::href)
  mention,    // Mention::href
  media,      // attachment, icon, image and emoji image URLs
  emoji,      // Emoji::id
  inbox,
  outbox,
  followers,
  following,
  featured,
  shared_inbox,
  key_id,
  key_owner,
  moved_to,
  also_known_as,
};

std::string_view role_name(Role role);

struct Reference {
  std::string field;  // where it was: "object.attributedTo", "tag[0].href"…
  Role role;
  std::string url;
  // Inside an embedded object: only the sender's claim.
  bool embedded = false;
  bool operator==(const Reference&) const = default;
};

// Every non-empty id and URL in the document, in document order, embedded
// objects included (flagged).
std::vector<Reference> list_references(const Document& document);

// True when `addressing` names the public collection in to, cc or audience.
bool addresses_public(const Addressing& addressing);

}  // namespace kith::ap
