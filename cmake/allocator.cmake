# Which malloc the kith binary links. docs/MEASURING.md has the figures
# behind the default; bench/allocators reruns the comparison.
set(KITH_ALLOCATOR "glibc" CACHE STRING "malloc implementation: glibc, jemalloc or mimalloc")
set_property(CACHE KITH_ALLOCATOR PROPERTY STRINGS glibc jemalloc mimalloc)
if(KITH_SANITIZE)
  set(KITH_ALLOCATOR glibc)  # the sanitizers bring their own allocator
endif()
if(KITH_ALLOCATOR STREQUAL "jemalloc")
  pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
  target_link_libraries(kith PRIVATE PkgConfig::JEMALLOC)
elseif(KITH_ALLOCATOR STREQUAL "mimalloc")
  find_package(mimalloc REQUIRED)
  target_link_libraries(kith PRIVATE mimalloc)
endif()
target_compile_definitions(kith PRIVATE KITH_ALLOCATOR="${KITH_ALLOCATOR}")
