"""Build a store from the demo exports listed in data/demo/manifest.json (what `make run` loads)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from loaders import importer, store
from loaders.errors import CockpitError

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"


def manifest(demo_dir: Path = DEMO_DIR) -> list[dict[str, str | None]]:
    data = json.loads((demo_dir / "manifest.json").read_text(encoding="utf-8"))
    return list(data["files"] if isinstance(data, dict) else data)


def build_demo(db: str | Path, *, if_empty: bool = False, demo_dir: Path = DEMO_DIR) -> list[importer.ImportResult]:
    """Load every demo export into `db`, oldest snapshot first. Returns one result per table loaded."""
    con = store.open_store(db)
    try:
        if if_empty and store.has_data(con):
            return []
        results: list[importer.ImportResult] = []
        for entry in manifest(demo_dir):
            as_of = dt.date.fromisoformat(str(entry["as_of"])) if entry.get("as_of") else None
            results += importer.import_file(
                con,
                demo_dir / str(entry["file"]),
                dataset=entry.get("dataset"),
                project=entry.get("project"),
                as_of=as_of,
                user="demo",
            )
        bad = [r for r in results if r.status not in ("loaded", "skipped")]
        if bad:
            raise CockpitError("演示数据未能全部导入：" + "; ".join(f"{r.file_name}: {r.message}" for r in bad[:5]))
        return results
    finally:
        con.close()
