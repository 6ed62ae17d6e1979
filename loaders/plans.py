"""Plans as exports write them, completed: ids when the file has none, predecessors given by WBS number,
milestones from zero durations, finish dates from durations, phases from the outline.
"""

from __future__ import annotations

import re

import pandas as pd


def finish_tasks(df: pd.DataFrame) -> None:
    """Complete a plan in place: task ids, predecessors by WBS, milestones, derived finish dates, phases."""
    if df.empty:
        return
    # task ids: the file's ids, else the WBS when unique, else the Excel row
    if df["task_id"].isna().all():
        wbs = df["wbs"]
        if wbs.notna().all() and not wbs.duplicated().any():
            df["task_id"] = wbs
        else:
            df["task_id"] = df["row_no"].map(lambda r: f"R{r}")
    else:
        df["task_id"] = df["task_id"].where(df["task_id"].notna(), df["row_no"].map(lambda r: f"R{r}"))
    # predecessors written as WBS numbers (OmniPlan, some templates) become task ids
    ids = set(df["task_id"].astype(str))
    wbs_to_id: dict[str, str] = {}
    for w, t in zip(df["wbs"], df["task_id"], strict=True):
        if isinstance(w, str) and w not in wbs_to_id:
            wbs_to_id[w] = str(t)

    def resolve(text: object) -> object:
        if not isinstance(text, str) or not text.strip():
            return None
        parts = [p.strip() for p in re.split(r"[,;，；、]", text) if p.strip()]
        out = []
        for part in parts:
            m = re.match(r"^([0-9A-Za-z.\-_]+?)(FS|SS|FF|SF)?([+-].*)?$", part)
            ref = m.group(1) if m else part
            if ref not in ids and ref in wbs_to_id:
                ref = wbs_to_id[ref]
            out.append(ref + ((m.group(2) or "") + (m.group(3) or "") if m else ""))
        return ",".join(out)

    df["predecessors"] = df["predecessors"].map(resolve)
    # milestones: flagged, or zero duration
    dur = pd.to_numeric(df["duration_days"], errors="coerce")
    ms = df["is_milestone"].astype("boolean").fillna(False) | (dur == 0)
    df["is_milestone"] = ms.astype(bool)
    df["is_gate"] = df["is_gate"].astype("boolean").fillna(False).astype(bool)
    # a missing finish comes from the duration (working days), a milestone finishes on its start
    start = pd.to_datetime(df["start"])
    finish = pd.to_datetime(df["finish"])
    need = finish.isna() & start.notna()
    if need.any():
        days = dur.fillna(1).clip(lower=1).round().astype(int)
        derived = [
            (s + pd.offsets.BDay(int(n) - 1)) if not m else s
            for s, n, m in zip(start[need], days[need], df["is_milestone"][need], strict=True)
        ]
        finish = finish.where(~need, pd.Series(derived, index=finish.index[need]))
    df["finish"] = finish.dt.date
    df["start"] = start.dt.date
    # phase: the file's column, else the enclosing summary row (outline level) when there is one
    level = pd.to_numeric(df["outline_level"], errors="coerce")
    if df["phase"].isna().all() and level.notna().any():
        nxt = level.shift(-1)
        summary = nxt > level
        df["is_summary"] = summary.fillna(False)
        phase: list[object] = []
        current: object = None
        top = level.min()
        for lv, nm, is_sum in zip(level, df["name"], summary, strict=True):
            if lv == top and is_sum:
                current = nm
            phase.append(current if lv != top or not is_sum else nm)
        df["phase"] = pd.Series(phase, index=df.index)
    else:
        df["is_summary"] = False
