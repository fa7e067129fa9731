// Loading MovieLens and cutting it into splits (data.hpp).
#include "data.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <random>
#include <stdexcept>
#include <unordered_map>

namespace kith::bench {

namespace {

inline constexpr double kTestShare = 0.2;
inline constexpr double kColdShare = 0.2;  // share of users (items) made cold

std::uint32_t dense(std::unordered_map<std::int64_t, std::uint32_t>& index,
                    std::vector<std::int64_t>& ids, std::int64_t id) {
  const auto [it, inserted] = index.try_emplace(id, static_cast<std::uint32_t>(ids.size()));
  if (inserted) ids.push_back(id);
  return it->second;
}

// A random split, and the set of users (or items) to make cold: their
// training ratings beyond `keep` (random ones) move nowhere -- they are
// dropped, so those accounts look new -- and only their test pairs count.
template <typename KeyOf>
Split cold_split(const Dataset& data, std::uint64_t seed, std::size_t keys, KeyOf key_of,
                 std::size_t keep, const char* name) {
  Split base = random_split(data, seed);
  std::mt19937_64 rng(seed * 7919 + 17);
  std::vector<char> cold(keys, 0);
  for (std::size_t k = 0; k < keys; ++k)
    cold[k] = std::uniform_real_distribution<double>(0, 1)(rng) < kColdShare;
  std::shuffle(base.train.begin(), base.train.end(), rng);
  std::vector<std::size_t> kept(keys, 0);
  Split split;
  split.name = name;
  for (const Rating& r : base.train) {
    const std::uint32_t k = key_of(r);
    if (cold[k] && kept[k]++ >= keep) continue;
    split.train.push_back(r);
  }
  std::sort(split.train.begin(), split.train.end(),
            [](const Rating& a, const Rating& b) { return a.at < b.at; });
  for (const Rating& r : base.test)
    if (cold[key_of(r)]) split.test.push_back(r);
  return split;
}

}  // namespace

Dataset load_ratings(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  Dataset data;
  std::unordered_map<std::int64_t, std::uint32_t> users, items;
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    long long user = 0, movie = 0, at = 0;
    double stars = 0;
    if (std::sscanf(line.c_str(), "%lld,%lld,%lf,%lld", &user, &movie, &stars, &at) != 4)
      throw std::runtime_error(path + ":" + std::to_string(number) +
                               ": not userId,movieId,rating,timestamp");
    Rating r;
    r.user = dense(users, data.user_ids, user);
    r.item = dense(items, data.item_ids, movie);
    r.stars = static_cast<float>(stars);
    r.at = at;
    data.ratings.push_back(r);
  }
  std::stable_sort(data.ratings.begin(), data.ratings.end(),
                   [](const Rating& a, const Rating& b) { return a.at < b.at; });
  return data;
}

Split random_split(const Dataset& data, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(0, 1);
  Split split;
  split.name = "random 80/20";
  for (const Rating& r : data.ratings)
    (uniform(rng) < kTestShare ? split.test : split.train).push_back(r);
  return split;
}

Split temporal_split(const Dataset& data, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<std::size_t>> by_user(data.users());
  for (std::size_t n = 0; n < data.ratings.size(); ++n) by_user[data.ratings[n].user].push_back(n);
  std::vector<char> held(data.ratings.size(), 0);
  for (auto& list : by_user) {
    // Random order first, then a stable sort by time: equal times in random order.
    std::shuffle(list.begin(), list.end(), rng);
    std::stable_sort(list.begin(), list.end(), [&](std::size_t a, std::size_t b) {
      return data.ratings[a].at < data.ratings[b].at;
    });
    const std::size_t test =
        static_cast<std::size_t>(kTestShare * static_cast<double>(list.size()) + 0.5);
    for (std::size_t k = list.size() - test; k < list.size(); ++k) held[list[k]] = 1;
  }
  Split split;
  split.name = "temporal per user";
  for (std::size_t n = 0; n < data.ratings.size(); ++n)
    (held[n] ? split.test : split.train).push_back(data.ratings[n]);
  return split;
}

Split cold_user_split(const Dataset& data, std::uint64_t seed) {
  return cold_split(
      data, seed, data.users(), [](const Rating& r) { return r.user; }, kColdUserEvents,
      "cold users (<=5)");
}

Split cold_item_split(const Dataset& data, std::uint64_t seed) {
  return cold_split(
      data, seed, data.items(), [](const Rating& r) { return r.item; }, kColdItemEvents,
      "cold items (<=3)");
}

std::uint32_t author_of(std::int64_t movie_id) {
  std::uint64_t x = static_cast<std::uint64_t>(movie_id) + 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  x ^= x >> 31;
  return static_cast<std::uint32_t>(x % kAuthors);
}

}  // namespace kith::bench
