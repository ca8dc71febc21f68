"""PostgreSQL restarts in the middle of a stream.

During the gap clients see 503 with Retry-After (never a 202 for something jarip could not store),
/healthz and GET /v1/channels keep answering from memory, /readyz says the database is away; jarip
reconnects by itself and every message answered 202 is delivered once.
"""

import json
import os
import threading
import time

import harness as h
import pg_fixture

N = int(os.environ.get("JARIP_PGRESTART_MESSAGES", "4000"))
RATE = float(os.environ.get("JARIP_PGRESTART_RATE", "600"))


def main():
    args = h.parse_args()
    with h.Bench("pg_restart", args) as b:
        R = b.results
        pg = pg_fixture.PgServer("pg-restart").init().start()
        url = pg.create_database()
        sim, j = b.start_pair(jarip_kw={"overrides": {"storage.url": url, "public.link_secret": h.IT_LINK_SECRET}})
        st = h.Stream(j, N, RATE, 12, tag="pgr")
        during = {}

        def restart_database():
            h.log("PostgreSQL: stop -m immediate")
            pg.stop("immediate")
            t0 = time.monotonic()
            try:
                look_during_gap()
            finally:
                pg.start()
                during["gap_s"] = round(time.monotonic() - t0, 2)
                h.log("PostgreSQL: started again after %.2f s" % during["gap_s"])

        def look_during_gap():
            time.sleep(0.5)
            # What a client and an operator see while the database is away.
            r = j.send(h.ship_message(999999, "gap"))
            during["send"] = (r.status, r.header("Retry-After"), r.body[:200])
            during["healthz"] = j.get_raw("/healthz").status
            during["readyz"] = j.get_raw("/readyz").status
            ch = j.call("GET", "/v1/channels")
            during["channels"] = ch.status
            during["channels_body"] = ch.body[:300]
            time.sleep(2.0)

        st.at(int(N * 0.3), lambda: threading.Thread(target=restart_database, daemon=True).start())
        st.run()
        h.log(st.describe())
        h.log("during the gap: %s" % json.dumps(during, ensure_ascii=False, default=str))
        R.check("a POST while the database is away: 503 with Retry-After",
                during.get("send", (0,))[0] == 503 and during["send"][1] == "1", during.get("send"))
        R.check_eq("/healthz while the database is away: 200", during.get("healthz"), 200)
        R.check_eq("/readyz while the database is away: 503", during.get("readyz"), 503)
        R.check_eq("GET /v1/channels while the database is away: 200 from memory", during.get("channels"), 200)
        R.check("the stream's clients saw 503 during the gap", 503 in st.errors, st.errors)
        accepted = st.accepted_ids()
        R.check("after retries, the stream was accepted (%d of %d)" % (len(accepted), N), len(accepted) >= 0.98 * N,
                st.counts())
        h.account(R, "database restarted mid-stream", sim, j, accepted, 120)
        R.check("jarip is ready again by itself", h.wait_for(lambda: j.get_raw("/readyz").status == 200, 15,
                                                             what="ready"))
        r = j.send(h.ship_message(1, "after"))
        R.check_eq("a message after the restart: 202", r.status, 202)
        if r.status == 202:
            R.check("and it is delivered", j.wait_state(r.json()["id"], "delivered", 20))
        R.check_eq("SIGTERM: exit 0", j.sigterm(), 0)
        sim.stop()
        pg.stop()
    b.exit()


if __name__ == "__main__":
    main()
