"""The crash drill shared by test_crash_drill.py (kill -9) and test_power_cut.py (kill -9 with the
jarip-powercut VFS, which throws away every write not yet synced)."""

import json
import os
import subprocess
import time

import harness as h

N = int(os.environ.get("JARIP_CRASH_MESSAGES", "4000"))
RATE = float(os.environ.get("JARIP_CRASH_RATE", "1500"))
CLIENTS = 16


def run(name, vfs=None, kills=2):
    args = h.parse_args()
    with h.Bench(name, args) as b:
        R = b.results
        overrides = {"storage.vfs": vfs} if vfs else {}
        sim, j = b.start_pair(jarip_kw={"overrides": overrides})
        st = h.Stream(j, N, RATE, CLIENTS, tag=name)
        kill_log = []

        def crash_and_restart(k):
            def go():
                rc = j.kill9()
                t = time.monotonic()
                kill_log.append(("kill -9 #%d" % k, rc))
                h.log("%s: kill -9 #%d (rc %s)" % (name, k, rc))
                time.sleep(0.3)  # clients see refused connections meanwhile
                j.restart()
                h.log("%s: restarted after %.2f s" % (name, time.monotonic() - t))
            return go

        # crash at ~30 % and ~65 % of the stream (requests in flight at that moment may fail: not 202)
        for k, frac in enumerate([0.3, 0.65][:kills], 1):
            st.at(int(N * frac), crash_and_restart(k))
        st.run()
        h.log("%s: %s" % (name, st.describe()))
        accepted = st.accepted_ids()
        R.check("%s: most of the stream answered 202 (%d of %d)" % (name, len(accepted), N), len(accepted) >= 0.9 * N,
                st.counts())
        R.check_eq("%s: jarip was restarted %d times" % (name, kills), j.starts, kills + 1)
        nums, counts, missing = h.account(R, name, sim, j, accepted, 90)
        # every 202 must also still be known to jarip after the crashes
        lost_rows = [mid for mid in missing[:50] if j.get(mid).status == 404]
        R.check("%s: no accepted message unknown to jarip after restart" % name, not lost_rows, lost_rows[:5])
        if missing:
            for mid in missing[:3]:
                h.log("%s: missing %s: %s" % (name, mid, json.dumps(j.message(mid), ensure_ascii=False)[:600]))
        interrupted = 0
        for mid in [m for m in accepted if counts.get(m, 0) > 1][:200]:
            msg = j.message(mid) or {}
            if any((a.get("error") or {}).get("code") == "interrupted" for a in msg.get("attempts", [])):
                interrupted += 1
        nums["dups_with_interrupted_attempt"] = interrupted
        nums["stream_s"] = round(st.elapsed, 1)
        h.log("%s: numbers %s" % (name, json.dumps(nums)))
        # a clean stop and a clean reopen
        rc = j.sigterm()
        R.check_eq("%s: SIGTERM after the drill: exit 0" % name, rc, 0)
        c = j.cli("migrate", "--config", j.config_path, with_key=False)
        R.check("%s: database opens cleanly afterwards (jarip migrate exit 0)" % name, c.returncode == 0,
                (c.returncode, c.stdout, c.stderr))
        if vfs:
            # integrity check through sqlite itself (python's sqlite3), on the file the VFS wrote
            import sqlite3
            db = sqlite3.connect(os.path.join(j.data_dir, "jarip.db"))
            res = db.execute("PRAGMA integrity_check").fetchone()[0]
            n = db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
            db.close()
            R.check_eq("%s: PRAGMA integrity_check" % name, res, "ok")
            R.check("%s: every 202 is a row in the database (%d rows, %d accepted)" % (name, n, len(accepted)),
                    n >= len(accepted), n)
        sim.stop()
    b.exit()
