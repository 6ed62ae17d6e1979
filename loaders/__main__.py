"""Command line: `python -m loaders import FILE...`, `demo`, `history`, `undo ID`.

Exit 0 when every file loaded; 1 when any was refused (each problem printed as file / sheet / row / column /
value / what is wrong); 2 for usage errors. Never a Python traceback for a bad file or a locked store.
When the running dashboard holds the store, `import` hands the files to its inbox (loaders/store/inbox.py) and
says so; with `--wait` it waits for the outcome and exits 0/1 as if it had imported them itself.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from loaders import settings
from loaders.datasets import DATASETS
from loaders.errors import CockpitError

# DuckDB, pandas and pyarrow are imported by the command that needs them, so `--help` and a usage error answer at
# once and an import pays only for what its file needs (tests/test_startup.py)
if TYPE_CHECKING:
    from loaders import importer
    from loaders.store.connection import StoreLocked


def _date(text: str) -> dt.date:
    from loaders import coerce

    try:
        return coerce.parse_date(text)
    except coerce.CoerceError as exc:
        raise argparse.ArgumentTypeError(exc.message) from exc


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m loaders", description="HIT Cockpit importer")
    ap.add_argument("--db", help="DuckDB store file (default: $COCKPIT_DB or data/cockpit.duckdb)")
    sub = ap.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="check and load exports into the store")
    imp.add_argument("files", nargs="+", type=Path)
    imp.add_argument("--dataset", choices=sorted(DATASETS))
    imp.add_argument("--project", help="project of every table without a project column (plans, ledgers, budgets)")
    imp.add_argument(
        "--stage",
        choices=("committed", "invoiced", "paid"),
        help="money stage of a cost ledger without a stage column (default: paid)",
    )
    imp.add_argument("--as-of", type=_date, dest="as_of", help="snapshot date of a plan or risk register")
    imp.add_argument("--sheet", help="read only this sheet")
    imp.add_argument("--dry-run", action="store_true", help="check only; store nothing")
    imp.add_argument("--skip-invalid", action="store_true", help="load the valid rows, report the rest")
    imp.add_argument("--user", default=None, help="name recorded in the import history")
    imp.add_argument(
        "--wait",
        nargs="?",
        type=float,
        const=3600.0,
        default=None,
        metavar="SECONDS",
        help="when the running app takes the files through its inbox, wait for the outcome (default 3600 s)",
    )
    imp.add_argument("--db", dest="db_sub", help=argparse.SUPPRESS)
    demo = sub.add_parser("demo", help="build a store from the demo exports in data/demo")
    demo.add_argument("--if-empty", action="store_true", help="do nothing when the store already holds data")
    demo.add_argument("--db", dest="db_sub", help=argparse.SUPPRESS)
    hist = sub.add_parser("history", help="list the import history")
    hist.add_argument("--db", dest="db_sub", help=argparse.SUPPRESS)
    mnt = sub.add_parser("maintain", help="group store upkeep: compaction, snapshot expiry, file cleanup")
    mnt.add_argument("--older-than-days", type=int, default=30, help="expire snapshots older than this (time travel)")
    mnt.add_argument("--db", dest="db_sub", help=argparse.SUPPRESS)
    und = sub.add_parser("undo", help="undo one import by its id")
    und.add_argument("import_id", type=int)
    und.add_argument("--db", dest="db_sub", help=argparse.SUPPRESS)
    return ap


def _print_result(res: importer.ImportResult, out: list[str]) -> None:
    from loaders.store import writes

    writes.result_lines(res, out)


def _hand_to_inbox(args: argparse.Namespace, db: str, locked: StoreLocked) -> int:
    """The app holds the store: give the files to its inbox; with --wait, report the outcome like an import."""
    from loaders.store import inbox

    folder = inbox.inbox_dir(db)
    beat = inbox.worker_alive(folder)
    # the holder is the dashboard when it runs this inbox's worker (its heartbeat names its process)
    if beat is None or args.dry_run or not (locked.app or beat.get("pid") == locked.pid):
        print(f"XX {locked.title}: {locked.message}", file=sys.stderr)
        return 1
    job = inbox.Job(
        user=args.user or settings.get("user"),
        dataset=args.dataset,
        project=args.project,
        as_of=args.as_of.isoformat() if args.as_of else None,
        sheet=args.sheet,
        skip_invalid=args.skip_invalid,
    )
    tickets: list[tuple[Path, str]] = []
    ok = True
    for f in args.files:
        if not f.exists():
            print(f"XX {f}: 文件不存在 / file not found")
            ok = False
            continue
        ticket = inbox.hand_over(f, folder, job)
        tickets.append((f, ticket))
        print(
            f">> {f.name}: 驾驶舱正在运行，文件已交给收件箱 {folder}(编号 {ticket}) / "
            f"the dashboard holds the store; handed to its inbox (ticket {ticket})"
        )
    if args.wait is None:
        return 0 if ok else 1
    for f, ticket in tickets:
        res = inbox.wait_for(folder, ticket, args.wait)
        if res is None:
            print(f"XX {f.name}: {args.wait:.0f} 秒内未完成，仍在收件箱中 / not done within {args.wait:.0f} s")
            ok = False
            continue
        print("\n".join(str(line) for line in res.get("lines", [])))
        ok = ok and bool(res.get("ok"))
    return 0 if ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    db = getattr(args, "db_sub", None) or args.db or settings.get("store") or settings.get("db_path")
    lines: list[str] = []
    from loaders import importer, store
    from loaders.store import writes
    from loaders.store.connection import StoreLocked

    try:
        if args.command == "demo":
            from loaders.demo import build_demo

            with writes.via("demo"):
                results = build_demo(db, if_empty=args.if_empty)
            for r in results:
                _print_result(r, lines) if r.status != "loaded" else lines.append(
                    f"OK  {r.file_name}{f' [{r.sheet}]' if r.sheet else ''}: {r.dataset} {r.rows} rows"
                )
            if not results:
                lines.append(f"store {db} already holds data; demo not loaded")
            print("\n".join(lines))
            return 0 if all(r.status in ("loaded", "skipped") for r in results) else 1
        try:
            con = store.open_store(db)
        except StoreLocked as locked:
            if args.command == "import":
                return _hand_to_inbox(args, db, locked)
            raise
        try:
            # COCKPIT_HOSPITAL: a member hospital's job sees and undoes its own hospital's imports only, as a
            # person bound to that hospital does on the data page
            hospital = settings.get("hospital") or None
            if args.command == "history":
                from loaders.store import history as store_history

                for row in store_history.history_rows(con, hospital):
                    print(" | ".join("" if v is None else str(v) for v in row))
                return 0
            if args.command == "maintain":
                from loaders.store import lake

                if lake.spec_of(con) is None:
                    con.execute("CHECKPOINT")
                    print("embedded store: checkpoint done (compaction and expiry are for the group store)")
                    return 0
                for step in lake.maintain(con, args.older_than_days):
                    print(f"OK  {step}")
                return 0
            if args.command == "undo":
                res = importer.undo(con, args.import_id, user=None, hospital=hospital)
                _print_result(res, lines)
                print("\n".join(lines))
                return 0
            ok = True
            for f in args.files:
                if not f.exists():
                    lines.append(f"XX {f}: 文件不存在 / file not found")
                    ok = False
                    continue
                with writes.via("cli"):
                    file_results = importer.import_file(
                        con,
                        f,
                        dataset=args.dataset,
                        project=args.project,
                        stage=args.stage,
                        as_of=args.as_of,
                        sheet=args.sheet,
                        skip_invalid=args.skip_invalid,
                        dry_run=args.dry_run,
                        user=args.user,
                    )
                for res in file_results:
                    _print_result(res, lines)
                    ok = ok and res.status in ("loaded", "skipped", "dry-run")
            print("\n".join(lines))
            return 0 if ok else 1
        finally:
            con.close()
    except CockpitError as exc:
        print("\n".join(lines))
        print(f"XX {exc.title}: {exc.message}", file=sys.stderr)
        return 1


def run() -> int:
    """main() for the console: output piped into `head` that stops reading ends quietly, not with a traceback."""
    try:
        code = main()
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # the reader went away: point stdout at devnull so the interpreter's final flush does not fail again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    raise SystemExit(run())
