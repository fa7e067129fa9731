// The `kith` command. Everything it does is in kith::app (see cli.hpp).
#include "kith/app/cli.hpp"

int main(int argc, char** argv) {
  return kith::app::run_command_line(argc, argv);
}
