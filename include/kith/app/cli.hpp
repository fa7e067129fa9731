// The `kith` command line: parses arguments, loads the configuration and
// runs one command. Returns the process exit code: 0 success, 1 failure,
// 2 usage error, 78 (EX_CONFIG) bad configuration.
#pragma once

namespace kith::app {

int run_command_line(int argc, char** argv);

}  // namespace kith::app
