#include <csignal>
#include <string>
#include <vector>

#include "app/cli.hpp"

int main(int argc, char** argv) {
  // A provider closing a connection mid-write must be an error value, not a dead process.
  std::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv, argv + argc);
  return jarip::app::run_cli(args);
}
