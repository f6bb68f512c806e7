"""The load-test machinery shared by bench/run.py (`make bench`) and bench/compare.py.

One endpoint is measured like this (Server + measure_*):
1. drain: wait until the gunicorn workers have stopped using CPU and then answer a cheap probe
   request each, fast; so the queue a previous wrk run left in the listen backlog is gone;
2. warm up: one request per worker (its time decides the mode), then a short wrk run whose
   figures are thrown away, then drain again; the workers' peak RSS is reset (clear_refs 5);
3. measure: `runs` wrk runs (-t2 -c8 by default), each followed by a drain; medians are kept.
   An endpoint whose warm request takes longer than --slow-ms is timed with sequential requests
   instead (wrk's figures would be a handful of requests), each bounded by --seq-timeout; a
   request that runs into it is recorded as a timeout and the server is restarted.
"""

import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
PY = str(ROOT / ".venv" / "bin" / "python")


def sh(cmd, env=None, *, cwd=ROOT, timeout=7200, capture=True, check=True):
    result = subprocess.run(
        cmd, cwd=cwd, env=env, timeout=timeout, text=True, capture_output=capture, check=False
    )
    if check and result.returncode:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{(result.stderr or '')[-3000:]}")
    return result.stdout


def last_json(text: str):
    return json.loads(text.strip().splitlines()[-1])


def psql(sql: str, *, port: int, db: str = "postgres", host: str = "127.0.0.1") -> str:
    cmd = ["psql", "-h", host, "-p", str(port), "-U", "postgres", "-d", db, "-XAtqc", sql]
    return sh(cmd).strip()


# --- one HTTP request -------------------------------------------------------------------------


def one_request(port, method, path, body=None, headers=None, timeout=60.0):
    """(status, ms); status None when the request ran into `timeout`."""
    conn = HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.perf_counter()
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        response.read()
        return response.status, (time.perf_counter() - started) * 1000
    except TimeoutError:
        return None, (time.perf_counter() - started) * 1000
    finally:
        conn.close()


# --- the server -------------------------------------------------------------------------------


class Server:
    """gunicorn (sync workers) on 127.0.0.1, in its own process group, stopped by that group."""

    def __init__(self, name, *, python, app, cwd, env, port, workers=2, timeout=120, probe="/"):
        self.name, self.python, self.app, self.cwd = name, python, app, cwd
        self.env, self.port, self.workers, self.timeout, self.probe = (
            env,
            port,
            workers,
            timeout,
            probe,
        )
        self.proc = None
        self.restarts = 0

    def start(self):
        cmd = [
            self.python,
            "-m",
            "gunicorn",
            self.app,
            "-w",
            str(self.workers),
            "-k",
            "sync",
            "-b",
            f"127.0.0.1:{self.port}",
            "--timeout",
            str(self.timeout),
            "--log-level",
            "warning",
            # Two servers run at once here (ours and the peer's); gunicorn's default control
            # socket is one path per user, which the second would take over.
            "--no-control-socket",
        ]
        # Its log (e.g. one line per 4xx) goes to a file, not between the result lines.
        self.log = Path(tempfile.gettempdir()) / f"bench-{self.name}-{self.port}.log"
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen(
                cmd,
                cwd=self.cwd,
                env=self.env,
                start_new_session=True,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"{self.name}: gunicorn exited with {self.proc.returncode}")
            try:
                one_request(self.port, "GET", self.probe, timeout=5)
                if len(self.pids()) >= self.workers:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        sys.exit(f"{self.name}: gunicorn did not answer on port {self.port}")

    def stop(self, quick=False):
        """SIGTERM (graceful) to the process group; SIGQUIT (quick: a worker stuck in a request
        exits at once) for a restart after a timeout."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGQUIT if quick else signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.proc = None

    def restart(self):
        self.stop(quick=True)
        self.restarts += 1
        return self.start()

    # /proc of the workers

    def pids(self) -> list[int]:
        try:
            kids = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in kids.split()]

    def memory(self) -> dict:
        """{pid: {"rss_mb", "peak_rss_mb"}} from VmRSS / VmHWM."""
        out = {}
        for pid in self.pids():
            try:
                lines = Path(f"/proc/{pid}/status").read_text().splitlines()
            except OSError:
                continue
            status = dict(line.split(":", 1) for line in lines if ":" in line)
            out[pid] = {
                "rss_mb": round(int(status["VmRSS"].split()[0]) / 1024, 1),
                "peak_rss_mb": round(int(status["VmHWM"].split()[0]) / 1024, 1),
            }
        return out

    def reset_peaks(self) -> bool:
        """Reset each worker's VmHWM (Linux: `echo 5 > /proc/PID/clear_refs`, needs the owner)."""
        ok = True
        for pid in self.pids():
            try:
                Path(f"/proc/{pid}/clear_refs").write_text("5")
            except OSError:
                ok = False
        return ok

    def cpu_ticks(self) -> int:
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime + stime
        return total

    def _probe(self, times: list) -> None:
        try:
            status, ms = one_request(self.port, "GET", self.probe, timeout=5)
            times.append(ms if status else 1e9)
        except OSError:
            times.append(1e9)

    def drain(self, max_wait=180.0) -> float:
        """Wait until the workers are idle (CPU still, then every worker answers the probe within
        250 ms at once). Returns the seconds waited."""
        started = time.monotonic()
        deadline = started + max_wait
        while time.monotonic() < deadline:
            before = self.cpu_ticks()
            time.sleep(0.25)
            if self.cpu_ticks() != before:
                continue
            times = []
            threads = [
                threading.Thread(target=self._probe, args=(times,)) for _ in range(self.workers)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if max(times) < 250:
                return round(time.monotonic() - started, 2)
        return round(time.monotonic() - started, 2)


# --- measuring --------------------------------------------------------------------------------


def wrk(port, endpoint, *, seconds, conns, threads, cookie, headers):
    hdrs = {**headers, **endpoint.get("headers", {})}
    env = dict(
        os.environ,
        BENCH_METHOD=endpoint.get("method", "GET"),
        BENCH_BODY=json.dumps(endpoint["body"]) if endpoint.get("body") else "",
        BENCH_COOKIE=cookie,
        BENCH_HEADERS="|".join(f"{k}: {v}" for k, v in hdrs.items()),
        # A form post (the public survey page) and, for a script that walks them, its paths.
        BENCH_FORM=urlencode(endpoint["form"]) if endpoint.get("form") else "",
        BENCH_PATHS=endpoint.get("links_file", ""),
        BENCH_THREADS=str(threads),
    )
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{conns}",
        f"-d{seconds}s",
        "--timeout",
        "30s",
        "-s",
        str(BENCH / endpoint.get("script", "report.lua")),
        f"http://127.0.0.1:{port}{endpoint['path']}",
    ]
    out = subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=seconds + 90, check=False
    )
    line = next((x for x in out.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if not line:
        return {"error": (out.stdout + out.stderr)[-500:]}
    return json.loads(line[8:])


def _request_args(endpoint, cookie, headers, n=0):
    """The n-th single request's method, path, body and headers: an endpoint whose requests
    each need a path of their own (a survey link answers once) gives `warm_paths`."""
    hdrs = {"Cookie": cookie, **headers, **endpoint.get("headers", {})}
    body = None
    if endpoint.get("form"):
        body = urlencode(endpoint["form"])
        hdrs["Content-Type"] = "application/x-www-form-urlencoded"
    elif endpoint.get("body"):
        body = json.dumps(endpoint["body"])
        hdrs["Content-Type"] = "application/json"
    paths = endpoint.get("warm_paths") or [endpoint["path"]]
    return endpoint.get("method", "GET"), paths[n % len(paths)], body, hdrs


class Measure:
    """The state of one endpoint on one server, so runs of two servers can alternate."""

    def __init__(self, server: Server, endpoint: dict, session: dict, opts):
        self.server, self.endpoint, self.opts = server, endpoint, opts
        self.cookie, self.headers = session["cookie"], session.get("headers", {})
        self.runs, self.row, self.mode = [], {}, "wrk"
        self.drains = []

    def prepare(self):
        opts, server = self.opts, self.server
        self.drains.append(server.drain())
        warm = []
        for n in range(server.workers):
            method, path, body, hdrs = _request_args(self.endpoint, self.cookie, self.headers, n)
            status, ms = one_request(server.port, method, path, body, hdrs, opts.seq_timeout)
            warm.append((status, round(ms, 1)))
            if status is None:
                break
        self.row.update(warm_status=warm[-1][0], warm_ms=warm[-1][1])
        if warm[-1][0] is None:
            self.mode = "timeout"
            self.row.update(
                mode=f"timed out: no answer within {opts.seq_timeout:.0f} s",
                timeout_s=opts.seq_timeout,
                workers=server.memory(),
            )
            server.restart()
            return
        if warm[-1][1] > opts.slow_ms:  # the last, warm one (as the peer's harness does)
            self.mode = "sequential"
        elif opts.warmup > 0:
            wrk(
                server.port,
                self.endpoint,
                seconds=opts.warmup,
                **self.load(),
                cookie=self.cookie,
                headers=self.headers,
            )
            self.drains.append(server.drain())
        self.row["peak_reset"] = server.reset_peaks()

    def load(self) -> dict:
        """wrk's connections and threads: the run's, or the endpoint's own "conns" (one client
        at a time, say), with no more threads than connections."""
        conns = self.endpoint.get("conns", self.opts.conns)
        return {"conns": conns, "threads": min(self.opts.threads, conns)}

    def once(self):
        """One measured run (wrk, or `seq` sequential requests), then a drain."""
        opts, server = self.opts, self.server
        if self.mode == "timeout" or (self.mode == "sequential" and self.runs):
            return  # slow endpoints are timed once, not once per run
        if self.mode == "sequential":
            method, path, body, hdrs = _request_args(self.endpoint, self.cookie, self.headers)
            lat, statuses = [], []
            for _ in range(opts.seq):
                status, ms = one_request(server.port, method, path, body, hdrs, opts.seq_timeout)
                statuses.append(status)
                lat.append(ms)
                if status is None:
                    break
            if None in statuses:
                self.row.update(timeout_s=opts.seq_timeout, workers=server.memory())
                self.runs.append({"timeout": True, "latencies_ms": lat})
                server.restart()
                return
            self.runs.append(
                {
                    "requests": len(lat),
                    "rps": round(1000 / statistics.mean(lat), 3),
                    "p50_ms": round(statistics.median(lat), 1),
                    "p95_ms": round(max(lat), 1),
                    "non2xx": sum(1 for s in statuses if s >= 400),
                    "errors": 0,
                }
            )
        else:
            result = wrk(
                server.port,
                self.endpoint,
                seconds=opts.duration,
                **self.load(),
                cookie=self.cookie,
                headers=self.headers,
            )
            self.drains.append(server.drain())
            if result.get("requests", 0) < self.load()["conns"]:
                # Fewer answers than connections: wrk's figures would mean nothing (and the
                # unanswered ones are not in its latencies). Time it sequentially instead.
                self.row["wrk_too_few"] = result
                self.mode = "sequential"
                self.runs = []
                self.once()
                return
            self.runs.append(result)
            return
        self.drains.append(server.drain())

    def result(self) -> dict:
        opts = self.opts
        ok = [r for r in self.runs if "rps" in r]
        row = {
            "name": self.endpoint["name"],
            "label": self.endpoint.get("label", self.endpoint["name"]),
            "path": self.endpoint["path"],
            **self.row,
        }
        if self.mode == "wrk":
            load = self.load()
            row["mode"] = f"wrk -t{load['threads']} -c{load['conns']} -d{opts.duration}s x{len(ok)}"
        elif self.mode == "sequential":
            row.setdefault("mode", f"sequential x{opts.seq}, 1 conn")
        if ok:
            row.update(
                rps=round(statistics.median(r["rps"] for r in ok), 2),
                p50_ms=round(statistics.median(r["p50_ms"] for r in ok), 1),
                p95_ms=round(statistics.median(r["p95_ms"] for r in ok), 1),
                non2xx=sum(r.get("non2xx", 0) for r in ok),
                errors=sum(r.get("errors", 0) for r in ok),
            )
        elif self.runs and self.runs[-1].get("timeout"):
            row["mode"] = f"sequential: timed out after {opts.seq_timeout:.0f} s"
        if "workers" not in row:
            row["workers"] = self.server.memory()
        peaks = [m["peak_rss_mb"] for m in row["workers"].values()]
        row["peak_rss_mb"] = max(peaks) if peaks else None
        row["drain_s"] = self.drains
        row["runs"] = self.runs
        return row


def measure(server, endpoint, session, opts) -> dict:
    m = Measure(server, endpoint, session, opts)
    m.prepare()
    for _ in range(opts.runs):
        m.once()
    return m.result()


def add_measure_options(ap):
    ap.add_argument("--duration", type=int, default=20, help="seconds per wrk run")
    ap.add_argument("--runs", type=int, default=3, help="wrk runs per endpoint (median)")
    ap.add_argument("--warmup", type=int, default=3, help="seconds of discarded wrk warm-up")
    ap.add_argument("--conns", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    ap.add_argument("--only", default="", help="comma-separated endpoint names")
    ap.add_argument(
        "--slow-ms",
        type=float,
        default=3000,
        help="a warm request slower than this is timed sequentially instead of with wrk",
    )
    ap.add_argument("--seq", type=int, default=3, help="sequential requests for slow endpoints")
    ap.add_argument("--seq-timeout", type=float, default=30, help="client timeout, seconds")


# --- the machine, PostgreSQL and the data ------------------------------------------------------


def machine() -> dict:
    meminfo = dict(
        line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines() if ":" in line
    )
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "mem_gb": round(int(meminfo["MemTotal"].split()[0]) / 1024 / 1024, 1),
        "kernel": platform.release(),
        "loadavg_at_start": os.getloadavg(),
        "python": platform.python_version(),
        "wrk": sh(["wrk", "-v"], check=False).split(" Copyright")[0].strip(),
    }


PG_SETTINGS = (
    "shared_buffers",
    "work_mem",
    "effective_cache_size",
    "jit",
    "autovacuum",
    "random_page_cost",
    "max_connections",
)


def postgres(port: int) -> dict:
    names = ",".join(f"'{n}'" for n in PG_SETTINGS)
    rows = psql(
        "SELECT name, setting, coalesce(unit, '') FROM pg_settings "  # noqa: S608 - our own names, via psql
        f"WHERE name IN ({names}) ORDER BY name",
        port=port,
    )
    settings = {}
    for line in rows.splitlines():
        name, value, unit = line.split("|")
        if unit == "8kB":
            value = f"{int(value) * 8 // 1024}MB"
        elif unit == "kB":
            value = f"{int(value) // 1024}MB" if int(value) >= 1024 else f"{value}kB"
        settings[name] = value
    version = psql("SHOW server_version", port=port)
    return {"port": port, "version": version, "settings": settings}


def db_comment(db: str, port: int) -> dict | None:
    comment = psql(
        f"SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '{db}'",  # noqa: S608 - our own names, via psql
        port=port,
    )
    try:
        return json.loads(comment)
    except (TypeError, ValueError):
        return None


def db_exists(db: str, port: int) -> bool:
    return bool(psql(f"SELECT 1 FROM pg_database WHERE datname = '{db}'", port=port))  # noqa: S608 - our own names, via psql


# --- helpers for the tables -------------------------------------------------------------------


def label(records: int) -> str:
    return f"{records // 1000}k"


def save(name: str, data) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / name
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False, default=str))
    return path
