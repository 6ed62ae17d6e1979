"""Schedule engine benchmarks: CPM on 5,000 tasks / 6,000 links, the Monte Carlo (10,000 iterations x 5,000 tasks),
and a 5,000-task plan read through MPXJ in a fresh worker (JVM start included).

MPXJ cannot write .mpp files, so the import case reads the same 5,000-task plan saved as MS Project XML (MSPDI)
through the same worker and MPXJ reader that reads .mpp.

Usage: python -m bench.schedule_bench [--tasks N] [--links N] [--iterations N] [--skip-import]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def synthetic_plan(tasks: int, links: int, seed: int = 1) -> pd.DataFrame:
    """A layered plan: `tasks` tasks of 1-10 working days, `links` links to earlier tasks (FS mostly, some SS/FF/SF,
    some lags), on China's calendar."""
    rng = np.random.default_rng(seed)
    start = dt.date(2026, 1, 5)
    preds: list[list[str]] = [[] for _ in range(tasks)]
    kinds = np.array(["", "SS", "FF", "SF"])
    made = 0
    while made < links:
        s = int(rng.integers(1, tasks))
        p = int(rng.integers(max(0, s - 50), s))
        kind = kinds[rng.choice(4, p=[0.8, 0.1, 0.07, 0.03])]
        lag = int(rng.integers(-1, 3)) if rng.random() < 0.2 else 0
        text = f"{p + 1}{kind or ('FS' if lag else '')}{'' if not lag else f'{lag:+d}d'}"
        preds[s].append(text)
        made += 1
    dur = rng.integers(1, 11, size=tasks)
    rows = []
    for i in range(tasks):
        first = start + dt.timedelta(days=int(i // 20))
        rows.append(
            {
                "project": "BENCH",
                "task_id": str(i + 1),
                "name": f"任务{i + 1}",
                "start": first,
                "finish": first + dt.timedelta(days=int(dur[i]) + 2),
                "predecessors": ",".join(preds[i]) or None,
                "percent_complete": 100.0 if i < tasks // 10 else 0.0,
            }
        )
    return pd.DataFrame(rows)


def mspdi_text(plan: pd.DataFrame) -> str:
    """The plan as a minimal MS Project XML file (FS links, durations in hours)."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<Project xmlns="http://schemas.microsoft.com/project"><Name>bench</Name><MinutesPerDay>480</MinutesPerDay>'
        "<Tasks>",
    ]
    for r in plan.itertuples():
        days = max((r.finish - r.start).days, 1)
        links = "".join(
            f"<PredecessorLink><PredecessorUID>{p.rstrip('SFd+-0123456789') or p}</PredecessorUID><Type>1</Type>"
            "</PredecessorLink>"
            for p in (r.predecessors.split(",") if isinstance(r.predecessors, str) else [])
            if p[:1].isdigit()
        )
        parts.append(
            f"<Task><UID>{r.task_id}</UID><ID>{r.task_id}</ID><Name>{r.name}</Name><OutlineLevel>1</OutlineLevel>"
            f"<Start>{r.start.isoformat()}T08:00:00</Start><Finish>{r.finish.isoformat()}T17:00:00</Finish>"
            f"<Duration>PT{days * 8}H0M0S</Duration><Manual>0</Manual>{links}</Task>"
        )
    parts.append("</Tasks></Project>")
    return "".join(parts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tasks", type=int, default=5000)
    ap.add_argument("--links", type=int, default=6000)
    ap.add_argument("--iterations", type=int, default=10000)
    ap.add_argument("--skip-import", action="store_true")
    args = ap.parse_args(argv)
    from metrics import forecast, schedule, workcal

    plan = schedule.prepare(synthetic_plan(args.tasks, args.links))
    workcal.calendar_for(None)  # the calendar is built once per process; not part of the timing
    schedule.critical_path(plan.head(50))
    # wall time, and the CPU time the work took beside it (the machine is shared: wall time includes waiting)
    t0, c0 = time.perf_counter(), time.process_time()
    cp = schedule.critical_path(plan)
    cpm_s, cpm_c = time.perf_counter() - t0, time.process_time() - c0
    print("| case | size | time | CPU time |")
    print("|---|---|---|---|")
    size = f"{args.tasks:,} tasks / {args.links:,} links"
    print(f"| CPM (forward + backward pass, floats, notes) | {size} | {cpm_s * 1000:.0f} ms | {cpm_c * 1000:.0f} ms |")
    t0, c0 = time.perf_counter(), time.process_time()
    fc = forecast.forecast_plan(plan, iterations=args.iterations, seed=1)
    mc_s, mc_c = time.perf_counter() - t0, time.process_time() - c0
    size = f"{args.iterations:,} iterations x {args.tasks:,} tasks"
    print(f"| Monte Carlo finish forecast | {size} | {mc_s:.2f} s | {mc_c:.2f} s |")
    assert int(cp["critical"].sum()) > 0 and not fc.projects.empty
    # the same forecast with finish dates only (what the overview asks for) and with the plain reference kernel:
    # all three give the same finish figures, bit for bit (tests/test_forecast_fast.py)
    for label, kwargs in (
        ("finish dates only (no criticality index: the overview's)", {"criticality": False}),
        ("the plain reference kernel (network read per block of runs)", {"kernel": "plain"}),
    ):
        t0, c0 = time.perf_counter(), time.process_time()
        other = forecast.forecast_plan(plan, iterations=args.iterations, seed=1, **kwargs)  # type: ignore[arg-type]
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        assert other.projects.equals(fc.projects)
        print(f"| Monte Carlo, {label} | {size} | {wall:.2f} s | {cpu:.2f} s |")
    if not args.skip_import:
        import resource

        from loaders import mpp

        if mpp.java_problem() is not None:
            print(f"| plan import through MPXJ | skipped: {mpp.java_problem()} | | |")
            return 0
        with tempfile.TemporaryDirectory() as tmp:
            xml = Path(tmp) / "bench.xml"
            xml.write_text(mspdi_text(synthetic_plan(args.tasks, args.links)), encoding="utf-8")
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0, c0 = time.perf_counter(), time.process_time()
            reader = mpp.PlanWorker()
            try:
                rows = mpp.plan_tasks(reader.read(xml, timeout=300))
            finally:
                reader.stop()
            imp_s = time.perf_counter() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            worker = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            cpu = time.process_time() - c0 + worker
        label = "plan read through MPXJ in a fresh worker (JVM start included)"
        print(f"| {label} | {len(rows):,} tasks | {imp_s:.2f} s | {cpu:.2f} s (all JVM threads) |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
