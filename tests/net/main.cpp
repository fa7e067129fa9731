// The Catch2 runner for the network tests in this directory (the outgoing
// HTTP client against loopback servers).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
