"""Two jarip nodes on one PostgreSQL: a stream spread over both, kill -9 of one node in the middle.

Every message answered 202 by either node must be delivered exactly once per the simulator's raw
record (or be explained by an attempt jarip recorded as ambiguous), and the survivor must take over
the leases of the dead node. Also: idempotency keys hold across nodes, and GET /v1/channels on any
node shows the cluster's view.
"""

import json
import os
import time

import harness as h
import pg_fixture
from console_client import Operator, create_operator

N = int(os.environ.get("JARIP_CLUSTER_MESSAGES", "10000"))
RATE = float(os.environ.get("JARIP_CLUSTER_RATE", "1500"))
CLIENTS = 16


def node_config(url):
    # Short leases so that the dead node's messages are taken over within seconds.
    return {"storage.url": url, "public.link_secret": h.IT_LINK_SECRET, "delivery.lease_s": 3}


def main():
    args = h.parse_args()
    with h.Bench("pg_cluster", args) as b:
        R = b.results
        pg = pg_fixture.PgServer("pg-cluster").init().start()
        url = pg.create_database()
        sim = b.sim()
        a = b.jarip(sim, name="a", overrides=node_config(url))
        c = b.jarip(sim, name="b", overrides=node_config(url))
        # Reports go to the node that survives, as a load balancer would send them to a live node.
        sim.start(c.port)
        a.start()
        c.key = a.key  # one database, one set of API keys
        c.start()

        # --- idempotency across nodes ---------------------------------------------------------
        msg = h.ship_message(0, "idem")
        r1 = a.send(msg, headers={"Idempotency-Key": "cross-node-1"})
        r2 = c.send(msg, headers={"Idempotency-Key": "cross-node-1"})
        R.check_eq("idempotency: first node answers 202", r1.status, 202)
        R.check("idempotency: the other node answers the same id for the same key",
                r2.status == 202 and r2.json().get("id") == r1.json().get("id"), (r2.status, r2.body[:200]))
        other = dict(msg)
        other["vars"] = {"name": "다른 사람", "order": "X-1"}
        r3 = c.send(other, headers={"Idempotency-Key": "cross-node-1"})
        R.check_eq("idempotency: the same key with another body on the other node: 409", r3.status, 409)

        # --- the cluster's view ----------------------------------------------------------------
        def two_nodes():
            view = c.channels().get("cluster") or {}
            return len(view.get("nodes", [])) == 2 and all(n.get("providers") for n in view["nodes"])
        R.check("GET /v1/channels on either node lists both nodes", h.wait_for(two_nodes, 10, what="two nodes"),
                json.dumps(c.channels().get("cluster"), ensure_ascii=False)[:400])
        view = a.channels()
        prov = ((view.get("cluster") or {}).get("providers") or {}).get("solapi") or {}
        R.check_eq("cluster view: solapi seen by 2 nodes", prov.get("nodes"), 2)
        if prov.get("nodes") != 2:
            h.log("cluster view: %s" % json.dumps(view, ensure_ascii=False)[:1500])
        # --- the status page is the cluster's, on either node ---------------------------------------
        notice = {"title_ko": "점검 안내", "title_en": "Maintenance", "severity": "info"}
        create_operator(a, "owner@shop.example", "correct horse battery", "owner")
        owner = Operator(a, "owner@shop.example", "correct horse battery")
        R.check_eq("the console signs in on node a", owner.login().status, 200)
        R.check_eq("a status notice written on node a", owner.post("/console/api/notices", notice).status, 201)
        elsewhere = Operator(c, "owner@shop.example", "correct horse battery")
        elsewhere.cookie, elsewhere.csrf = owner.cookie, owner.csrf
        R.check_eq("the same session works on node b (sessions live in the database)",
                   elsewhere.get("/console/api/session").status, 200)

        def same_status():
            sa = h.http_request(a.url + "/status.json").json() or {}
            sb = h.http_request(c.url + "/status.json").json() or {}
            return sa.get("version") and sa.get("version") == sb.get("version") and \
                any(n["title"]["ko"] == "점검 안내" for n in sb.get("notices", []))
        R.check("both nodes serve the same status with the notice", h.wait_for(same_status, 15, what="same status"))
        a_node = [n["node"] for n in view["cluster"]["nodes"] if n.get("self")]

        # --- stream over both, kill -9 one ------------------------------------------------------
        st = h.Stream(a, N, RATE, CLIENTS, tag="cl")
        st.targets = [a, c]
        held_by_dead = []

        def kill_a():
            rc = a.kill9()
            h.log("kill -9 node a (rc %s)" % rc)
            if a_node:
                rows = pg.psql("SELECT count(*) FROM messages WHERE lease_owner = '%s' AND state IN "
                               "('accepted','held','sending','sent')" % a_node[0], db="jarip")
                held_by_dead.append(int(rows or 0))
                h.log("messages leased to the dead node at the kill: %s" % rows)

        st.at(int(N * 0.4), kill_a)
        st.run()
        h.log(st.describe())
        accepted = st.accepted_ids()
        R.check("most of the stream answered 202 (%d of %d)" % (len(accepted), N), len(accepted) >= 0.95 * N,
                st.counts())
        R.check("some messages were leased to the dead node when it died (%s)" % held_by_dead,
                bool(held_by_dead) and held_by_dead[0] > 0)
        nums, counts, missing = h.account(R, "two nodes, kill -9 one", sim, c, accepted, 120)
        if a_node:
            left = pg.psql("SELECT count(*) FROM messages WHERE lease_owner = '%s' AND state IN "
                           "('accepted','held','sending','sent')" % a_node[0], db="jarip")
            R.check_eq("the survivor took over every lease of the dead node", left, "0")
        by_node = pg.psql("SELECT count(DISTINCT lease_owner) FROM messages", db="jarip")
        h.log("distinct lease owners recorded: %s" % by_node)

        # the dead node drops out of the cluster's view
        def one_node():
            view = c.channels().get("cluster") or {}
            return len(view.get("nodes", [])) == 1
        R.check("after the kill, the cluster view shows one live node", h.wait_for(one_node, 20, what="one node"))
        h.log("numbers %s" % json.dumps(nums))
        rc = c.sigterm()
        R.check_eq("SIGTERM of the survivor: exit 0", rc, 0)
        sim.stop()
        pg.stop()
    b.exit()


if __name__ == "__main__":
    main()
