"""The risk metrics as they stood before the speed work (one Python step per row), kept as the oracle the fast
paths in metrics.risks are compared with (tests/test_risks_fast.py). Not product code: nothing imports it but tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from metrics.risks import (
    BAND_NAMES,
    DEFAULT_BANDS,
    LEVELS,
    MOVE_KINDS,
    NO_OWNER,
    PENDING_CHANGE_STATUSES,
    Bands,
    _days_between,
    _int_or_none,
    _isna,
    _key,
    is_open,
    normalise_status,
    week_start,
)


def _no_owner(value: object) -> bool:
    return normalise_status(value) in NO_OWNER


def open_risks(df: pd.DataFrame) -> pd.DataFrame:
    """The risks of a register that are not closed."""
    if df.empty:
        return df
    return df[[is_open(s) for s in df["status"]]]


def with_bands(df: pd.DataFrame, bands: Bands = DEFAULT_BANDS) -> pd.DataFrame:
    """The register with `band` (and `residual_band` where residual scores exist) added."""
    out = df.copy()
    out["band"] = pd.Series([bands.band(s) for s in out["score"]], index=out.index, dtype="object")
    if "residual_score" in out.columns:
        out["residual_band"] = pd.Series(
            [bands.band(s) for s in out["residual_score"]], index=out.index, dtype="object"
        )
    return out


def heatmap_counts(df: pd.DataFrame) -> pd.DataFrame:
    """Risks per cell: a 5×5 frame, index likelihood 1..5, columns impact 1..5 (zeros where empty)."""
    counts = [[0] * len(LEVELS) for _ in LEVELS]
    for lik, imp in zip(df["likelihood"], df["impact"], strict=True):
        li, ii = _int_or_none(lik), _int_or_none(imp)
        if li in LEVELS and ii in LEVELS:
            assert li is not None and ii is not None
            counts[li - 1][ii - 1] += 1
    return pd.DataFrame(counts, index=pd.Index(LEVELS, name="likelihood"), columns=pd.Index(LEVELS, name="impact"))


def filter_register(
    df: pd.DataFrame,
    owners: Iterable[str] = (),
    statuses: Iterable[str] = (),
    band_names: Iterable[str] = (),
    bands: Bands = DEFAULT_BANDS,
) -> pd.DataFrame:
    """Narrow the register by owner, status and band; an empty choice keeps everything."""
    out = df
    owners, statuses, chosen = list(owners), list(statuses), list(band_names)
    if owners:
        out = out[out["owner"].isin(owners)]
    if statuses:
        out = out[out["status"].isin(statuses)]
    if chosen:
        out = out[[bands.band(s) in chosen for s in out["score"]]]
    return out


def choices(df: pd.DataFrame, column: str) -> list[str]:
    """The distinct non-empty values of a text column, sorted, for a filter widget."""
    if df.empty or column not in df.columns:
        return []
    return sorted({str(v) for v in df[column] if not _isna(v) and str(v).strip()})


def movement(current: pd.DataFrame, previous: pd.DataFrame, bands: Bands = DEFAULT_BANDS) -> pd.DataFrame:
    """What changed since the previous snapshot, one row per risk open in either (keyed by project + risk_id).

    kind: new (open now, absent or closed before — a re-opened risk counts as new), closed (open before, now
    absent or closed), worsened / improved / unchanged (open in both; compared by score). `moved` says the cell
    changed, which can happen at an unchanged score ((2,3) → (3,2)). Risks closed in both are left out, so
    previous open + new − closed = current open.
    """
    cur = {k: r for k, r in zip(_key(current), current.to_dict("records"), strict=True)} if len(current) else {}
    prev = {k: r for k, r in zip(_key(previous), previous.to_dict("records"), strict=True)} if len(previous) else {}
    rows: list[dict[str, Any]] = []
    for k in list(prev) + [k for k in cur if k not in prev]:
        p, c = prev.get(k), cur.get(k)
        p_open = p is not None and is_open(p.get("status"))
        c_open = c is not None and is_open(c.get("status"))
        if not p_open and not c_open:
            continue
        if c_open and not p_open:
            kind = "new"
        elif p_open and not c_open:
            kind = "closed"
        else:
            assert p is not None and c is not None
            ps, cs = float(p["score"]), float(c["score"])
            kind = "worsened" if cs > ps else "improved" if cs < ps else "unchanged"
        ref = c if c is not None else p
        assert ref is not None
        row: dict[str, Any] = {
            "project": ref["project"],
            "risk_id": ref["risk_id"],
            "title": ref["title"],
            "kind": kind,
        }
        row["owner"] = ref.get("owner")
        for prefix, src, live in (("prev_", p, p_open), ("", c, c_open)):
            lik = _int_or_none(src.get("likelihood")) if src is not None and live else None
            imp = _int_or_none(src.get("impact")) if src is not None and live else None
            score = lik * imp if lik is not None and imp is not None else None
            row[prefix + "likelihood"], row[prefix + "impact"], row[prefix + "score"] = lik, imp, score
            row[prefix + "band"] = bands.band(score)
            row[prefix + "status"] = None if src is None else src.get("status")
        row["moved"] = kind in ("worsened", "improved", "unchanged") and (
            (row["prev_likelihood"], row["prev_impact"]) != (row["likelihood"], row["impact"])
        )
        rows.append(row)
    columns = [
        "project",
        "risk_id",
        "title",
        "owner",
        "kind",
        "prev_likelihood",
        "prev_impact",
        "prev_score",
        "prev_band",
        "prev_status",
        "likelihood",
        "impact",
        "score",
        "band",
        "status",
        "moved",
    ]
    out = pd.DataFrame(rows, columns=columns)
    for col in ("prev_likelihood", "prev_impact", "prev_score", "likelihood", "impact", "score"):
        out[col] = out[col].astype("Int64")
    out["moved"] = out["moved"].astype(bool)
    order = {k: i for i, k in enumerate(MOVE_KINDS)}
    return out.sort_values(
        ["kind", "score", "project", "risk_id"],
        key=lambda s: s.map(order) if s.name == "kind" else s,
        ascending=[True, False, True, True],
    ).reset_index(drop=True)


def open_by_band_trend(history: pd.DataFrame, bands: Bands = DEFAULT_BANDS) -> pd.DataFrame:
    """Open risks per band each week (columns week, low, medium, high, critical).

    A week counts each project's latest snapshot on or before that week's end, so a project that skipped a
    week still contributes its last known register instead of dropping to zero.
    """
    columns = ["week", *BAND_NAMES, "total"]
    if history.empty:
        return pd.DataFrame(columns=columns)
    h = history.copy()
    h["snap"] = [pd.Timestamp(v).date() for v in h["as_of"]]
    h = h[[is_open(s) for s in h["status"]]]
    weeks = sorted({week_start(d) for d in history["as_of"]})
    projects = sorted({str(p) for p in history["project"]})
    snaps = {
        p: sorted({pd.Timestamp(d).date() for d in history.loc[history["project"] == p, "as_of"]}) for p in projects
    }
    rows: list[dict[str, Any]] = []
    for w in weeks:
        end = w + dt.timedelta(days=6)
        counts = dict.fromkeys(BAND_NAMES, 0)
        for p in projects:
            dates = [d for d in snaps[p] if d <= end]
            if not dates:
                continue
            sel = h[(h["project"] == p) & (h["snap"] == dates[-1])]
            for s in sel["score"]:
                b = bands.band(s)
                if b is not None:
                    counts[b] += 1
        rows.append({"week": w, **counts, "total": sum(counts.values())})
    return pd.DataFrame(rows, columns=columns)


def days_since_review(df: pd.DataFrame, today: dt.date) -> pd.Series:
    """Days since the last review, falling back to the date identified when a risk was never reviewed."""
    out: list[int | None] = []
    for last, ident in zip(df["last_review"], df["identified"], strict=True):
        ref = ident if _isna(last) else last
        out.append(_days_between(today, ref))
    return pd.Series(out, index=df.index, dtype="Int64")


def overdue_reviews(df: pd.DataFrame, today: dt.date, days: int = 30) -> pd.DataFrame:
    """Open risks whose last review is more than `days` old, or that carry no review or identified date at all."""
    o = open_risks(df).copy()
    o["days_since_review"] = days_since_review(o, today)
    late = o["days_since_review"].isna() | (o["days_since_review"] > days)
    return o[late.astype(bool)].sort_values("days_since_review", ascending=False, na_position="first")


def register_table(
    df: pd.DataFrame,
    today: dt.date,
    bands: Bands = DEFAULT_BANDS,
    review_days: int = 30,
    band_labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The register as shown: bands, inherent and residual scores side by side (when any residual exists),
    days since review and an `overdue` flag for open risks not reviewed within `review_days`."""
    t = with_bands(df, bands)
    t["days_since_review"] = days_since_review(t, today)
    t["overdue"] = [
        bool(is_open(s) and (_isna(d) or int(d) > review_days))
        for s, d in zip(t["status"], t["days_since_review"], strict=True)
    ]
    cols = ["project", "risk_id", "title", "category", "likelihood", "impact", "score", "band"]
    if "residual_score" in t.columns and t["residual_score"].notna().any():
        cols += ["residual_likelihood", "residual_impact", "residual_score", "residual_band"]
    cols += ["owner", "status", "mitigation", "contingency", "last_review", "days_since_review", "overdue"]
    out = t.reindex(columns=cols)
    for c in ("band", "residual_band"):
        out = relabel(out, c, band_labels)
    return out.reset_index(drop=True)


def decisions_waiting(
    changes_df: pd.DataFrame, risks_df: pd.DataFrame, today: dt.date, bands: Bands = DEFAULT_BANDS
) -> pd.DataFrame:
    """The president's list: change requests pending the change-control board (age = days since requested,
    with cost and schedule impact), then open critical-band risks with no owner (age = days since identified).
    """
    columns = [
        "kind",
        "project",
        "id",
        "title",
        "status",
        "age_days",
        "cost_impact",
        "schedule_impact_days",
        "score",
        "band",
    ]
    rows: list[dict[str, Any]] = []
    for c in changes_df.to_dict("records"):
        if normalise_status(c.get("status")) not in PENDING_CHANGE_STATUSES:
            continue
        rows.append(
            {
                "kind": "change",
                "project": c["project"],
                "id": c["change_id"],
                "title": c["title"],
                "status": c.get("status"),
                "age_days": _days_between(today, c.get("requested")),
                "cost_impact": None if _isna(c.get("cost_impact")) else float(c["cost_impact"]),
                "schedule_impact_days": _int_or_none(c.get("schedule_impact_days")),
                "score": None,
                "band": None,
            }
        )
    for r in risks_df.to_dict("records"):
        b = bands.band(r.get("score"))
        if b != "critical" or not is_open(r.get("status")) or not _no_owner(r.get("owner")):
            continue
        rows.append(
            {
                "kind": "risk",
                "project": r["project"],
                "id": r["risk_id"],
                "title": r["title"],
                "status": r.get("status"),
                "age_days": _days_between(today, r.get("identified")),
                "cost_impact": None,
                "schedule_impact_days": None,
                "score": _int_or_none(r.get("score")),
                "band": b,
            }
        )
    out = pd.DataFrame(rows, columns=columns)
    out["age_days"] = out["age_days"].astype("Int64")
    out["schedule_impact_days"] = out["schedule_impact_days"].astype("Int64")
    out["score"] = out["score"].astype("Int64")
    out["cost_impact"] = out["cost_impact"].astype("float64")
    if out.empty:
        return out
    out["_k"] = out["kind"].map({"change": 0, "risk": 1})
    out = out.sort_values(["_k", "age_days"], ascending=[True, False], na_position="last")
    return out.drop(columns="_k").reset_index(drop=True)


def band_counts(df: pd.DataFrame, bands: Bands = DEFAULT_BANDS) -> dict[str, int]:
    """Risks per band (every band present, zeros included)."""
    counts = dict.fromkeys(BAND_NAMES, 0)
    for s in df["score"] if len(df) else ():
        b = bands.band(s)
        if b is not None:
            counts[b] += 1
    return counts


def relabel(df: pd.DataFrame, column: str, labels: Mapping[str, str] | None) -> pd.DataFrame:
    if not labels or column not in df.columns:
        return df
    out = df.copy()
    out[column] = out[column].map(lambda v: labels.get(v, v) if isinstance(v, str) else v)
    return out
