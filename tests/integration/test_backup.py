#!/usr/bin/env python3
"""Backups of a running server (`jarip backup`) and restores into a stopped one (`jarip restore`):
  * a backup taken while a stream of messages is being accepted passes PRAGMA integrity_check and
    holds every message answered 202 before it began;
  * a backup killed with kill -9 half-way never leaves a partial file under its name, and the next
    backup to the same name succeeds;
  * after kill -9 of jarip in a burst, a backup of the crashed database holds every 202, and jarip
    restarts on it and still answers for a message accepted before the kill;
  * restore is refused while jarip runs, and on a stopped server puts the backup in place (the old
    database kept beside it): jarip starts on it and knows the messages accepted before the backup."""

import glob
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

PRE = int(os.environ.get("JARIP_BACKUP_MESSAGES", "3000"))  # makes the database a few MB
LIVE = 2400
LIVE_RATE = 300.0


def acked(stream):
    return [x for x in stream.ids if x]


def ids_in(path):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        check = db.execute("PRAGMA integrity_check").fetchone()[0]
        ids = {r[0] for r in db.execute("SELECT id FROM messages")}
    finally:
        db.close()
    return check, ids


def status_of(j, mid):
    # A fresh connection: the thread's keep-alive one may belong to a jarip since stopped.
    return j.call("GET", "/v1/messages/" + mid, keep_alive=False).status


def main():
    args = h.parse_args()
    with h.Bench("backup", args) as b:
        R = b.results
        sim, j = b.start_pair()
        conf = ["--config", j.config_path]
        backups = os.path.join(b.dir, "backups")
        os.makedirs(backups)
        b1, b2, b3 = (os.path.join(backups, n) for n in ("during-stream.db", "killed.db", "after-crash.db"))

        pre = h.Stream(j, PRE, 1500, 16, tag="pre").run()
        h.log("pre stream: %s" % pre.describe())
        live = h.Stream(j, LIVE, LIVE_RATE, 8, tag="live")
        live.start_background()
        time.sleep(1.0)

        # 1. a backup while messages are being accepted
        before_b1 = acked(pre) + acked(live)
        c = j.cli("backup", "--to", b1, *conf, with_key=False)
        h.log("backup 1: rc %s %s %s" % (c.returncode, c.stdout.strip(), c.stderr.strip()))
        R.check("backup during the stream: exit 0 and a report of pages, bytes and seconds",
                c.returncode == 0 and "pages" in c.stdout and "bytes" in c.stdout, (c.stdout, c.stderr))
        check, ids = ids_in(b1)
        R.check_eq("backup during the stream: integrity_check", check, "ok")
        missing = [m for m in before_b1 if m not in ids]
        R.check("backup during the stream: holds every 202 answered before it began (%d)" % len(before_b1),
                not missing, missing[:5])
        c = j.cli("backup", "--to", b1, *conf, with_key=False)
        R.check("a second backup to the same path is refused without --force (exit 1)",
                c.returncode == 1 and "backup_exists" in c.stderr, (c.returncode, c.stderr))

        # 2. kill -9 of a backup half-way (slowed down so that there is a half-way)
        env = {k: v for k, v in os.environ.items() if not k.startswith("JARIP_")}
        slow = h._spawn([b.bin("jarip"), "backup", "--to", b2, "--step-pages", "4", "--step-sleep-ms", "20"] + conf,
                        os.path.join(b.dir, "backup-killed.log"), env=env)
        started = h.wait_for(lambda: os.path.exists(b2 + ".tmp"), 5)
        time.sleep(0.7)
        running = slow.poll() is None
        slow.kill()
        slow.wait()
        R.check("the slow backup was still copying when killed", started and running,
                h.tail(os.path.join(b.dir, "backup-killed.log")))
        if os.path.exists(b2):
            check, _ = ids_in(b2)
            R.check_eq("after kill -9 of a backup, its path is a complete backup", check, "ok")
        else:
            R.check("after kill -9 of a backup, nothing under its path (%s.tmp left: %s)"
                    % (os.path.basename(b2), os.path.exists(b2 + ".tmp")), True)

        # 3. kill -9 jarip in the burst, back up the crashed database, restart
        j.kill9()
        before_kill = acked(pre) + acked(live)
        h.log("jarip killed with %d messages answered 202" % len(before_kill))
        c = j.cli("backup", "--to", b3, *conf, with_key=False)
        R.check("backup of the crashed database (jarip stopped by kill -9): exit 0", c.returncode == 0,
                (c.stdout, c.stderr))
        check, ids = ids_in(b3)
        R.check_eq("backup of the crashed database: integrity_check", check, "ok")
        missing = [m for m in before_kill if m not in ids]
        R.check("backup of the crashed database: holds every 202 (%d)" % len(before_kill), not missing, missing[:5])
        j.restart()
        R.check_eq("jarip restarts on the crashed database and answers for a message accepted before the kill",
                   status_of(j, before_kill[-1]), 200)

        # 4. a later backup to the killed one's path succeeds, and cleans its *.tmp
        c = j.cli("backup", "--to", b2, *conf, with_key=False)
        R.check("a backup to the killed backup's path succeeds afterwards", c.returncode == 0, (c.stdout, c.stderr))
        R.check("... and leaves no .tmp", not os.path.exists(b2 + ".tmp"))

        while live.elapsed is None:
            time.sleep(0.1)
        h.log("live stream: %s" % live.describe())
        R.check("the live stream was accepted (%d of %d)" % (len(acked(live)), LIVE), len(acked(live)) >= 0.9 * LIVE,
                live.counts())

        # 5. restore: refused while jarip runs, then into the stopped server
        c = j.cli("restore", "--from", b1, "--force", *conf, with_key=False)
        R.check("restore while jarip runs is refused (exit 1, 'stop jarip first')",
                c.returncode == 1 and "stop jarip first" in c.stderr, (c.returncode, c.stderr))
        after_b1 = [m for m in acked(live) if m not in set(before_b1)]
        R.check_eq("SIGTERM before the restore", j.sigterm(), 0)
        c = j.cli("restore", "--from", b1, *conf, with_key=False)
        R.check("restore without --force over an existing database is refused", c.returncode == 1, c.stderr)
        c = j.cli("restore", "--from", b1, "--force", *conf, with_key=False)
        h.log("restore: rc %s %s %s" % (c.returncode, c.stdout.strip(), c.stderr.strip()))
        R.check("restore --force: exit 0", c.returncode == 0, (c.stdout, c.stderr))
        kept = glob.glob(os.path.join(j.data_dir, "jarip.db.before-restore-*"))
        R.check("the replaced database is kept as jarip.db.before-restore-<time>", len(kept) == 1, kept)
        check, ids = ids_in(os.path.join(j.data_dir, "jarip.db"))
        R.check_eq("restored database: integrity_check", check, "ok")
        missing = [m for m in before_b1 if m not in ids]
        R.check("restored database holds every 202 answered before the backup began", not missing, missing[:5])
        j.start()
        sample = before_b1[:: max(1, len(before_b1) // 200)]
        unknown = [m for m in sample if status_of(j, m) != 200]
        R.check("jarip starts on the restored database and knows the messages of the backup (%d checked)"
                % len(sample), not unknown, unknown[:5])
        if after_b1:
            R.check_eq("a message accepted after the backup is not in the restored database",
                       status_of(j, after_b1[-1]), 404)
        R.check_eq("SIGTERM at the end", j.sigterm(), 0)
        sim.stop()
    b.exit()


if __name__ == "__main__":
    main()
