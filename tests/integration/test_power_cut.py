#!/usr/bin/env python3
"""The crash drill with storage.vfs = "jarip-powercut": SQLite keeps every unsynced write in process
memory, so kill -9 acts as a power cut. Every 202 must survive and be delivered (counted at the
simulator); afterwards the database opens cleanly (jarip migrate exit 0, integrity_check ok)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crash_common  # noqa: E402

if __name__ == "__main__":
    crash_common.run("power_cut", vfs="jarip-powercut")
