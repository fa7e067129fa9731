// The inbox: how other servers' activities get into kith, and the contract
// between its two halves.
//
// The one idea: receiving and applying are separate. The HTTP side
// (POST /inbox, /users/:name/inbox, /actor/inbox) only proves who sent the
// activity (signature_verifier.hpp) and that what it says is theirs to say
// (origins), then writes it as one job of the "inbox" queue and answers 202
// once that row is committed. The worker (inbox_worker.cpp) claims those
// jobs and applies each activity in one transaction. So a crash between 202
// and applying loses nothing (the job is reclaimed after its lease), a slow
// database never holds a remote server's connection, and the same activity id
// is stored once however often it is POSTed (the job's dedupe key), and
// applied once (every row an activity makes keeps its id in a UNIQUE uri).
// What it must never do: answer 202 before the job is committed, or apply an
// activity whose actor is not the key's owner.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kith::ap {

// The jobs table's queue name for accepted inbound activities.
inline constexpr std::string_view kInboxQueue = "inbox";

// Largest inbox POST body read (kMaxDocumentBytes is the reader's limit).
inline constexpr std::size_t kMaxInboxBodyBytes = 1024 * 1024;

// What the HTTP side stores and the worker reads.
struct InboundActivity {
  std::string body;                       // the activity JSON exactly as received
  std::string signer;                     // the actor id of the key that signed the POST
  std::int64_t signer_account_id = 0;     // its accounts row (a remote account)
  std::int64_t recipient_account_id = 0;  // 0: the shared or instance inbox
  std::string received_at;                // ISO 8601, UTC
};

// Job payload, JSON text: {"body": "...", "signer": "...",
// "signer_account_id": 1, "recipient_account_id": 0, "received_at": "..."}.
std::string inbox_payload(const InboundActivity& activity);
// nullopt if the payload is not in that shape.
std::optional<InboundActivity> parse_inbox_payload(std::string_view payload);
// "inbox:" + hex SHA-256 of the activity id: the same activity id makes one
// job however often (and to however many of kith's inboxes) it is POSTed.
std::string inbox_dedupe_key(std::string_view activity_id);

}  // namespace kith::ap
