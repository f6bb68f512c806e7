"""A private PostgreSQL cluster a test may stop and restart (the machine's server on 5432 is never
touched): `initdb` into a temporary folder, trust authentication on a free loopback port.

PostgreSQL refuses to run as root, so when the test runs as root (the CI container) the server
commands run as the `postgres` user, as bench/peer.py does; otherwise as the current user.
"""

import contextlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tests.processes import free_port


def _pg_bin(name: str) -> str | None:
    """`initdb` and `pg_ctl` from PATH, else from the newest /usr/lib/postgresql/<v>/bin."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    return next((str(v / name) for v in versions if (v / name).exists()), None)


def available() -> str:
    """Why a private cluster cannot be made here ("" if it can)."""
    for tool in ("initdb", "pg_ctl"):
        if _pg_bin(tool) is None:
            return f"{tool} is not installed (apt-get install -y postgresql)"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a postgres user to run the server as"
    return ""


@dataclass
class PrivateCluster:
    port: int = field(default_factory=free_port)
    root: Path | None = None
    user: str = "postgres"  # the superuser initdb creates; trust authentication

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def url(self, db: str) -> str:
        return f"postgres://{self.user}@127.0.0.1:{self.port}/{db}"

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        command = [str(a) for a in args]
        if os.geteuid() == 0:
            # As the postgres user (`su` with one quoted command line): our own fixed arguments.
            import shlex

            command = ["su", "postgres", "-c", shlex.join(command)]
        return subprocess.run(  # noqa: S603 - fixed programs, our own arguments
            command, capture_output=True, text=True, timeout=timeout, check=True
        )

    def init(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="desk-pg-"))
        self.data.mkdir(mode=0o700)
        if os.geteuid() == 0:
            for path in (self.root, self.data):
                shutil.chown(path, "postgres", "postgres")
        self._run(
            _pg_bin("initdb"),
            "-D",
            self.data,
            "-U",
            self.user,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.root}'\n"
                # Small and quick: a test cluster, not a benchmark one.
                "shared_buffers = 32MB\nfsync = off\nmax_connections = 50\n"
            )

    def start(self) -> None:
        self._run(_pg_bin("pg_ctl"), "-D", self.data, "-l", self.log, "-w", "-t", "30", "start")

    def restart(self) -> None:
        """Stop with `-m fast` (open sessions are cut off, as in a failover or an upgrade) and
        start again; returns once the server accepts connections."""
        self._run(
            _pg_bin("pg_ctl"), "-D", self.data, "-l", self.log, "-w", "-t", "30", "-m", "fast",
            "restart",
        )  # fmt: skip

    def stop(self) -> None:
        if self.root is None or not (self.data / "postmaster.pid").exists():
            return
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self._run(_pg_bin("pg_ctl"), "-D", self.data, "-w", "-t", "30", "-m", "fast", "stop")

    def destroy(self) -> None:
        self.stop()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def server_log(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def psql(self, sql: str, db: str = "postgres") -> str:
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user=self.user, dbname=db)
        conn.autocommit = True
        try:
            with conn.cursor() as cursor:
                cursor.execute(sql)
                return str(cursor.fetchall()) if cursor.description else ""
        finally:
            conn.close()
