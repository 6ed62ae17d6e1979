"""A throw-away PostgreSQL for the group-store tests: Debian's server binaries, a temp data folder, a loopback port.

Runs as the `postgres` user when started by root (PostgreSQL refuses root). Stopped (and its folder removed) on exit.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def pg_bin(name: str) -> str:
    for d in BIN_DIRS:
        if (d / name).exists():
            return str(d / name)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} not found: install Debian's postgresql (.ci/run does)")
    return found


def available() -> bool:
    try:
        pg_bin("initdb")
    except RuntimeError:
        return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def postgres(dbname: str = "cockpit") -> Iterator[str]:
    """Start a private server; yield a libpq conninfo for database `dbname`; stop it."""
    root = Path(tempfile.mkdtemp(prefix="cockpit-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    as_user: list[str] = []
    user = "postgres"
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        for p in (root, sock):
            os.chown(p, pw.pw_uid, pw.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    else:
        user = pwd.getpwuid(os.geteuid()).pw_name
    port = free_port()
    log = root / "server.log"

    def run(*cmd: str) -> None:
        subprocess.run([*as_user, *cmd], check=True, capture_output=True, timeout=120)

    run(pg_bin("initdb"), "-D", str(data), "-A", "trust", "-U", user, "--no-sync", "-E", "UTF8")
    if as_user:
        os.chown(root, pwd.getpwnam("postgres").pw_uid, -1)
    opts = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    try:
        run(pg_bin("pg_ctl"), "-D", str(data), "-o", opts, "-l", str(log), "-w", "-t", "60", "start")
        run(pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", user, dbname)
        yield f"dbname={dbname} host=127.0.0.1 port={port} user={user}"
    finally:
        with contextlib.suppress(Exception):
            run(pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)
