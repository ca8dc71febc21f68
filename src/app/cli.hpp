// Command-line interface: `jarip serve`, `jarip keys …`, and the client commands that talk to a
// running server. Exit codes a script can rely on: 0 ok, 1 the server or storage refused,
// 2 usage or configuration error, 3 could not reach the server.
#pragma once

#include <string>
#include <vector>

namespace jarip::app {

int run_cli(const std::vector<std::string>& args);

}  // namespace jarip::app
