// What the client API shows (client_views.hpp). Pages are id ranges on
// indexes, never OFFSET; visibility is the one condition kVisibleTo.
#include "kith/db/client_views.hpp"

#include <algorithm>
#include <limits>
#include <pqxx/pqxx>

#include "kith/db/status_actions.hpp"
#include "visibility_sql.hpp"

namespace kith::db {
namespace {

std::string iso_time(const std::string& column) {
  return "to_char(" + column + R"( AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))";
}

std::string id_array(const std::vector<std::int64_t>& ids) {
  std::string out = "{";
  for (std::int64_t id : ids) {
    if (out.size() > 1) out += ',';
    out += std::to_string(id);
  }
  return out + "}";
}

// Whether the viewer ($1; 0 for nobody) may see status `s`: public and
// unlisted statuses: everyone; local-only: every signed-in (local) user;
// followers-only: the author, accepted followers and mentioned accounts;
// direct: the author and mentioned accounts. Never a deleted status, and
// for a signed-in viewer never one whose author (or, for a boost, the
// boosted status's author) blocks the viewer or is blocked by it, as
// Mastodon hides them (StatusPolicy#show?, its timeline filters).
const char* const kVisibleTo =
    " (s.deleted_at IS NULL"
    " AND ($1::bigint = 0 OR NOT EXISTS (SELECT 1 FROM blocks vb"
    "   WHERE (vb.account_id = $1::bigint AND vb.target_account_id IN (s.account_id,"
    "       coalesce((SELECT vr.account_id FROM statuses vr WHERE vr.id = s.reblog_of_id), 0)))"
    "   OR (vb.target_account_id = $1::bigint AND vb.account_id IN (s.account_id,"
    "       coalesce((SELECT vr.account_id FROM statuses vr WHERE vr.id = s.reblog_of_id), 0)))))"
    " AND (s.visibility IN ('public', 'unlisted')"
    " OR ($1::bigint <> 0 AND (s.account_id = $1::bigint OR s.visibility = 'local'"
    "   OR (s.visibility = 'private' AND EXISTS (SELECT 1 FROM follows vf"
    "       WHERE vf.account_id = $1::bigint AND vf.target_account_id = s.account_id"
    "       AND vf.state = 'accepted'))"
    "   OR EXISTS (SELECT 1 FROM mentions vm WHERE vm.status_id = s.id"
    "       AND vm.account_id = $1::bigint)))))";

// "AND s.id < max AND s.id > min ORDER BY ... LIMIT": parameters $2..$4.
std::string page_clause(const std::string& column, const PageRequest& page, bool& upward) {
  upward = page.min_id.has_value() && !page.max_id.has_value();
  return " AND " + column + " < $2 AND " + column + " > $3 ORDER BY " + column +
         (upward ? " ASC" : " DESC") + " LIMIT $4";
}

std::vector<std::int64_t> ids_page(pqxx::transaction_base& tx, const std::string& sql,
                                   std::int64_t first, const PageRequest& page, bool upward) {
  std::vector<std::int64_t> ids;
  for (const auto& row :
       tx.exec_params(sql, first, page.max_id.value_or(std::numeric_limits<std::int64_t>::max()),
                      page.min_id.value_or(std::numeric_limits<std::int64_t>::min()),
                      static_cast<std::int64_t>(page.limit)))
    ids.push_back(row[0].as<std::int64_t>());
  if (upward) std::reverse(ids.begin(), ids.end());
  return ids;
}

std::vector<FollowListEntry> follow_page(pqxx::transaction_base& tx, const char* mine,
                                         const char* theirs, const char* state,
                                         std::int64_t account_id, const PageRequest& page) {
  bool upward = false;
  const std::string sql = std::string("SELECT f.id, f.") + theirs + " FROM follows f WHERE f." +
                          mine + " = $1 AND f.state = '" + state + "'" +
                          page_clause("f.id", page, upward);
  std::vector<FollowListEntry> out;
  for (const auto& row : tx.exec_params(
           sql, account_id, page.max_id.value_or(std::numeric_limits<std::int64_t>::max()),
           page.min_id.value_or(std::numeric_limits<std::int64_t>::min()),
           static_cast<std::int64_t>(page.limit)))
    out.push_back({row[0].as<std::int64_t>(), row[1].as<std::int64_t>()});
  if (upward) std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace

const char* visible_to_sql() {
  return kVisibleTo;
}

std::map<std::int64_t, AccountView> account_views(pqxx::transaction_base& tx,
                                                  const std::vector<std::int64_t>& ids) {
  std::map<std::int64_t, AccountView> out;
  if (ids.empty()) return out;
  const pqxx::result rows = tx.exec_params(
      "SELECT a.id, a.username, coalesce(a.domain, ''), a.display_name, a.note, a.uri,"
      " coalesce(a.url, ''), coalesce(a.avatar_url, ''), coalesce(a.header_url, ''), a.locked,"
      " a.bot, a.discoverable, a.actor_type = 'Group', " +
          iso_time("a.created_at") +
          ", coalesce((SELECT to_char(max(s.created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
          "   FROM statuses s WHERE s.account_id = a.id AND s.deleted_at IS NULL), ''),"
          " (SELECT count(*) FROM follows f WHERE f.target_account_id = a.id"
          "   AND f.state = 'accepted'),"
          " (SELECT count(*) FROM follows f WHERE f.account_id = a.id AND f.state = 'accepted'),"
          " (SELECT count(*) FROM statuses s WHERE s.account_id = a.id AND s.deleted_at IS NULL"
          "   AND s.visibility <> 'direct'),"
          " a.suspended_at IS NOT NULL,"
          " CASE WHEN jsonb_typeof(a.fields) = 'array' THEN a.fields ELSE '[]'::jsonb END::text,"
          " coalesce(a.moved_to_account_id, 0), a.hide_collections, a.indexable"
          " FROM accounts a WHERE a.id = ANY($1::bigint[])",
      id_array(ids));
  for (const auto& row : rows) {
    AccountView a;
    a.id = row[0].as<std::int64_t>();
    a.username = row[1].as<std::string>();
    a.domain = row[2].as<std::string>();
    a.display_name = row[3].as<std::string>();
    a.note = row[4].as<std::string>();
    a.uri = row[5].as<std::string>();
    a.url = row[6].as<std::string>();
    a.avatar_url = row[7].as<std::string>();
    a.header_url = row[8].as<std::string>();
    a.locked = row[9].as<bool>();
    a.bot = row[10].as<bool>();
    a.discoverable = row[11].as<bool>();
    a.group = row[12].as<bool>();
    a.created_at = row[13].as<std::string>();
    a.last_status_at = row[14].as<std::string>();
    a.followers_count = row[15].as<std::int64_t>();
    a.following_count = row[16].as<std::int64_t>();
    a.statuses_count = row[17].as<std::int64_t>();
    a.suspended = row[18].as<bool>();
    a.moved_to_account_id = row[20].as<std::int64_t>();
    a.hide_collections = row[21].as<bool>();
    a.indexable = row[22].as<bool>();
    out.emplace(a.id, std::move(a));
  }
  // Profile fields, bounded per account.
  for (const auto& row : tx.exec_params(
           "SELECT a.id, coalesce(f->>'name', ''), coalesce(f->>'value', '')"
           " FROM accounts a, jsonb_array_elements(CASE WHEN jsonb_typeof(a.fields) = 'array'"
           " THEN a.fields ELSE '[]'::jsonb END) WITH ORDINALITY AS e(f, n)"
           " WHERE a.id = ANY($1::bigint[]) AND jsonb_typeof(f) = 'object' AND n <= $2"
           " ORDER BY a.id, n",
           id_array(ids), static_cast<std::int64_t>(kMaxAccountFields))) {
    auto it = out.find(row[0].as<std::int64_t>());
    if (it != out.end())
      it->second.fields.push_back({row[1].as<std::string>(), row[2].as<std::string>()});
  }
  return out;
}

std::map<std::int64_t, StatusView> status_views(pqxx::transaction_base& tx,
                                                const std::vector<std::int64_t>& ids,
                                                std::int64_t viewer) {
  std::map<std::int64_t, StatusView> out;
  if (ids.empty()) return out;
  const pqxx::result rows = tx.exec_params(
      "SELECT s.id, s.account_id, s.uri, coalesce(s.url, ''), s.local, s.visibility, s.content,"
      " coalesce(s.text, ''), s.spoiler_text, s.sensitive, coalesce(s.language, ''), " +
          iso_time("s.created_at") + ", coalesce(" + iso_time("s.edited_at") +
          ", ''), s.in_reply_to_id, s.in_reply_to_account_id, s.reblog_of_id,"
          // Only replies and boosts anyone may see are counted (Mastodon
          // counts only distributable ones): a count must not reveal that
          // a private or direct reply exists.
          " (SELECT count(*) FROM statuses r WHERE r.in_reply_to_id = s.id"
          "   AND r.deleted_at IS NULL AND r.visibility IN ('public', 'unlisted')),"
          " (SELECT count(*) FROM statuses r WHERE r.reblog_of_id = s.id"
          "   AND r.deleted_at IS NULL AND r.visibility IN ('public', 'unlisted')),"
          " (SELECT count(*) FROM favourites f WHERE f.status_id = s.id),"
          " EXISTS (SELECT 1 FROM favourites f WHERE f.status_id = s.id"
          "   AND f.account_id = $1::bigint),"
          " EXISTS (SELECT 1 FROM statuses r WHERE r.reblog_of_id = s.id"
          "   AND r.account_id = $1::bigint AND r.deleted_at IS NULL),"
          " EXISTS (SELECT 1 FROM bookmarks b WHERE b.status_id = s.id"
          "   AND b.account_id = $1::bigint),"
          " s.account_id = $1::bigint AND s.reblog_of_id IS NULL AND s.visibility <> 'direct',"
          " EXISTS (SELECT 1 FROM status_pins sp WHERE sp.status_id = s.id"
          "   AND sp.account_id = $1::bigint)"
          " FROM statuses s WHERE s.id = ANY($2::bigint[]) AND" +
          kVisibleTo,
      viewer, id_array(ids));
  for (const auto& row : rows) {
    StatusView s;
    s.id = row[0].as<std::int64_t>();
    s.account_id = row[1].as<std::int64_t>();
    s.uri = row[2].as<std::string>();
    s.url = row[3].as<std::string>();
    s.local = row[4].as<bool>();
    s.visibility = row[5].as<std::string>();
    s.content = row[6].as<std::string>();
    s.text = row[7].as<std::string>();
    s.spoiler_text = row[8].as<std::string>();
    s.sensitive = row[9].as<bool>();
    s.language = row[10].as<std::string>();
    s.created_at = row[11].as<std::string>();
    s.edited_at = row[12].as<std::string>();
    if (!row[13].is_null()) s.in_reply_to_id = row[13].as<std::int64_t>();
    if (!row[14].is_null()) s.in_reply_to_account_id = row[14].as<std::int64_t>();
    if (!row[15].is_null()) s.reblog_of_id = row[15].as<std::int64_t>();
    s.replies_count = row[16].as<std::int64_t>();
    s.reblogs_count = row[17].as<std::int64_t>();
    s.favourites_count = row[18].as<std::int64_t>();
    s.favourited = row[19].as<bool>();
    s.reblogged = row[20].as<bool>();
    s.bookmarked = row[21].as<bool>();
    if (row[22].as<bool>()) s.pinned = row[23].as<bool>();
    out.emplace(s.id, std::move(s));
  }
  if (out.empty()) return out;
  std::vector<std::int64_t> found;
  for (const auto& [id, status] : out) found.push_back(id);
  for (std::int64_t id : in_muted_threads(tx, viewer, found)) out.at(id).muted = true;
  for (const auto& row : tx.exec_params(
           "SELECT m.status_id, a.id, a.username, coalesce(a.domain, ''),"
           " coalesce(a.url, a.uri), a.uri FROM mentions m JOIN accounts a ON a.id = m.account_id"
           " WHERE m.status_id = ANY($1::bigint[]) AND NOT m.silent ORDER BY m.status_id, m.id",
           id_array(found))) {
    auto& status = out.at(row[0].as<std::int64_t>());
    if (status.mentions.size() >= kMaxStatusViewMentions) continue;
    status.mentions.push_back({row[1].as<std::int64_t>(), row[2].as<std::string>(),
                               row[3].as<std::string>(), row[4].as<std::string>(),
                               row[5].as<std::string>()});
  }
  for (const auto& row : tx.exec_params(
           "SELECT st.status_id, t.name FROM statuses_tags st JOIN tags t ON t.id = st.tag_id"
           " WHERE st.status_id = ANY($1::bigint[]) ORDER BY st.status_id, t.name",
           id_array(found))) {
    auto& status = out.at(row[0].as<std::int64_t>());
    if (status.tags.size() >= kMaxStatusViewMentions) continue;
    status.tags.push_back(row[1].as<std::string>());
  }
  // Media and polls (remote statuses only so far): one query each for the
  // whole page.
  for (const auto& row : tx.exec_params(
           "SELECT m.status_id, m.id, m.type, coalesce(m.remote_url, ''), m.description,"
           " coalesce(m.blurhash, ''), m.meta::text, coalesce(m.file_path, ''),"
           " coalesce(m.media_type, '') FROM media_attachments m"
           " WHERE m.status_id = ANY($1::bigint[]) ORDER BY m.status_id, m.position, m.id",
           id_array(found))) {
    auto& status = out.at(row[0].as<std::int64_t>());
    if (status.media.size() >= kMaxStatusViewMedia) continue;
    status.media.push_back({row[1].as<std::int64_t>(), row[2].as<std::string>(),
                            row[3].as<std::string>(), row[4].as<std::string>(),
                            row[5].as<std::string>(), row[6].as<std::string>(),
                            row[7].as<std::string>(), row[8].as<std::string>()});
  }
  for (const auto& row : tx.exec_params(
           "SELECT p.status_id, p.id, coalesce(" + iso_time("p.expires_at") +
               ", ''), p.closed_at IS NOT NULL OR p.expires_at < now(), p.multiple,"
               " p.voters_count, o.n, coalesce(o.option->>'title', ''),"
               " CASE WHEN jsonb_typeof(o.option->'votes') = 'number'"
               "   AND (o.option->>'votes')::numeric BETWEEN 0 AND 1e15"
               "   THEN (o.option->>'votes')::numeric::bigint END"
               " FROM polls p LEFT JOIN LATERAL jsonb_array_elements(CASE WHEN"
               "   jsonb_typeof(p.options) = 'array' THEN p.options ELSE '[]'::jsonb END)"
               "   WITH ORDINALITY AS o(option, n) ON jsonb_typeof(o.option) = 'object'"
               " WHERE p.status_id = ANY($1::bigint[]) ORDER BY p.status_id, o.n",
           id_array(found))) {
    auto& status = out.at(row[0].as<std::int64_t>());
    if (!status.poll) {
      PollView poll;
      poll.id = row[1].as<std::int64_t>();
      poll.expires_at = row[2].as<std::string>();
      poll.expired = row[3].as<bool>();
      poll.multiple = row[4].as<bool>();
      if (!row[5].is_null()) poll.voters_count = row[5].as<std::int64_t>();
      status.poll = std::move(poll);
    }
    if (row[6].is_null() || status.poll->options.size() >= kMaxStatusViewPollOptions) continue;
    PollOptionView option{row[7].as<std::string>(), std::nullopt};
    if (!row[8].is_null()) option.votes = row[8].as<std::int64_t>();
    status.poll->options.push_back(std::move(option));
  }
  // The viewer's votes, and polls whose totals wait for their end.
  for (const auto& row :
       tx.exec_params("SELECT p.status_id, p.hide_totals AND s.account_id <> $2,"
                      " coalesce(array_to_string(ARRAY(SELECT v.choice FROM poll_votes v"
                      " WHERE v.poll_id = p.id AND v.account_id = $2 ORDER BY v.choice), ','), ''),"
                      " s.account_id = $2 FROM polls p JOIN statuses s ON s.id = p.status_id"
                      " WHERE p.status_id = ANY($1::bigint[]) AND (p.hide_totals OR $2 <> 0)",
                      id_array(found), viewer)) {
    auto& status = out.at(row[0].as<std::int64_t>());
    if (!status.poll) continue;
    status.poll->hide_totals = row[1].as<bool>();
    const std::string choices = row[2].as<std::string>();
    for (std::size_t start = 0; start < choices.size();) {
      std::size_t end = choices.find(',', start);
      if (end == std::string::npos) end = choices.size();
      status.poll->own_votes.push_back(std::stoi(choices.substr(start, end - start)));
      start = end + 1;
    }
    status.poll->voted = row[3].as<bool>() || !status.poll->own_votes.empty();
  }
  return out;
}

// Whether status `s` is kept out of the viewer's ($1) timelines by a mute
// or a user-level domain block: its author, or the boosted status's
// author, is muted (a mute that has not expired) or on a server the viewer
// blocked. Mastodon leaves these out of the home and public timelines
// (FeedManager#filter_from_home, PublicFeed's account filters) and out of
// the boosts on a profile, while a profile's own statuses and a status
// opened directly still show. For nobody signed in (0) it is always true.
const char* const kNotMuted =
    " NOT EXISTS (SELECT 1 FROM accounts ma WHERE ma.id IN (s.account_id,"
    "   coalesce((SELECT mr.account_id FROM statuses mr WHERE mr.id = s.reblog_of_id), 0))"
    "   AND (EXISTS (SELECT 1 FROM mutes mm WHERE mm.account_id = $1::bigint"
    "       AND mm.target_account_id = ma.id AND (mm.expires_at IS NULL OR mm.expires_at > now()))"
    "     OR EXISTS (SELECT 1 FROM account_domain_blocks md WHERE md.account_id = $1::bigint"
    "       AND md.domain = ma.domain)))";

// Home only, as Mastodon's FeedManager#filter_from_home: not a status that
// mentions an account the viewer muted; not a boost by an account followed
// with reblogs=false; not a status in a language the follow left out
// (follows.languages).
const char* const kHomeFollowOptions =
    " NOT EXISTS (SELECT 1 FROM mentions hm JOIN mutes hmu ON hmu.target_account_id = hm.account_id"
    "   WHERE hm.status_id = s.id AND hmu.account_id = $1::bigint"
    "   AND (hmu.expires_at IS NULL OR hmu.expires_at > now()))"
    " AND NOT EXISTS (SELECT 1 FROM follows hf WHERE hf.account_id = $1::bigint"
    "   AND hf.target_account_id = s.account_id AND ((s.reblog_of_id IS NOT NULL"
    "   AND NOT hf.show_reblogs) OR (hf.languages IS NOT NULL AND s.language IS NOT NULL"
    "   AND s.reblog_of_id IS NULL AND NOT (s.language = ANY (hf.languages)))))";

// Home only: members of the viewer's exclusive lists stay in those lists
// (the viewer's own statuses aside), and kHomeFollowOptions. The streaming
// hub applies the same to the user stream (stream_audience.cpp).
const char* const kHomeOnly =
    " (s.account_id = $1::bigint OR NOT EXISTS (SELECT 1"
    "   FROM list_accounts xa JOIN lists xl ON xl.id = xa.list_id"
    "   WHERE xl.account_id = $1::bigint AND xl.exclusive"
    "   AND xa.account_id = s.account_id))";

std::string home_only_sql() {
  return std::string(kHomeOnly) + " AND" + kHomeFollowOptions;
}

std::vector<std::int64_t> home_timeline(pqxx::transaction_base& tx, std::int64_t viewer,
                                        const PageRequest& page) {
  bool upward = false;
  const std::string sql = std::string(
                              "SELECT s.id FROM statuses s WHERE (s.account_id = $1::bigint"
                              " OR s.account_id IN (SELECT target_account_id FROM follows"
                              "   WHERE account_id = $1::bigint AND state = 'accepted')"
                              " OR EXISTS (SELECT 1 FROM mentions m WHERE m.status_id = s.id"
                              "   AND m.account_id = $1::bigint)"
                              // Public statuses with a hashtag the viewer follows.
                              " OR (s.visibility IN ('public', 'local') AND s.reblog_of_id IS NULL"
                              "   AND EXISTS (SELECT 1 FROM statuses_tags st JOIN tag_follows tf"
                              "   ON tf.tag_id = st.tag_id WHERE st.status_id = s.id"
                              "   AND tf.account_id = $1::bigint))) AND") +
                          kNotMuted + " AND" + home_only_sql() + " AND" + kVisibleTo +
                          page_clause("s.id", page, upward);
  return ids_page(tx, sql, viewer, page, upward);
}

// " AND the status has media" for only_media.
const char* const kHasMedia =
    " AND EXISTS (SELECT 1 FROM media_attachments ma WHERE ma.status_id = s.id)";

std::vector<std::int64_t> public_timeline(pqxx::transaction_base& tx, std::int64_t viewer,
                                          Origin origin, const PageRequest& page, bool only_media) {
  bool upward = false;
  std::string condition = "s.visibility = 'public'";
  if (origin == Origin::local)
    condition =
        "s.local AND (s.visibility = 'public' OR (s.visibility = 'local' AND $1::bigint <> 0))";
  else if (origin == Origin::remote)
    condition = "NOT s.local AND s.visibility = 'public'";
  const std::string sql = "SELECT s.id FROM statuses s WHERE " + condition +
                          " AND s.reblog_of_id IS NULL" + (only_media ? kHasMedia : "") + " AND" +
                          kNotMuted + " AND" + kVisibleTo + page_clause("s.id", page, upward);
  return ids_page(tx, sql, viewer, page, upward);
}

std::vector<std::int64_t> account_statuses(pqxx::transaction_base& tx, std::int64_t account_id,
                                           std::int64_t viewer, const AccountStatusFilter& filter,
                                           const PageRequest& page) {
  bool upward = false;
  std::string sql = "SELECT s.id FROM statuses s WHERE s.account_id = $5";
  // Mastodon's Status.without_replies: a reply to oneself (a thread) stays.
  if (filter.exclude_replies)
    sql +=
        " AND ((s.in_reply_to_id IS NULL AND s.in_reply_to_uri IS NULL)"
        " OR s.in_reply_to_account_id = s.account_id)";
  if (filter.exclude_reblogs) sql += " AND s.reblog_of_id IS NULL";
  if (filter.only_media) sql += kHasMedia;
  if (filter.exclude_sensitive) sql += " AND NOT s.sensitive";
  if (filter.pinned)
    sql +=
        " AND EXISTS (SELECT 1 FROM status_pins sp WHERE sp.status_id = s.id"
        " AND sp.account_id = s.account_id)";
  sql +=
      " AND ($6::text = '' OR EXISTS (SELECT 1 FROM statuses_tags st JOIN tags t"
      " ON t.id = st.tag_id WHERE st.status_id = s.id AND t.name = lower($6::text)))";
  // Boosts of muted accounts' statuses are left out (AccountStatusesFilter).
  sql += std::string(" AND (s.reblog_of_id IS NULL OR") + kNotMuted + ") AND" + kVisibleTo +
         page_clause("s.id", page, upward);
  std::vector<std::int64_t> ids;
  for (const auto& row :
       tx.exec_params(sql, viewer, page.max_id.value_or(std::numeric_limits<std::int64_t>::max()),
                      page.min_id.value_or(std::numeric_limits<std::int64_t>::min()),
                      static_cast<std::int64_t>(page.limit), account_id, filter.tagged))
    ids.push_back(row[0].as<std::int64_t>());
  if (upward) std::reverse(ids.begin(), ids.end());
  return ids;
}

const char* not_muted_sql() {
  return kNotMuted;
}

std::vector<std::int64_t> ancestors(pqxx::transaction_base& tx, std::int64_t status_id,
                                    std::size_t limit) {
  std::vector<std::int64_t> ids;
  for (const auto& row :
       tx.exec_params("WITH RECURSIVE up(id, parent, depth) AS ("
                      "  SELECT id, in_reply_to_id, 0 FROM statuses WHERE id = $1"
                      "  UNION ALL SELECT s.id, s.in_reply_to_id, up.depth + 1 FROM statuses s"
                      "  JOIN up ON s.id = up.parent WHERE up.depth < $2"
                      "  AND s.deleted_at IS NULL)"
                      " SELECT id FROM up WHERE id <> $1 ORDER BY depth DESC",
                      status_id, static_cast<std::int64_t>(limit)))
    ids.push_back(row[0].as<std::int64_t>());
  return ids;
}

std::vector<std::int64_t> descendants(pqxx::transaction_base& tx, std::int64_t status_id,
                                      std::size_t limit, std::size_t max_depth) {
  // Bounded however large the thread: each status contributes at most
  // `limit` replies (its oldest, read in order from the (in_reply_to_id, id)
  // index of migration 0005), and since PostgreSQL computes a recursive
  // query's rows only as the query above asks for them, the inner LIMIT
  // stops the walk (breadth first) after kDescendantsVisitedPerShown *
  // limit rows. A thread that another server filled with thousands of
  // replies costs each /context request a bounded read, not the tree.
  std::vector<std::int64_t> ids;
  for (const auto& row : tx.exec_params(
           "WITH RECURSIVE down(id, path) AS ("
           "  (SELECT id, ARRAY[id] FROM statuses WHERE in_reply_to_id = $1"
           "   AND deleted_at IS NULL ORDER BY id LIMIT $2)"
           "  UNION ALL SELECT c.id, down.path || c.id FROM down CROSS JOIN LATERAL"
           "  (SELECT s.id FROM statuses s WHERE s.in_reply_to_id = down.id"
           "   AND s.deleted_at IS NULL ORDER BY s.id LIMIT $2) c"
           "  WHERE cardinality(down.path) < $4)"
           " SELECT id FROM (SELECT id, path FROM down LIMIT $3) visited ORDER BY path LIMIT $2",
           status_id, static_cast<std::int64_t>(limit),
           static_cast<std::int64_t>(limit * kDescendantsVisitedPerShown),
           static_cast<std::int64_t>(std::min(max_depth, kMaxDescendantDepth))))
    ids.push_back(row[0].as<std::int64_t>());
  return ids;
}

RelationshipView relationship(pqxx::transaction_base& tx, std::int64_t viewer,
                              std::int64_t target) {
  RelationshipView r;
  r.id = target;
  // A follow request's options show too (Mastodon shows a requested
  // follow's reblogs and notify settings).
  for (const auto& row : tx.exec_params(
           "SELECT account_id = $1, state = 'accepted', show_reblogs, notify,"
           " languages IS NOT NULL, coalesce(array_to_string(languages, ','), '') FROM follows"
           " WHERE (account_id = $1 AND target_account_id = $2)"
           " OR (account_id = $2 AND target_account_id = $1)",
           viewer, target)) {
    const bool mine = row[0].as<bool>(), accepted = row[1].as<bool>();
    if (mine) {
      r.following = accepted;
      r.requested = !accepted;
      r.showing_reblogs = row[2].as<bool>();
      r.notifying = row[3].as<bool>();
      if (row[4].as<bool>()) {
        r.languages.emplace();
        const std::string list = row[5].as<std::string>();
        for (std::size_t start = 0; start < list.size();) {
          const std::size_t comma = std::min(list.find(',', start), list.size());
          if (comma > start) r.languages->push_back(list.substr(start, comma - start));
          start = comma + 1;
        }
      }
    } else {
      r.followed_by = accepted;
      r.requested_by = !accepted;
    }
  }
  for (const auto& row : tx.exec_params(
           "SELECT account_id = $1 FROM blocks WHERE (account_id = $1 AND target_account_id = $2)"
           " OR (account_id = $2 AND target_account_id = $1)",
           viewer, target)) {
    if (row[0].as<bool>())
      r.blocking = true;
    else
      r.blocked_by = true;
  }
  const pqxx::row mine = tx.exec_params1(
      "SELECT (SELECT hide_notifications FROM mutes WHERE account_id = $1"
      "   AND target_account_id = $2 AND (expires_at IS NULL OR expires_at > now())),"
      " EXISTS (SELECT 1 FROM account_domain_blocks d JOIN accounts a ON a.domain = d.domain"
      "   WHERE d.account_id = $1 AND a.id = $2),"
      " EXISTS (SELECT 1 FROM account_endorsements WHERE account_id = $1"
      "   AND target_account_id = $2),"
      " coalesce((SELECT comment FROM account_notes WHERE account_id = $1"
      "   AND target_account_id = $2), '')",
      viewer, target);
  r.muting = !mine[0].is_null();
  r.muting_notifications = r.muting && mine[0].as<bool>();
  r.domain_blocking = mine[1].as<bool>();
  r.endorsed = mine[2].as<bool>();
  r.note = mine[3].as<std::string>();
  return r;
}

std::vector<FollowListEntry> followers_page(pqxx::transaction_base& tx, std::int64_t account_id,
                                            const PageRequest& page) {
  return follow_page(tx, "target_account_id", "account_id", "accepted", account_id, page);
}
std::vector<FollowListEntry> following_page(pqxx::transaction_base& tx, std::int64_t account_id,
                                            const PageRequest& page) {
  return follow_page(tx, "account_id", "target_account_id", "accepted", account_id, page);
}
std::vector<FollowListEntry> follow_requests_page(pqxx::transaction_base& tx,
                                                  std::int64_t account_id,
                                                  const PageRequest& page) {
  return follow_page(tx, "target_account_id", "account_id", "pending", account_id, page);
}

std::optional<std::int64_t> account_id_by_acct(pqxx::transaction_base& tx,
                                               const std::string& username,
                                               const std::string& domain) {
  const pqxx::result rows = tx.exec_params(
      "SELECT id FROM accounts WHERE lower(username) = lower($1)"
      " AND lower(coalesce(domain, '')) = lower($2)",
      username, domain);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::int64_t>();
}

// The exact object id first (unique index), then the URL (partial index,
// migration 0005): two indexed look-ups rather than one `uri = $1 OR url =
// $1` that PostgreSQL answers with a sequential scan. An id always wins
// over a URL, which another account or status could also claim.
std::optional<std::int64_t> account_id_by_uri(pqxx::transaction_base& tx, const std::string& uri) {
  pqxx::result rows = tx.exec_params("SELECT id FROM accounts WHERE uri = $1", uri);
  if (rows.empty())
    rows = tx.exec_params("SELECT id FROM accounts WHERE url = $1 ORDER BY id LIMIT 1", uri);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::int64_t>();
}

std::optional<std::int64_t> status_id_by_uri(pqxx::transaction_base& tx, const std::string& uri) {
  pqxx::result rows =
      tx.exec_params("SELECT id FROM statuses WHERE uri = $1 AND deleted_at IS NULL", uri);
  if (rows.empty())
    rows = tx.exec_params(
        "SELECT id FROM statuses WHERE url = $1 AND url IS NOT NULL AND deleted_at IS NULL"
        " ORDER BY id LIMIT 1",
        uri);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::int64_t>();
}

}  // namespace kith::db
