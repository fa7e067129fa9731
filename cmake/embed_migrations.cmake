# Turns migrations/NNNN_name.sql into a C++ table compiled into kith_db.
# Called at build time with -DOUT=<file.cpp> -DDIR=<migrations directory>.
# (The directory, not a list of files: a CMake list passed through a custom
# command's -D argument arrives with its semicolons turned into spaces.)
file(GLOB FILES ${DIR}/*.sql)
list(SORT FILES)
set(body "")
foreach(file ${FILES})
  get_filename_component(base ${file} NAME_WE)
  string(REGEX MATCH "^([0-9]+)_(.+)$" _ ${base})
  if(NOT CMAKE_MATCH_1)
    message(FATAL_ERROR "migration ${file} is not named NNNN_name.sql")
  endif()
  math(EXPR version "${CMAKE_MATCH_1}")
  set(name ${CMAKE_MATCH_2})
  file(READ ${file} sql)
  string(APPEND body "    {${version}, \"${name}\", R\"kith_sql(${sql})kith_sql\"},\n")
endforeach()
file(WRITE ${OUT}.tmp
"// Generated from migrations/*.sql by cmake/embed_migrations.cmake. Do not edit.
#include \"kith/db/migrations.hpp\"

namespace kith::db {
const std::vector<Migration>& embedded_migrations() {
  static const std::vector<Migration> migrations{
${body}  };
  return migrations;
}
}  // namespace kith::db
")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
