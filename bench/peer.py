"""The peer for side-by-side runs: django-helpdesk 2.6.1, set up per ../shared/peer-bench.

    python bench/peer.py setup --tickets 100000 [--reuse]   # venv, private cluster, hd_100k
    python bench/peer.py status                            # cluster up? databases and sizes
    python bench/peer.py stop                              # stop the private cluster

The steps of /work/shared/peer-bench/reproduce.sh (which stays untouched): copies its site/ and
bench/ to $PEER_WORKDIR (default /tmp/peer-bench), a venv from its requirements-freeze.txt, a
private PostgreSQL 15 cluster on 127.0.0.1:55432 (trust auth, shared_buffers=512MB, run as the
postgres user; needs root), one database per size `hd_<N/1000>k` (migrate, e-mail templates,
gen_helpdesk_data). bench/compare.py loads our data into the same cluster, so both run on the
same PostgreSQL settings.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("PEER_SHARED", ROOT.parent / "shared" / "peer-bench"))
WORKDIR = Path(os.environ.get("PEER_WORKDIR", "/tmp/peer-bench"))  # noqa: S108
PG_BIN = Path("/usr/lib/postgresql/15/bin")
HOST, PORT = "127.0.0.1", 55432
PY = WORKDIR / "venv" / "bin" / "python"
SITE = WORKDIR / "site"
WSGI = "hdsite.wsgi:application"

# Our endpoint name -> the peer's, for the ratios (ours ÷ peer).
PAIRS = {
    "my_work": "dashboard",
    "record_list": "list_data_json",
    "record_detail": "ticket_detail",
    "api_records": "api_list",
    "api_record_create": "api_create",
}


def run(cmd, *, env=None, cwd=None, timeout=3600, check=True, capture=True):
    result = subprocess.run(
        cmd, env=env, cwd=cwd, timeout=timeout, text=True, capture_output=capture, check=False
    )
    if check and result.returncode:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{(result.stderr or '')[-3000:]}")
    return result


def as_postgres(cmd: str, **kw):
    return run(["su", "postgres", "-c", cmd], **kw)


def psql(sql: str, db: str = "postgres", **kw):
    cmd = ["psql", "-h", HOST, "-p", str(PORT), "-U", "postgres", "-d", db, "-XAtqc", sql]
    return run(cmd, **kw).stdout.strip()


def cluster_running() -> bool:
    pg = WORKDIR / "pgdata"
    if not (pg / "PG_VERSION").exists():
        return False
    return as_postgres(f"{PG_BIN}/pg_ctl -D {pg} status", check=False).returncode == 0


def ensure_cluster() -> None:
    """Venv, cluster and server, each only if missing (reproduce.sh steps 1-2)."""
    WORKDIR.mkdir(parents=True, exist_ok=True)
    for part in ("site", "bench"):
        if not (WORKDIR / part).exists():
            shutil.copytree(SHARED / part, WORKDIR / part)
    if not (WORKDIR / "requirements-freeze.txt").exists():
        shutil.copy(SHARED / "requirements-freeze.txt", WORKDIR)
    if not shutil.which("wrk") or not (PG_BIN / "initdb").exists():
        run(["apt-get", "install", "-y", "-qq", "postgresql", "wrk"], timeout=900)
    if not PY.exists():
        run([sys.executable, "-m", "venv", str(WORKDIR / "venv")])
    if run([str(PY), "-c", "import helpdesk, gunicorn, psycopg"], check=False).returncode:
        pip = str(WORKDIR / "venv" / "bin" / "pip")
        run([pip, "install", "-q", "-r", str(WORKDIR / "requirements-freeze.txt")], timeout=1800)
    pg, pgrun = WORKDIR / "pgdata", WORKDIR / "pgrun"
    if not (pg / "PG_VERSION").exists():
        for d in (pg, pgrun):
            d.mkdir(parents=True, exist_ok=True)
            shutil.chown(d, "postgres", "postgres")
        pg.chmod(0o700)
        as_postgres(f"{PG_BIN}/initdb -D {pg} -U postgres --auth=trust -E UTF8 --locale=C.UTF-8")
        with open(pg / "postgresql.conf", "a") as conf:
            conf.write(
                f"listen_addresses='{HOST}'\nport={PORT}\n"
                f"unix_socket_directories='{pgrun}'\nshared_buffers=512MB\n"
            )
    if not cluster_running():
        as_postgres(f"{PG_BIN}/pg_ctl -D {pg} -l {pgrun}/pg.log -w start")


def peer_env(db: str) -> dict:
    return dict(os.environ, PYTHONWARNINGS="ignore", HD_PGDB=db, HD_PGPORT=str(PORT))


def db_name(tickets: int) -> str:
    return f"hd_{tickets // 1000}k"


def load_info(db: str) -> dict | None:
    """What setup() recorded on the database (COMMENT ON DATABASE), if it finished loading."""
    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{db}'")  # noqa: S608 - our own names, via psql
    if not exists:
        return None
    comment = psql(
        f"SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '{db}'"  # noqa: S608 - our own names, via psql
    )
    try:
        return json.loads(comment)
    except (TypeError, ValueError):
        return None


def setup(tickets: int, reuse: bool = True) -> dict:
    """The peer's database with `tickets` tickets; reused if a finished load is there."""
    ensure_cluster()
    db = db_name(tickets)
    info = load_info(db)
    if reuse and info and info.get("tickets") == tickets:
        print(f"peer: reusing {db} (loaded in {info.get('load_s')} s)", flush=True)
        return info
    print(f"peer: loading {db} ({tickets} tickets)...", flush=True)
    psql(f"DROP DATABASE IF EXISTS {db}")
    psql(f"CREATE DATABASE {db}")
    env = peer_env(db)
    manage = [str(PY), "manage.py"]
    run([*manage, "migrate", "-v0"], env=env, cwd=SITE)
    run([*manage, "loaddata", "-v0", "emailtemplate.json"], env=env, cwd=SITE)
    started = time.monotonic()
    out = run([*manage, "gen_helpdesk_data", "--tickets", str(tickets)], env=env, cwd=SITE)
    match = re.search(r"load_s=([\d.]+)", out.stdout)
    info = {
        "tickets": tickets,
        "load_s": float(match.group(1)) if match else round(time.monotonic() - started, 1),
        "total_s": round(time.monotonic() - started, 1),
        "loaded_at": time.strftime("%Y-%m-%d %H:%M"),
    }
    psql(f"COMMENT ON DATABASE {db} IS '{json.dumps(info)}'")
    print(f"peer: {db} loaded: {info}", flush=True)
    return info


def volume(db: str) -> dict:
    rows = {}
    for table in ("helpdesk_ticket", "helpdesk_followup", "helpdesk_queue", "auth_user"):
        rows[table] = int(psql(f"SELECT count(*) FROM {table}", db=db))  # noqa: S608 - our own names, via psql
    size = psql(f"SELECT pg_size_pretty(pg_database_size('{db}'))", db=db)
    return {"rows": rows, "db_size": size, "load": load_info(db)}


def session(db: str) -> dict:
    out = run([str(PY), "manage.py", "bench_session"], env=peer_env(db), cwd=SITE)
    return json.loads(out.stdout.strip().splitlines()[-1])


def cleanup(db: str) -> dict:
    out = run([str(PY), "manage.py", "bench_session", "--cleanup"], env=peer_env(db), cwd=SITE)
    return json.loads(out.stdout.strip().splitlines()[-1])


def count_queries(db: str, endpoints: list[dict], sess: dict) -> dict:
    """The peer's own in-process counter (benchtools count_queries), then its cleanup."""
    tmp = WORKDIR / "bench"
    tmp.mkdir(exist_ok=True)
    (tmp / "compare.endpoints.json").write_text(json.dumps(endpoints))
    (tmp / "compare.vars.json").write_text(json.dumps(sess))
    out = run(
        [
            str(PY),
            "manage.py",
            "count_queries",
            str(tmp / "compare.endpoints.json"),
            str(tmp / "compare.vars.json"),
        ],
        env=peer_env(db),
        cwd=SITE,
        timeout=1800,
    )
    cleanup(db)
    return json.loads(out.stdout.strip().splitlines()[-1])


def endpoints() -> list[dict]:
    """The peer's endpoint list (its bench/endpoints_helpdesk.json), paths still templated."""
    return json.loads((SHARED / "bench" / "endpoints_helpdesk.json").read_text())


def stop() -> None:
    if cluster_running():
        as_postgres(f"{PG_BIN}/pg_ctl -D {WORKDIR / 'pgdata'} -m fast stop")
        print("peer cluster stopped")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("command", choices=["setup", "status", "stop"])
    ap.add_argument("--tickets", type=int, default=100_000)
    ap.add_argument("--reload", action="store_true", help="drop and reload even if loaded")
    args = ap.parse_args()
    if args.command == "setup":
        setup(args.tickets, reuse=not args.reload)
        print(json.dumps(volume(db_name(args.tickets))))
    elif args.command == "status":
        print(json.dumps({"workdir": str(WORKDIR), "running": cluster_running()}))
        if cluster_running():
            print(
                psql(
                    "SELECT datname, pg_size_pretty(pg_database_size(datname)) "
                    "FROM pg_database WHERE NOT datistemplate"
                )
            )
    else:
        stop()


if __name__ == "__main__":
    main()
