"""Pages benchmark: every page served to headless Chromium on the demo store and on a large store the bench builds
itself (demo + 10M usage rows, 5,000 tasks, 1M cost lines, 20k risks at --scale 1), first view and rerun (median
of 5) with the server's CPU time, the websocket payload of a first view, and the server's memory with five sessions.
`--group` also builds the same large store in the group store (DuckLake, its catalog in a private PostgreSQL on a
loopback port, built and served by the group edition's Python) and prints its rows beside the embedded ones, with
the ratio group / embedded per page and whether each page shows the same text.
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
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from bench.overview_bench import WEEK, add_usage, writing
from bench.schedule_bench import synthetic_plan
from loaders import store
from loaders.demo import build_demo
from loaders.store import rollups

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
FIRST_S = {"demo": 1.0, "large": 1.5, "group": 1.5}  # the ceilings: first view
RERUN_S = {"demo": 0.5, "large": 0.8, "group": 0.8}  # and rerun
RSS_MB = 600.0  # server memory with five sessions (large store)
PAGES = ("overview", "schedule", "money", "risks", "adoption", "benefits")
LEDGER_START = dt.date(2025, 6, 2)  # the demo programme's first month


def _new_import(con: duckdb.DuckDBPyConnection, dataset: str, rows: int, as_of: dt.date | None = None) -> int:
    import_id = store.next_import_id(con)  # the file's sequence, or the group store's PostgreSQL one
    con.execute(
        "INSERT INTO import_log (import_id, dataset, file_name, rows, imported_at, imported_by, status, as_of)"
        " VALUES (?, ?, 'bench', ?, now(), 'bench', 'loaded', ?)",
        [import_id, dataset, rows, as_of],
    )
    return import_id


def add_costs(path: Path | str, rows: int, contracts: int = 20_000) -> None:
    """`rows` cost lines over the demo's six projects in SQL: one signed line per contract, 5 % of contracts with
    a supplementary agreement (`…-补1`), the rest invoices and payments spread over the programme's months."""
    with writing(path) as con:
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


BIG_PROJECT = "院区扩建信息化"  # the large store's extra project: a 5,000-task plan and its 20k-risk register


def add_plan(path: Path | str, tasks: int) -> None:
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
    with writing(path) as con:
        import_id = _new_import(con, "tasks", len(plan), WEEK)
        con.register("plan", plan)
        cols = ", ".join(c for c in plan.columns)
        con.execute(
            f"INSERT INTO task_rows (import_id, as_of, row_no, {cols}) SELECT ?, ?, 2, {cols} FROM plan",  # noqa: S608
            [import_id, WEEK],
        )


def add_risks(path: Path | str, risks: int) -> None:
    """A `risks`-row register of the extra project (likelihood and impact spread over the 5x5 grid)."""
    with writing(path) as con:
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


def build_large(path: Path | str, scale: float) -> None:
    """The demo store plus the issue's large data, times `scale`, in a DuckDB file or a group store (`path` its
    COCKPIT_STORE value: run in the group edition's environment); the usage rollups rebuilt (rows written by SQL
    here, not by the importer that keeps them; the group store keeps none)."""
    from loaders.store import lake

    t0 = time.perf_counter()
    build_demo(path)
    add_usage(path, max(int(10_000_000 * scale), 2_000))
    add_costs(path, max(int(1_000_000 * scale), 25_000), contracts=max(int(20_000 * scale), 500))
    add_plan(path, max(int(5_000 * scale), 100))
    add_risks(path, max(int(20_000 * scale), 200))
    con = store.open_store(path)
    try:
        rollups.rebuild(con)  # marked current at this data version (the group store keeps none: a no-op there)
        if lake.spec_of(con) is None:
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


def _serve(
    env: dict[str, str], log: Path, python: str, script: str = "serve.py"
) -> tuple[subprocess.Popen[bytes], str]:
    """serve.py (or `script`) under `python`'s Streamlit with the store settings in `env`, on a free loopback port."""
    port = _free_port()
    proc = subprocess.Popen(
        [python, "-m", "streamlit", "run", script, "--server.headless", "true", "--server.port",
         str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
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


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system, all threads) the server process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    '[data-testid="stApp"][data-test-script-state="notRunning"] [data-testid="stMain"] h1') !== null
    && document.querySelector('[data-testid="stMain"] [data-testid="stSkeleton"]') === null"""
# The run has finished and every element is drawn: Streamlit fetches an element's code the first time a browser
# meets it (st.metric, the dataframe, Plotly: hashed files, cached a year) and draws a skeleton until it arrives,
# 0.4-1.8 s after the run on a new browser. A view ends when the last skeleton is gone.


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


_PROBLEMS = """() => Array.from(document.querySelectorAll('[data-testid="stMain"] [data-testid="stException"],'
    + ' [data-testid="stMain"] [data-testid="stAlertContentError"]')).map(e => e.innerText.slice(0, 300))"""
_TEXT = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    const drawnLate = '[data-testid="stPlotlyChart"], [data-testid="stDownloadButton"]';
    return [main.innerText, Array.from(main.querySelectorAll(drawnLate)).map(e => e.innerText)];
}"""


def measure(
    env: dict[str, str], label: str, repeat: int, workdir: Path, pages: Sequence[str] = PAGES, python: str = ""
) -> list[dict[str, Any]]:
    """Each page: its very first view after the server started (every cache cold), then `repeat` first views in
    new sessions of a new browser (empty cache: it fetches Streamlit's code), `repeat` in new sessions of a
    returning browser (the code cached, as for a user back next week) and `repeat` reruns (medians), with the
    server's CPU time for each, the first view's websocket payload, its text and any error it shows; then the
    server's RSS with five sessions open."""
    from playwright.sync_api import sync_playwright

    proc, url = _serve(env, workdir / f"server-{label}.log", python or sys.executable)
    rows: list[dict[str, Any]] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
            returning = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
            for name in pages:
                path = f"{url}/{'' if name == 'overview' else name}"
                firsts: list[tuple[float, float]] = []
                backs: list[float] = []
                reruns: list[tuple[float, float]] = []
                row: dict[str, Any] = {"store": label, "page": name}
                for i in range(repeat):
                    # the cold view in the returning browser: its cache then holds this page's code
                    context = returning if i == 0 else browser.new_context(
                        viewport={"width": 1440, "height": 1000}, locale="zh-CN")  # fmt: skip
                    try:
                        cpu = _cpu_s(proc.pid)
                        seconds, mb, tab = _view(context, path)
                        cpu = _cpu_s(proc.pid) - cpu
                        if i == 0:
                            row.update(cold_s=seconds, cold_cpu_s=cpu, payload_mb=mb, text=_page_text(tab),
                                       problems=tab.evaluate(_PROBLEMS))  # fmt: skip
                        else:
                            firsts.append((seconds, cpu))
                            back = _view(returning, path)
                            backs.append(back[0])
                            back[2].close()
                        cpu = _cpu_s(proc.pid)
                        seconds = _rerun(tab)
                        reruns.append((seconds, _cpu_s(proc.pid) - cpu))
                    finally:  # the returning browser stays open (its cache is the point), its tabs do not
                        for opened in context.pages if context is returning else []:
                            opened.close()
                        if context is not returning:
                            context.close()
                firsts = firsts or [(row["cold_s"], row["cold_cpu_s"])]
                row.update(first_s=statistics.median(s for s, _ in firsts),
                           first_cpu_s=statistics.median(c for _, c in firsts),
                           returning_s=statistics.median(backs or [row["cold_s"]]),
                           rerun_s=statistics.median(s for s, _ in reruns),
                           rerun_cpu_s=statistics.median(c for _, c in reruns))  # fmt: skip
                rows.append(row)
                print(f"  {label:5} {name:9} cold {row['cold_s']:6.2f} s  first {row['first_s']:6.2f} s  returning "
                      f"{row['returning_s']:6.2f} s  rerun "
                      f"{row['rerun_s']:6.2f} s  (server CPU {row['cold_cpu_s']:.2f} / {row['first_cpu_s']:.2f} / "
                      f"{row['rerun_cpu_s']:.2f} s)  payload {row['payload_mb']:5.2f} MB", flush=True)  # fmt: skip
                for problem in row["problems"]:
                    print(f"  {label:5} {name:9} SHOWS AN ERROR: {problem!r}", flush=True)
            contexts = [browser.new_context(viewport={"width": 1440, "height": 1000}) for _ in range(5)]
            for i, context in enumerate(contexts):
                name = pages[i % len(pages)]
                _view(context, f"{url}/{'' if name == 'overview' else name}")
            rss = _rss_mb(proc.pid)
            for context in [*contexts, returning]:
                context.close()
            browser.close()
        for r in rows:
            r["rss_mb"] = rss
    finally:
        _stop(proc)
    return rows


REFERENCE_APP = """import streamlit as st

st.title("参考 reference")
st.write("一个标题、一行字：Streamlit 本身在这台机器上打开一页、重跑一次的时间 / one title and one line")
"""


def measure_reference(repeat: int, workdir: Path) -> dict[str, Any]:
    """The reference measured in the same run: a one-title Streamlit app served and viewed exactly as the pages
    (new session's first view and rerun, medians of `repeat`) — what Streamlit and the browser cost on this machine
    before any of our code runs."""
    from playwright.sync_api import sync_playwright

    script = workdir / "reference_app.py"
    script.write_text(REFERENCE_APP, encoding="utf-8")
    proc, url = _serve(dict(os.environ), workdir / "server-reference.log", sys.executable, str(script))
    firsts: list[float] = []
    backs: list[float] = []
    reruns: list[float] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
            returning = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
            _view(returning, url)[2].close()  # warms the server like a page's cold view, and the returning browser
            for _ in range(repeat):
                context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
                try:
                    seconds, _, tab = _view(context, url)
                    firsts.append(seconds)
                    back = _view(returning, url)
                    backs.append(back[0])
                    back[2].close()
                    reruns.append(_rerun(tab))
                finally:
                    context.close()
            browser.close()
    finally:
        _stop(proc)
    ref = {
        "first_s": statistics.median(firsts),
        "returning_s": statistics.median(backs),
        "rerun_s": statistics.median(reruns),
    }
    print(f"  reference (a one-title Streamlit app): first {ref['first_s']:6.2f} s  returning "
          f"{ref['returning_s']:6.2f} s  rerun {ref['rerun_s']:6.2f} s", flush=True)  # fmt: skip
    return ref


def group_python(chosen: str | None = None) -> str | None:
    """The group edition's Python (DuckDB 1.5.5 with the DuckLake and PostgreSQL extensions, `make group-venv`):
    `chosen`, else COCKPIT_GROUP_PYTHON, else the project's .venv-group."""
    for candidate in (chosen, os.environ.get("COCKPIT_GROUP_PYTHON"), str(ROOT / ".venv-group" / "bin" / "python")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


_BUILD = "import sys; from bench.pages_bench import build_large; build_large(sys.argv[1], float(sys.argv[2]))"


def measure_group(python: str, scale: float, repeat: int, workdir: Path, pages: Sequence[str]) -> list[dict[str, Any]]:
    """The same large store built in a group store (DuckLake: catalog in a private PostgreSQL on a loopback port,
    Parquet under `workdir`) by the group edition's Python, served by it, measured like the embedded store."""
    from loaders.store import lake

    sys.path.insert(0, str(ROOT / "grouptests"))
    import pgserver

    with pgserver.postgres("cockpit_pages") as conninfo:
        spec = lake.PREFIX + conninfo
        env = {**os.environ, "COCKPIT_STORE": spec, "COCKPIT_DATA_PATH": str(workdir / "lake"),
               "COCKPIT_DB": str(workdir / "group-app.duckdb")}  # fmt: skip
        subprocess.run([python, "-c", _BUILD, spec, str(scale)], cwd=ROOT, env=env, check=True)
        return measure(env, "group", repeat, workdir, pages, python)


def _lines(text: str) -> Counter[str]:
    return Counter(line.strip() for line in text.splitlines() if line.strip())


def _page_text(tab: Any) -> list[str]:
    """The lines of text a page shows, its charts' own (axis ticks, legends) and its download buttons' (the same on
    every store) left out: both are drawn after the run, sometimes seconds after it. Read once
    the browser has drawn the rest (widgets whose code the browser fetches on first use come after the run ends):
    after the timed view, once nothing is loading, no element still waits for its code (Streamlit draws a skeleton
    in its place: the tiles' st.metric on a busy machine) and two reads a second apart agree."""
    tab.wait_for_load_state("networkidle", timeout=60_000)
    last: list[str] | None = None
    for _ in range(30):
        tab.wait_for_function(_DONE, timeout=60_000, polling=100)
        main, charts = tab.evaluate(_TEXT)
        shown = _lines(main)
        for chart in charts:
            shown -= _lines(chart)
        now = sorted(shown.elements())
        if now == last:
            break
        last = now
        tab.wait_for_timeout(1000)
    return now


def text_difference(a: list[str], b: list[str]) -> list[str]:
    """The lines of page text `b` shows and `a` does not, and the reverse (`+ ` / `- `), in order."""
    left, right = Counter(a), Counter(b)
    return [f"+ {line}" for line in (right - left).elements()] + [f"- {line}" for line in (left - right).elements()]


def table(rows: list[dict[str, Any]], ref: dict[str, Any] | None = None) -> str:
    out = ["| store | page | first view, cold | first view, new browser (median) | first view, returning browser"
           " | rerun (median) | × reference: first / returning / rerun | server CPU: cold / first / rerun | payload"
           " | target (first view, new browser / rerun) |",
           "|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in rows:
        first, rerun = FIRST_S[r["store"]], RERUN_S[r["store"]]
        met = "met" if r["first_s"] <= first and r["rerun_s"] <= rerun else "not met"
        times = "—" if ref is None else " / ".join(_ratio(r[k], ref[k]) for k in ("first_s", "returning_s", "rerun_s"))
        out.append(
            f"| {r['store']} | {r['page']} | {r['cold_s']:.2f} s | {r['first_s']:.2f} s | {r['returning_s']:.2f} s"
            f" | {r['rerun_s']:.2f} s"
            f" | {times} | {r['cold_cpu_s']:.2f} / {r['first_cpu_s']:.2f} / {r['rerun_cpu_s']:.2f} s"
            f" | {r['payload_mb']:.2f} MB | ≤ {first} s / ≤ {rerun} s: {met} |"
        )
    if ref is not None:
        out.append(f"\nreference, a one-title Streamlit app served and viewed the same way: first view"
                   f" {ref['first_s']:.2f} s (new browser), {ref['returning_s']:.2f} s (returning browser), rerun"
                   f" {ref['rerun_s']:.2f} s")  # fmt: skip
    for label in dict.fromkeys(r["store"] for r in rows):
        rss = next(r["rss_mb"] for r in rows if r["store"] == label)
        out.append(f"\nserver memory with five sessions ({label} store): {rss:,.0f} MB (target ≤ {RSS_MB:.0f} MB)")
    embedded = {r["page"]: r for r in rows if r["store"] == "large"}
    pairs = [(embedded[r["page"]], r) for r in rows if r["store"] == "group" and r["page"] in embedded]
    if pairs:
        out += ["\ngroup store ÷ embedded file, the same large store (the group store serves the group edition's",
                "DuckDB, the embedded file the default one):\n",
                "| page | first view, cold | first view, new browser | returning browser | rerun"
                " | server CPU: cold / first / rerun | page text (charts, download buttons aside) |",
                "|---|---|---|---|---|---|---|"]  # fmt: skip
        for e, g in pairs:
            cpu = " / ".join(_ratio(g[k], e[k]) for k in ("cold_cpu_s", "first_cpu_s", "rerun_cpu_s"))
            diff = text_difference(e["text"], g["text"])
            same = "same" if not diff else f"{len(diff)} lines differ"
            times = " | ".join(_ratio(g[k], e[k]) for k in ("cold_s", "first_s", "returning_s", "rerun_s"))
            out.append(f"| {g['page']} | {times} | {cpu} | {same} |")
        for e, g in pairs:
            for line in text_difference(e["text"], g["text"])[:10]:
                out.append(f"  {g['page']}: {line[:160]}")
    return "\n".join(out)


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b > 0 else "—"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="share of the issue's large store (default 1)")
    parser.add_argument("--repeat", type=int, default=5, help="views and reruns per page; medians reported")
    parser.add_argument("--db", type=Path, help="large store file to write (default: a temporary file)")
    parser.add_argument("--reuse", action="store_true", help="time an existing --db without building it")
    parser.add_argument("--skip-demo", action="store_true", help="only the large store")
    parser.add_argument("--group", action="store_true", help="also the same large store in the group store")
    parser.add_argument("--group-python", help="the group edition's Python (default: .venv-group/bin/python)")
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated pages (default: all)")
    parser.add_argument("--keep-text", type=Path, help="write each page's text per store into this folder")
    args = parser.parse_args(argv)
    pages = [p for p in args.pages.split(",") if p]
    if unknown := set(pages) - set(PAGES):
        parser.error(f"unknown pages {sorted(unknown)}; known: {', '.join(PAGES)}")
    if not CHROMIUM.exists():
        print("pages bench skipped: Debian's chromium (/usr/bin/chromium) is not installed")
        return 0
    gpy = group_python(args.group_python) if args.group else None
    if args.group and gpy is None:
        print("group store skipped: no group edition Python (make group-venv, or --group-python PATH)")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="pages_bench_") as tmp:
        work = Path(tmp)
        ref = measure_reference(args.repeat, work)
        if not args.skip_demo:
            demo = work / "demo.duckdb"
            build_demo(demo)
            rows += measure({**os.environ, "COCKPIT_DB": str(demo)}, "demo", args.repeat, work, pages)
        large = args.db or work / "large.duckdb"
        if not (args.reuse and large.exists()):
            build_large(large, args.scale)
        rows += measure({**os.environ, "COCKPIT_DB": str(large)}, "large", args.repeat, work, pages)
        if gpy is not None:
            rows += measure_group(gpy, args.scale, args.repeat, work, pages)
    print(f"load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())} (1 / 5 / 15 min) at "
          f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores")  # fmt: skip
    print(table(rows, ref))
    if args.keep_text:
        args.keep_text.mkdir(parents=True, exist_ok=True)
        for r in rows:
            (args.keep_text / f"{r['store']}-{r['page']}.txt").write_text("\n".join(r["text"]), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
