"""Pages benchmark: every page served to headless Chromium on the demo store and on a large store the bench builds
itself (demo + 10M usage rows, 5,000 tasks, 1M cost lines, 20k risks at --scale 1), first view and rerun (median
of 5), the websocket payload of a first view, and the server's memory with five sessions.
`python -m bench.pages_bench --scale 0.01` for a quick try; `--reuse --db PATH` times a store built before.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from bench.overview_bench import WEEK, add_usage
from bench.schedule_bench import synthetic_plan
from loaders import store
from loaders.demo import build_demo
from loaders.store import rollups

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
FIRST_S = {"demo": 1.0, "large": 1.5}  # the ceilings: first view
RERUN_S = {"demo": 0.5, "large": 0.8}  # and rerun
RSS_MB = 600.0  # server memory with five sessions (large store)
PAGES = ("overview", "schedule", "money", "risks", "adoption", "benefits")
LEDGER_START = dt.date(2025, 6, 2)  # the demo programme's first month


def _new_import(con: duckdb.DuckDBPyConnection, dataset: str, rows: int, as_of: dt.date | None = None) -> int:
    row = con.execute("SELECT nextval('import_seq')").fetchone()
    assert row is not None
    import_id = int(row[0])
    con.execute(
        "INSERT INTO import_log (import_id, dataset, file_name, rows, imported_at, imported_by, status, as_of)"
        " VALUES (?, ?, 'bench', ?, now(), 'bench', 'loaded', ?)",
        [import_id, dataset, rows, as_of],
    )
    return import_id


def add_costs(path: Path, rows: int, contracts: int = 20_000) -> None:
    """`rows` cost lines over the demo's six projects in SQL: one signed line per contract, 5 % of contracts with
    a supplementary agreement (`…-补1`), the rest invoices and payments spread over the programme's months."""
    con = store.open_store(path)
    try:
        projects = [r[0] for r in con.execute("SELECT DISTINCT project FROM budget ORDER BY 1").fetchall()]
        cats = [r[0] for r in con.execute("SELECT DISTINCT category FROM budget ORDER BY 1").fetchall()]
        import_id = _new_import(con, "costs", rows)
        days = (WEEK - LEDGER_START).days
        signed = contracts + contracts // 20  # the first lines: each contract signed, then every 20th amended
        con.execute(
            """
            INSERT INTO cost_rows (import_id, superseded_by, row_no, date, project, category, vendor, amount, stage,
                                   reference, description)
            SELECT ?, NULL, i, ?::DATE + CAST(hash(i) % ? AS INTEGER), p[1 + k % len(p)], c[1 + k % len(c)],
                   '供应商' || CAST(k % 97 AS VARCHAR),
                   CASE WHEN i < ? THEN 50000 + (k % 50) * 1000 ELSE 10 + hash(i * 7) % 200000 / 100.0 END,
                   CASE WHEN i < ? THEN 'committed' WHEN (i // ?) % 2 = 0 THEN 'invoiced' ELSE 'paid' END,
                   'BH-' || CAST(k AS VARCHAR) || CASE WHEN i >= ? AND i < ? THEN '-补1' ELSE '' END,
                   'bench line ' || CAST(i AS VARCHAR)
            FROM (SELECT i, CASE WHEN i >= ? AND i < ? THEN (i - ?) * 20 ELSE i % ? END AS k,
                         ?::VARCHAR[] AS p, ?::VARCHAR[] AS c
                  FROM range(?) t(i))
            """,
            [import_id, LEDGER_START, days, signed, signed, contracts, contracts, signed,
             contracts, signed, contracts, contracts, projects, cats, rows],
        )  # fmt: skip
        store.bump_data_version(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()


BIG_PROJECT = "院区扩建信息化"  # the large store's extra project: a 5,000-task plan and its 20k-risk register


def add_plan(path: Path, tasks: int) -> None:
    """A `tasks`-task plan (schedule_bench's layered plan with 1.2 links a task) as one more project's snapshot."""
    plan = synthetic_plan(tasks, int(tasks * 1.2))
    plan["project"] = BIG_PROJECT
    plan["wbs"] = plan["task_id"].map(lambda t: f"1.{t}")
    plan["duration_days"] = [float((f - s).days) for s, f in zip(plan["start"], plan["finish"], strict=True)]
    plan["baseline_start"], plan["baseline_finish"] = plan["start"], plan["finish"]
    plan["is_milestone"], plan["is_gate"], plan["is_summary"] = False, False, False
    plan["outline_level"] = 2
    plan["phase"] = "实施"
    plan["links"] = [
        json.dumps([{"id": re.match(r"\d+", p).group(), "type": "FS", "lag": 0.0, "unit": "d"}  # type: ignore[union-attr]
                    for p in text.split(",")]) if isinstance(text, str) and text else None
        for text in plan["predecessors"]
    ]  # fmt: skip
    con = store.open_store(path)
    try:
        import_id = _new_import(con, "tasks", len(plan), WEEK)
        con.register("plan", plan)
        cols = ", ".join(c for c in plan.columns)
        con.execute(
            f"INSERT INTO task_rows (import_id, as_of, row_no, {cols}) SELECT ?, ?, 2, {cols} FROM plan",  # noqa: S608
            [import_id, WEEK],
        )
        store.bump_data_version(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()


def add_risks(path: Path, risks: int) -> None:
    """A `risks`-row register of the extra project (likelihood and impact spread over the 5x5 grid)."""
    con = store.open_store(path)
    try:
        import_id = _new_import(con, "risks", risks, WEEK)
        con.execute(
            """
            INSERT INTO risk_rows (import_id, as_of, row_no, risk_id, project, title, category, likelihood, impact,
                                   owner, mitigation, status, identified, last_review)
            SELECT ?, ?, i + 2, 'R-' || lpad(CAST(i AS VARCHAR), 6, '0'), ?, '风险事项 ' || CAST(i AS VARCHAR),
                   ['技术', '业务', '进度', '资金'][1 + i % 4], 1 + i % 5, 1 + (i // 5) % 5, '负责人' || CAST(i % 40 AS VARCHAR),
                   '应对措施', ['开放', '监控中', '已关闭'][1 + i % 3], ?::DATE - CAST(i % 300 AS INTEGER),
                   ?::DATE - CAST(i % 60 AS INTEGER)
            FROM range(?) t(i)
            """,
            [import_id, WEEK, BIG_PROJECT, WEEK, WEEK, risks],
        )
        store.bump_data_version(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()


def build_large(path: Path, scale: float) -> None:
    """The demo store plus the issue's large data, times `scale`; the usage rollups rebuilt (rows written by SQL
    here, not by the importer that keeps them)."""
    t0 = time.perf_counter()
    build_demo(path)
    add_usage(path, max(int(10_000_000 * scale), 2_000))
    add_costs(path, max(int(1_000_000 * scale), 25_000), contracts=max(int(20_000 * scale), 500))
    add_plan(path, max(int(5_000 * scale), 100))
    add_risks(path, max(int(20_000 * scale), 200))
    con = store.open_store(path)
    try:
        rollups.rebuild(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    print(f"built the large store (scale {scale}) in {time.perf_counter() - t0:.0f} s -> {path}", flush=True)


# ------------------------------------------------------------------ serving and measuring

ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(db: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true", "--server.port",
         str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env={**os.environ, "COCKPIT_DB": str(db)}, stdout=log.open("w"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"streamlit exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.read().strip() == b"ok":
                    return proc, url
        except OSError:
            time.sleep(0.3)
    raise SystemExit("streamlit did not become healthy within 120 s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


_WATCH = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    window.__runs = 0;
    new MutationObserver(() => {
        if (app.getAttribute('data-test-script-state') !== 'notRunning') window.__runs += 1;
    }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""
_DONE = """() => document.querySelector(
    '[data-testid="stApp"][data-test-script-state="notRunning"] [data-testid="stMain"] h1') !== null"""


def _view(context: Any, url: str) -> tuple[float, float, Any]:
    """Open a page in a new tab of `context`: (seconds until its first run finished and drew the page, websocket
    MB received by then, the tab)."""
    tab = context.new_page()
    received = [0]
    tab.on(
        "websocket", lambda ws: ws.on("framereceived", lambda data: received.__setitem__(0, received[0] + len(data)))
    )
    t0 = time.perf_counter()
    tab.goto(url)
    tab.wait_for_function(_DONE, timeout=600_000, polling=20)
    return time.perf_counter() - t0, received[0] / 1e6, tab


def _rerun(tab: Any) -> float:
    """A rerun of the open page (Streamlit's "R" shortcut), as any widget change makes: until it has run again."""
    tab.evaluate("() => document.activeElement && document.activeElement.blur()")  # keys go to the page
    tab.evaluate(_WATCH)
    t0 = time.perf_counter()
    tab.keyboard.press("r")
    tab.wait_for_function("() => window.__runs > 0 && (" + _DONE + ")()", timeout=600_000, polling=20)
    return time.perf_counter() - t0


def measure(db: Path, label: str, repeat: int, workdir: Path) -> list[dict[str, Any]]:
    """Each page: its very first view after the server started (every cache cold), then `repeat` first views in
    new sessions and `repeat` reruns (medians), the first view's websocket payload; then the server's RSS with five
    sessions open (one on each of five pages)."""
    from playwright.sync_api import sync_playwright

    proc, url = _serve(db, workdir / f"server-{label}.log")
    rows: list[dict[str, Any]] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
            for name in PAGES:
                path = f"{url}/{'' if name == 'overview' else name}"
                firsts, reruns, payload, cold = [], [], 0.0, 0.0
                for i in range(repeat):
                    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
                    try:
                        seconds, mb, tab = _view(context, path)
                        if i == 0:
                            cold, payload = seconds, mb
                        else:
                            firsts.append(seconds)
                        reruns.append(_rerun(tab))
                    finally:
                        context.close()
                row = {"store": label, "page": name, "cold_s": cold, "first_s": statistics.median(firsts or [cold]),
                       "rerun_s": statistics.median(reruns), "payload_mb": payload}  # fmt: skip
                rows.append(row)
                print(f"  {label:5} {name:9} cold {cold:6.2f} s  first {row['first_s']:6.2f} s  rerun "
                      f"{row['rerun_s']:6.2f} s  payload {payload:5.2f} MB", flush=True)  # fmt: skip
            contexts = [browser.new_context(viewport={"width": 1440, "height": 1000}) for _ in range(5)]
            for context, name in zip(contexts, PAGES[:5], strict=True):
                _view(context, f"{url}/{'' if name == 'overview' else name}")
            rss = _rss_mb(proc.pid)
            for context in contexts:
                context.close()
            browser.close()
        for r in rows:
            r["rss_mb"] = rss
    finally:
        _stop(proc)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    out = ["| store | page | first view, cold | first view (median) | rerun (median) | payload | target |",
           "|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in rows:
        first, rerun = FIRST_S[r["store"]], RERUN_S[r["store"]]
        met = "met" if r["first_s"] <= first and r["rerun_s"] <= rerun else "not met"
        out.append(
            f"| {r['store']} | {r['page']} | {r['cold_s']:.2f} s | {r['first_s']:.2f} s | {r['rerun_s']:.2f} s"
            f" | {r['payload_mb']:.2f} MB | ≤ {first} s / ≤ {rerun} s: {met} |"
        )
    for label in dict.fromkeys(r["store"] for r in rows):
        rss = next(r["rss_mb"] for r in rows if r["store"] == label)
        out.append(f"\nserver memory with five sessions ({label} store): {rss:,.0f} MB (target ≤ {RSS_MB:.0f} MB)")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="share of the issue's large store (default 1)")
    parser.add_argument("--repeat", type=int, default=5, help="views and reruns per page; medians reported")
    parser.add_argument("--db", type=Path, help="large store file to write (default: a temporary file)")
    parser.add_argument("--reuse", action="store_true", help="time an existing --db without building it")
    parser.add_argument("--skip-demo", action="store_true", help="only the large store")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print("pages bench skipped: Debian's chromium (/usr/bin/chromium) is not installed")
        return 0
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="pages_bench_") as tmp:
        work = Path(tmp)
        if not args.skip_demo:
            demo = work / "demo.duckdb"
            build_demo(demo)
            rows += measure(demo, "demo", args.repeat, work)
        large = args.db or work / "large.duckdb"
        if not (args.reuse and large.exists()):
            build_large(large, args.scale)
        rows += measure(large, "large", args.repeat, work)
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
