#!/usr/bin/env python3
"""kill -9 jarip twice in the middle of a stream and restart it on the same data directory: every
message answered 202 is delivered (counted at the simulator), none is lost, and a duplicate is
allowed only where jarip recorded an attempt as ambiguous (interrupted by the crash)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crash_common  # noqa: E402

if __name__ == "__main__":
    crash_common.run("crash_drill")
