// The one visibility condition of the client API's queries (kVisibleTo in
// client_views.cpp), for the other files of the db module that read
// timelines (feeds.cpp). Internal to the db module.
#pragma once

namespace kith::db {

// " (...)": whether status `s` may be seen by the viewer in parameter $1
// (0 for nobody signed in). See kVisibleTo.
const char* visible_to_sql();

}  // namespace kith::db
