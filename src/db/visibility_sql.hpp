// The one visibility condition of the client API's queries (kVisibleTo in
// client_views.cpp), for the other files of the db module that read
// timelines (feeds.cpp, stream_audience.cpp). Internal to the db module.
#pragma once

#include <string>

namespace kith::db {

// " (...)": whether status `s` may be seen by the viewer in parameter $1
// (0 for nobody signed in). See kVisibleTo.
const char* visible_to_sql();

// " (...) AND (...)": the home timeline's own rules for status `s` and the
// viewer in $1 (db::home_timeline): not an author of one of the viewer's
// exclusive lists, not mentioning an account the viewer muted, not a boost
// by a follow shown without boosts, not in a language the follow left out.
std::string home_only_sql();

}  // namespace kith::db
