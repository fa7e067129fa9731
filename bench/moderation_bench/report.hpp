// Printing figures beside their targets (bench/moderation).
//
// The one idea: every target line says the figure, the target and
// "met" or "NOT met", computed from the figure, never edited by hand.
#pragma once

#include <cstdio>
#include <string>

namespace kith::bench {

inline const char* verdict_word(bool met) {
  return met ? "met" : "NOT met";
}

// `comparison` is "<=" (at most) or ">=" (at least).
inline void print_target(const std::string& what, double figure, const char* unit,
                         const std::string& comparison, double target) {
  const bool met = comparison == "<=" ? figure <= target : figure >= target;
  std::printf("  target %-58s %10.4g %-3s %s %-8.4g %s\n", what.c_str(), figure, unit,
              comparison.c_str(), target, verdict_word(met));
}

}  // namespace kith::bench
