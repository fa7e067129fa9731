// MovieLens as the moderation task (bench/moderation): ratings in, the
// four evaluation splits out.
//
// The one idea: a rating is an exposure ("u was shown i") and a rating of
// at most 2 stars is a flag; a split is the same ratings cut into a
// training part (fed to the models) and a test part (pairs to score),
// decided only by the seed, so every model sees exactly the same split.
//
// What it must never do: let a test rating reach a model's training data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kith::bench {

inline constexpr float kFlagAtOrBelow = 2.0f;  // stars; rating <= 2 is a flag

struct Rating {
  std::uint32_t user = 0;  // dense index
  std::uint32_t item = 0;  // dense index
  float stars = 0;
  std::int64_t at = 0;  // unix seconds
  bool flag() const { return stars <= kFlagAtOrBelow; }
};

struct Dataset {
  std::vector<Rating> ratings;                   // in time order
  std::vector<std::int64_t> user_ids, item_ids;  // dense index -> MovieLens userId / movieId
  std::size_t users() const { return user_ids.size(); }
  std::size_t items() const { return item_ids.size(); }
};

// Reads "userId,movieId,rating,timestamp" lines (no header) written by the
// bench/moderation script; throws std::runtime_error on a malformed line.
Dataset load_ratings(const std::string& path);

struct Split {
  std::string name;
  std::vector<Rating> train, test;
};

// 80 % of the ratings for training, 20 % for testing, at random.
Split random_split(const Dataset& data, std::uint64_t seed);
// For each user, the last 20 % of their ratings (by time) held out; ties in
// time broken by the seed.
Split temporal_split(const Dataset& data, std::uint64_t seed);
// A random split in which a random fifth of the users keep at most
// kColdUserEvents training ratings; the test part holds only their pairs.
inline constexpr std::size_t kColdUserEvents = 5;
Split cold_user_split(const Dataset& data, std::uint64_t seed);
// The same for a random fifth of the items, at most kColdItemEvents each.
inline constexpr std::size_t kColdItemEvents = 3;
Split cold_item_split(const Dataset& data, std::uint64_t seed);

// The author of an item: items are grouped into kAuthors authors by a fixed
// hash of the MovieLens movieId (MovieLens has no authors; the hash spreads
// popular and obscure movies evenly over them).
inline constexpr std::uint32_t kAuthors = 300;
std::uint32_t author_of(std::int64_t movie_id);

}  // namespace kith::bench
