# Which malloc the kith binary links. docs/MEASURING.md has the figures
# behind the default; bench/allocators reruns the comparison.
#
# mimalloc is the default because it gives memory back: after 1,000 client
# connections close, a glibc-malloc daemon keeps their ~9 MiB for good (in
# the main arena's free lists, which arena_max and trim_threshold do not
# touch), while mimalloc returns it within a second, with no tuning and no
# extra thread, at the cost of ~1 MiB more when idle. jemalloc returns it too,
# but only with background_thread enabled, and holds more when idle.
#
# Debian package: libmimalloc-dev (libjemalloc-dev for jemalloc).
set(KITH_ALLOCATOR "mimalloc" CACHE STRING "malloc implementation: mimalloc, glibc or jemalloc")
set_property(CACHE KITH_ALLOCATOR PROPERTY STRINGS mimalloc glibc jemalloc)
if(KITH_SANITIZE)
  set(KITH_ALLOCATOR glibc)  # the sanitizers bring their own allocator
endif()
if(KITH_ALLOCATOR STREQUAL "mimalloc")
  find_package(mimalloc CONFIG QUIET)
  if(NOT mimalloc_FOUND)
    message(FATAL_ERROR "KITH_ALLOCATOR=mimalloc (the default) needs mimalloc: install Debian's "
                        "libmimalloc-dev (scripts/setup does), or configure with "
                        "-DKITH_ALLOCATOR=glibc")
  endif()
  # The shared library comes before libc in the binary's DT_NEEDED list, so
  # its malloc/free interpose glibc's for kith and every library it loads
  # (libpq, OpenSSL, ...): `LD_DEBUG=bindings kith version` shows it.
  target_link_libraries(kith PRIVATE mimalloc)
elseif(KITH_ALLOCATOR STREQUAL "jemalloc")
  pkg_check_modules(JEMALLOC IMPORTED_TARGET jemalloc)
  if(NOT JEMALLOC_FOUND)
    message(FATAL_ERROR "KITH_ALLOCATOR=jemalloc needs Debian's libjemalloc-dev")
  endif()
  target_link_libraries(kith PRIVATE PkgConfig::JEMALLOC)
elseif(NOT KITH_ALLOCATOR STREQUAL "glibc")
  message(FATAL_ERROR "KITH_ALLOCATOR must be mimalloc, glibc or jemalloc, not '${KITH_ALLOCATOR}'")
endif()
target_compile_definitions(kith PRIVATE KITH_ALLOCATOR="${KITH_ALLOCATOR}")
