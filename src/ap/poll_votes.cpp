// Sending votes in remote polls (poll_votes.hpp).
#include "kith/ap/poll_votes.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "kith/ap/delivery.hpp"
#include "kith/ap/local_urls.hpp"

namespace kith::ap {

std::size_t send_poll_votes(pqxx::transaction_base& tx, std::int64_t poll_id,
                            std::int64_t account_id) {
  tx.exec_params(
      "UPDATE poll_votes v SET uri = a.uri || '#votes/' || v.id FROM accounts a"
      " WHERE a.id = v.account_id AND v.poll_id = $1 AND v.account_id = $2 AND v.uri IS NULL",
      poll_id, account_id);
  const auto rows = tx.exec_params(
      "SELECT v.uri, coalesce(p.options -> v.choice ->> 'title', ''), s.uri, author.uri,"
      " author.inbox_url, coalesce(author.shared_inbox_url, ''), voter.uri,"
      " coalesce(voter.public_key_id, ''),"
      " to_char(v.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
      " FROM poll_votes v JOIN polls p ON p.id = v.poll_id JOIN statuses s ON s.id = p.status_id"
      " JOIN accounts author ON author.id = s.account_id"
      " JOIN accounts voter ON voter.id = v.account_id"
      " WHERE v.poll_id = $1 AND v.account_id = $2 AND author.domain IS NOT NULL"
      "   AND voter.domain IS NULL ORDER BY v.choice",
      poll_id, account_id);
  std::size_t queued = 0;
  for (const auto& row : rows) {
    const auto vote_uri = row[0].as<std::string>();
    const auto author = row[3].as<std::string>();
    const auto voter = row[6].as<std::string>();
    const nlohmann::json note{{"id", vote_uri},
                              {"type", "Note"},
                              {"name", row[1].as<std::string>()},
                              {"attributedTo", voter},
                              {"inReplyTo", row[2].as<std::string>()},
                              {"to", {author}},
                              {"published", row[8].as<std::string>()}};
    const nlohmann::json create{{"@context", "https://www.w3.org/ns/activitystreams"},
                                {"id", vote_uri + "/activity"},
                                {"type", "Create"},
                                {"actor", voter},
                                {"to", {author}},
                                {"object", note}};
    const std::string key = row[7].as<std::string>();
    const OutgoingActivity outgoing{create["id"].get<std::string>(), create.dump(), account_id,
                                    key.empty() ? urls::key_id(voter) : key};
    const Recipient recipient{row[4].as<std::string>(), row[5].as<std::string>()};
    queued += enqueue_deliveries(tx, outgoing, std::span<const Recipient>(&recipient, 1));
  }
  return queued;
}

}  // namespace kith::ap
