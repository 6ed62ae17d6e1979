"""`python -m reports brief --week 2025-06-30 --lang zh --out DIR [--db PATH] [--mail] [--hospital NAME]`: the weekly
brief without a browser, so IT can schedule it; exit 0 when written (and mailed), 1 with a plain message otherwise.
In a hospital group `--hospital` writes one member hospital's brief."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from loaders import settings, store
from loaders.errors import CockpitError
from metrics.scope import Scope
from reports import brief


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("brief", help="write the weekly brief (PDF, Excel, PowerPoint)")
    b.add_argument("--week", type=dt.date.fromisoformat, help="the as-of week (YYYY-MM-DD); default: latest data")
    b.add_argument("--lang", choices=[*brief.LANGS, "both"], default="zh")
    b.add_argument("--out", type=Path, required=True)
    b.add_argument("--db", type=Path, default=None)
    b.add_argument("--mail", action="store_true", help="also mail the files (COCKPIT_SMTP_* settings)")
    b.add_argument(
        "--hospital", action="append", help="a hospital group: the brief of this hospital (repeat for several)"
    )
    args = parser.parse_args(argv)
    try:
        con = store.open_store(args.db or settings.db_path())
        try:
            hospitals = tuple(args.hospital) if args.hospital else None
            scope = Scope(as_of=args.week, today=args.week, start=None, end=None, hospitals=hospitals)
            from metrics import overview

            week = overview.week_view(con, scope)
        finally:
            con.close()
        langs = brief.LANGS if args.lang == "both" else (args.lang,)
        for lang in langs:
            paths = brief.write(brief.brief_files(week, lang), args.out)
            for p in paths:
                print(p)
            if args.mail:
                print(f"mailed to {brief.mail(paths, week.week, lang)}")
    except CockpitError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
