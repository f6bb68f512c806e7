"""Side by side with django-helpdesk 2.6.1 (the peer), in one go, on the same PostgreSQL.

    make bench-compare                                            # 100k, 3 runs x 20 s each
    .venv/bin/python bench/compare.py --duration 3 --runs 1 --reuse

1. the peer per ../shared/peer-bench/reproduce.sh (bench/peer.py): venv, private PostgreSQL 15
   cluster on 127.0.0.1:55432 under $PEER_WORKDIR (default /tmp/peer-bench), `hd_100k`;
2. our `desk_bench_100k` loaded into that same cluster (so both run on the same settings:
   shared_buffers=512MB, autovacuum and jit on; our main cluster differs), reused with --reuse;
3. both gunicorns up (ours :8812, the peer :8811, 2 sync workers each); for every matching pair
   the two endpoints are warmed, then their wrk runs alternate, ours then the peer's, each
   followed by a drain (bench/harness.py). A peer endpoint slower than --slow-ms is timed with
   sequential requests, each bounded by --seq-timeout (its API list at 100k: timeout);
4. raw JSON to bench/results/compare_100k.json; bench/RESULTS.md rewritten with ours ÷ peer.
"""

import argparse
import json
import shutil
import sys
import time

import harness
import peer
import results_md
import run
from harness import ROOT, label


def peer_server(db: str, args) -> harness.Server:
    return harness.Server(
        "peer",
        python=str(peer.PY),
        app=peer.WSGI,
        cwd=peer.SITE,
        env=peer.peer_env(db),
        port=args.peer_port,
        workers=args.workers,
        probe="/",
    )


def peer_prepare(records: int, args) -> dict:
    info = peer.setup(records, reuse=args.reuse)
    db = peer.db_name(records)
    sess = peer.session(db)
    v = sess["vars"]
    eps = [e for e in peer.endpoints() if e["name"] in set(peer.PAIRS.values())]
    formatted = []
    for e in eps:
        e = dict(e, path=e["path"].format(**v))
        if e.get("body"):
            e["body"] = {
                k: x.format(**v) if isinstance(x, str) else x for k, x in e["body"].items()
            }
        formatted.append(e)
    print("peer: counting queries in-process (its own counter)...", flush=True)
    # Its API list runs one query per ticket (100k at 100k): counted once, it takes ~1 min.
    queries = {} if args.no_peer_count else peer.count_queries(db, eps, sess)
    cookie = "; ".join(f"{k}={x}" for k, x in sess["cookies"].items())
    return {
        "db": db,
        "load": info,
        "session": {"cookie": cookie, "headers": sess["headers"]},
        "endpoints": formatted,
        "queries": queries,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--reuse", action="store_true", help="keep already loaded databases")
    ap.add_argument("--port", type=int, default=8812)
    ap.add_argument("--peer-port", type=int, default=8811)
    ap.add_argument(
        "--no-peer-count", action="store_true", help="skip the peer's in-process query count"
    )
    harness.add_measure_options(ap)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    pairs = {o: p for o, p in peer.PAIRS.items() if not args.only or o in args.only.split(",")}

    peer.ensure_cluster()
    args.db_port = peer.PORT  # our data in the peer's cluster: the same PostgreSQL settings
    args.only = ",".join(["floor", *pairs])
    ours = run.prepare_desk(args.records, args)
    theirs = peer_prepare(args.records, args)
    peer_eps = {e["name"]: e for e in theirs["endpoints"]}
    our_eps = {e["name"]: e for e in ours["endpoints"]}

    desk = run.desk_server(ours["env"], args).start()
    hd = peer_server(theirs["db"], args).start()
    rows_ours, rows_peer, out_pairs = [], [], []
    try:
        floor = harness.measure(desk, our_eps["floor"], ours["session"], args)
        rows_ours.append(run.with_queries(floor, ours["queries"]))
        for ours_name, peer_name in pairs.items():
            a = harness.Measure(desk, our_eps[ours_name], ours["session"], args)
            b = harness.Measure(hd, peer_eps[peer_name], theirs["session"], args)
            a.prepare()
            b.prepare()
            for _ in range(args.runs):
                a.once()
                b.once()
            ra = run.with_queries(a.result(), ours["queries"])
            rb = run.with_queries(b.result(), theirs["queries"])
            rows_ours.append(ra)
            rows_peer.append(rb)
            value = ra["rps"] / rb["rps"] if ra.get("rps") and rb.get("rps") else None
            out_pairs.append({"ours": ours_name, "peer": peer_name, "ratio": value})
            print_pair(ra, rb, value)
    finally:
        desk.stop()
        hd.stop()
    cleaned_ours = harness.last_json(
        harness.sh([harness.PY, "bench/session.py", "--cleanup"], ours["env"])
    )
    cleaned_peer = peer.cleanup(theirs["db"])
    result = {
        "kind": "compare",
        "label": label(args.records),
        "records": args.records,
        "started": started,
        "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
        "command": " ".join(sys.argv),
        "options": vars(args),
        "machine": harness.machine(),
        "peer_postgres": harness.postgres(peer.PORT),
        "ours_load": ours["built"],
        "ours_volume": run.volume(ours["built"]["db"], peer.PORT),
        "ours_facts": ours["session"].get("facts", {}),
        "peer_db": theirs["db"],
        "peer_load": theirs["load"],
        "peer_volume": peer.volume(theirs["db"]),
        "pairs": out_pairs,
        "ours": rows_ours,
        "peer": rows_peer,
        "write_cleanup": {"ours": cleaned_ours, "peer": cleaned_peer},
        "server_restarts": {"ours": desk.restarts, "peer": hd.restarts},
    }
    path = harness.save(f"compare_{label(args.records)}.json", result)
    print()
    print(results_md.compare_table(result))
    print(f"\nresults: {path.relative_to(ROOT)}; wrote {results_md.write().relative_to(ROOT)}")


def print_pair(ra, rb, value):
    keep = ("name", "rps", "p50_ms", "p95_ms", "queries", "peak_rss_mb", "mode")
    print(
        json.dumps(
            {
                "ours": {k: ra.get(k) for k in keep},
                "peer": {k: rb.get(k) for k in keep} | {"timeout_s": rb.get("timeout_s")},
                "ours/peer rps": round(value, 2) if value else None,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
