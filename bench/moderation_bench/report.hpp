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

inline void print_target(const std::string& what, double figure, const char* unit,
                         const char* comparison, double target, bool met) {
  std::printf("  target %-58s %10.4g %-3s %s %-8.4g %s\n", what.c_str(), figure, unit, comparison,
              target, verdict_word(met));
}

}  // namespace kith::bench
