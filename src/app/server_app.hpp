// The composition root: builds store, adapters, engine, API and HTTP server from configuration,
// runs them on their threads, and shuts them down in order on SIGTERM/SIGINT.
#pragma once

#include <string>

#include "app/config.hpp"

namespace jarip::app {

// Runs `jarip serve` until a termination signal. Returns the process exit code.
int run_server(const Config& config);

// Opens the store that the configuration names (for CLI commands working on it directly).
Result<std::unique_ptr<store::Store>> open_store_for_admin(const Config& config);

}  // namespace jarip::app
