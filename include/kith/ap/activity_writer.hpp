// The vocabulary of activity.hpp written out as ActivityStreams JSON: what
// kith serves at its actor and status URLs and delivers to inboxes.
//
// The one idea: the writer is the reader's mirror. Everything the reader
// keeps, the writer writes in a form the reader reads back to the same value
// (read_document(write_document(d)) == d for any d the reader returned,
// except bto and bcc), so the two directions are tested against each other
// and a field cannot silently get lost on the way out. The @context is one
// list for every document: the ActivityStreams and security vocabularies and
// the extension terms kith uses (Mastodon's toot: terms, schema.org's
// PropertyValue, the quote properties).
// What it must never do: write bto or bcc (ActivityPub 6.1 requires a server
// to remove them before delivery; kith never has anything to put there), or
// throw on text that is not valid UTF-8 (it is replaced).
#pragma once

#include <string>

#include "kith/ap/activity.hpp"

namespace kith::ap {

// The document as compact JSON with the @context at its top level only.
std::string write_document(const Document& document);

std::string write_activity(const Activity& activity);
std::string write_object(const Object& object);
std::string write_actor(const Actor& actor);
std::string write_tombstone(const Tombstone& tombstone);

}  // namespace kith::ap
