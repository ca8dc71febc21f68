#include <malloc.h>

#include <csignal>
#include <string>
#include <vector>

#include "app/cli.hpp"

int main(int argc, char** argv) {
  // A provider closing a connection mid-write must be an error value, not a dead process.
  std::signal(SIGPIPE, SIG_IGN);
  // glibc returns freed memory to the kernel after every group commit by default and faults it
  // back in on the next (perf showed madvise + page faults as most of the writer thread's time).
  // Keep up to 64 MiB of freed heap per arena instead; cap arenas so a 1 GB VM stays small.
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  mallopt(M_MMAP_THRESHOLD, 16 << 20);
  mallopt(M_ARENA_MAX, 4);
  std::vector<std::string> args(argv, argv + argc);
  return jarip::app::run_cli(args);
}
