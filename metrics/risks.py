"""Risks and decisions: score bands, the register as of a date, movement between snapshots, review hygiene
and the list of decisions waiting for the president (pending change requests, critical risks without owner).
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from loaders import settings, store
from metrics.scope import Scope

BAND_NAMES: tuple[str, ...] = ("low", "medium", "high", "critical")
LEVELS: tuple[int, ...] = (1, 2, 3, 4, 5)
MOVE_KINDS: tuple[str, ...] = ("new", "closed", "worsened", "improved", "unchanged")


@dataclass(frozen=True)
class Bands:
    """Lowest score of each band above "low"; a score belongs to the highest band whose floor it reaches.

    Scores are likelihood × impact with both in 1..5, so the possible scores are 1-6, 8-10, 12, 15, 16, 20 and
    25: nothing lies in 17-19. The default critical floor of 20 ("critical 20-25") therefore behaves exactly like
    any floor from 17 to 20; high is 10-16 and 13, 14 cannot occur either. Frozen so it can key a cache.
    """

    medium: int = 5
    high: int = 10
    critical: int = 20

    def __post_init__(self) -> None:
        if not 1 < self.medium < self.high < self.critical <= 25:
            raise ValueError(f"band floors must rise within 2..25: {self.medium}, {self.high}, {self.critical}")

    def band(self, score: float | None) -> str | None:
        if score is None or _isna(score):
            return None
        s = float(score)
        if s >= self.critical:
            return "critical"
        if s >= self.high:
            return "high"
        if s >= self.medium:
            return "medium"
        return "low"

    def ranges(self) -> dict[str, tuple[int, int]]:
        """Nominal (first, last) score of each band, as shown in a legend."""
        return {
            "low": (1, self.medium - 1),
            "medium": (self.medium, self.high - 1),
            "high": (self.high, self.critical - 1),
            "critical": (self.critical, 25),
        }


DEFAULT_BANDS = Bands()


def configured_bands() -> Bands:
    """The hospital's band floors from the `risk_bands` setting (COCKPIT_RISK_BANDS="5,10,20": medium, high,
    critical); the defaults when the setting is absent or malformed."""
    try:
        medium, high, critical = (int(x) for x in settings.get("risk_bands").split(","))
        return Bands(medium, high, critical)
    except ValueError:
        return DEFAULT_BANDS


def band(score: float | None, bands: Bands = DEFAULT_BANDS) -> str | None:
    """The band name of a score ("low" … "critical"), None for a missing score."""
    return bands.band(score)


def _isna(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


# ---------------------------------------------------------------- statuses
def normalise_status(status: object) -> str:
    """Status text compared without case, width (全角) or spaces: "Closed ", "ＣＬＯＳＥＤ" and "closed" agree."""
    if _isna(status):
        return ""
    text = unicodedata.normalize("NFKC", str(status)).casefold()
    return "".join(text.split())


# Registers say "closed" in many ways; anything else (including blank) is an open risk still to be managed.
CLOSED_STATUSES = frozenset(
    normalise_status(s)
    for s in (
        "已关闭",
        "关闭",
        "已解决",
        "已解除",
        "解除",
        "已消除",
        "已结束",
        "closed",
        "close",
        "resolved",
        "retired",
        "done",
    )
)

# Change requests waiting for the change-control board.
PENDING_CHANGE_STATUSES = frozenset(
    normalise_status(s)
    for s in (
        "待审批",
        "待审",
        "审批中",
        "待批准",
        "待决策",
        "待评审",
        "评审中",
        "已提交",
        "提交",
        "待定",
        "pending",
        "submitted",
        "under review",
        "in review",
        "awaiting approval",
        "awaiting decision",
        "open",
        "new",
    )
)

# An owner cell that names nobody.
NO_OWNER = frozenset(normalise_status(s) for s in ("", "-", "—", "无", "待定", "未指定", "tbd", "n/a", "none"))


def is_open(status: object) -> bool:
    return normalise_status(status) not in CLOSED_STATUSES


def open_risks(df: pd.DataFrame) -> pd.DataFrame:
    """The risks of a register that are not closed."""
    if df.empty:
        return df
    return df[[is_open(s) for s in df["status"]]]


# ---------------------------------------------------------------- loading
REGISTER_COLUMNS = (
    "risk_id, project, title, category, likelihood, impact, score, owner, mitigation, contingency, status, "
    "identified, last_review, residual_likelihood, residual_impact, residual_score, as_of, import_id"
)


def _as_of_param(scope: Scope) -> list[object]:
    return [scope.as_of, scope.as_of]


def load_register(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """The risk register: per project its latest snapshot, or the latest on or before `scope.as_of`."""
    pc, pp = scope.project_clause()
    snap, params = store.latest_snapshot("risk_snapshots", pc, pp, scope.as_of)
    sql = f"SELECT {REGISTER_COLUMNS} FROM {snap} s ORDER BY score DESC, project, risk_id"  # noqa: S608
    return con.execute(sql, params).df()


def load_previous(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Per project, the latest snapshot dated before the one `load_register` returns (empty if none)."""
    pc, pp = scope.project_clause()
    sql = f"""
        WITH s AS (
            SELECT * FROM risk_snapshots WHERE {pc} AND (?::DATE IS NULL OR as_of <= ?::DATE)
        ), cur AS (
            SELECT project, max(as_of) AS as_of FROM s GROUP BY project
        ), prev AS (
            SELECT s.project, arg_max(s.import_id, (s.as_of, s.import_id)) AS import_id
            FROM s JOIN cur ON s.project = cur.project AND s.as_of < cur.as_of
            GROUP BY s.project
        )
        SELECT {REGISTER_COLUMNS}
        FROM s JOIN prev USING (project, import_id)
        ORDER BY score DESC, project, risk_id
    """  # noqa: S608
    return con.execute(sql, [*pp, *_as_of_param(scope)]).df()


def load_history(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Every register snapshot up to `scope.as_of` within the scope's dates; a re-import of the same date wins."""
    pc, pp = scope.project_clause()
    dc, dp = scope.date_clause("as_of")
    sql = f"""
        WITH s AS (
            SELECT * FROM risk_snapshots
            WHERE {pc} AND {dc} AND (?::DATE IS NULL OR as_of <= ?::DATE)
        ), latest AS (
            SELECT project, as_of, max(import_id) AS import_id FROM s GROUP BY project, as_of
        )
        SELECT {REGISTER_COLUMNS}
        FROM s JOIN latest USING (project, as_of, import_id)
        ORDER BY as_of, project, risk_id
    """  # noqa: S608
    return con.execute(sql, [*pp, *dp, *_as_of_param(scope)]).df()


def load_changes(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Change requests: per project the latest change-log snapshot, or the latest on or before `scope.as_of`."""
    pc, pp = scope.project_clause()
    snap, params = store.latest_snapshot("change_snapshots", pc, pp, scope.as_of)
    sql = f"""
        SELECT change_id, project, title, status, requested, decided, cost_impact, schedule_impact_days,
               requested_by, as_of
        FROM {snap} s
        ORDER BY requested, project, change_id
    """  # noqa: S608
    return con.execute(sql, params).df()


# ---------------------------------------------------------------- pure computation
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


def cell_risks(df: pd.DataFrame, cell: tuple[int, int] | None) -> pd.DataFrame:
    """The risks in one (likelihood, impact) cell; the whole frame when no cell is chosen."""
    if cell is None or df.empty:
        return df
    lik, imp = cell
    return df[(df["likelihood"] == lik) & (df["impact"] == imp)]


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


def _key(df: pd.DataFrame) -> pd.Series:
    return df["project"].astype(str) + "\x1f" + df["risk_id"].astype(str)


def _int_or_none(value: object) -> int | None:
    return None if _isna(value) else int(value)  # type: ignore[call-overload]


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


@dataclass(frozen=True)
class MovementSummary:
    """The waterfall of risk counts: previous_open + new − closed = current_open."""

    previous_open: int
    new: int
    closed: int
    worsened: int
    improved: int
    unchanged: int

    @property
    def current_open(self) -> int:
        return self.new + self.worsened + self.improved + self.unchanged

    def adds_up(self) -> bool:
        return self.previous_open + self.new - self.closed == self.current_open

    def steps(self) -> list[tuple[str, int]]:
        """(label key, signed value) for a waterfall chart: start, +new, −closed, end."""
        return [
            ("previous_open", self.previous_open),
            ("new", self.new),
            ("closed", -self.closed),
            ("current_open", self.current_open),
        ]


def movement_summary(moves: pd.DataFrame) -> MovementSummary:
    counts = {k: int((moves["kind"] == k).sum()) for k in MOVE_KINDS} if len(moves) else dict.fromkeys(MOVE_KINDS, 0)
    return MovementSummary(
        previous_open=counts["closed"] + counts["worsened"] + counts["improved"] + counts["unchanged"],
        new=counts["new"],
        closed=counts["closed"],
        worsened=counts["worsened"],
        improved=counts["improved"],
        unchanged=counts["unchanged"],
    )


def week_start(day: object) -> dt.date:
    """Monday of the week holding `day`."""
    d = pd.Timestamp(day).date()  # type: ignore[arg-type]
    return d - dt.timedelta(days=d.weekday())


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


def _days_between(later: dt.date, earlier: object) -> int | None:
    if _isna(earlier):
        return None
    return (later - pd.Timestamp(earlier).date()).days  # type: ignore[arg-type]


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


def _no_owner(value: object) -> bool:
    return normalise_status(value) in NO_OWNER


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


# ---------------------------------------------------------------- small helpers for the page
def reference_day(scope: Scope) -> dt.date:
    """The day reviews and ages are measured at: the as-of date when looking back, else today."""
    return scope.as_of or scope.today_or_now()


def moves_within(moves: pd.DataFrame, df: pd.DataFrame) -> pd.DataFrame:
    """The movement rows of the risks present in `df` (so heatmap arrows follow the register filters)."""
    if moves.empty or df.empty:
        return moves.iloc[0:0]
    return moves[_key(moves).isin(set(_key(df)))]


MOVEMENT_COLUMNS = ("project", "risk_id", "title", "owner", "prev_score", "prev_band", "score", "band", "status")


def movement_table(moves: pd.DataFrame, kind: str, band_labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The risks of one movement kind, worst first, with before/after scores and bands."""
    out = moves[moves["kind"] == kind].reindex(columns=list(MOVEMENT_COLUMNS))
    for col in ("prev_band", "band"):
        out = relabel(out, col, band_labels)
    return out.reset_index(drop=True)


def relabel(df: pd.DataFrame, column: str, labels: Mapping[str, str] | None) -> pd.DataFrame:
    """`df` with the codes in `column` ("critical", "change", …) replaced by display labels."""
    if not labels or column not in df.columns:
        return df
    out = df.copy()
    out[column] = out[column].map(lambda v: labels.get(v, v) if isinstance(v, str) else v)
    return out


def band_counts(df: pd.DataFrame, bands: Bands = DEFAULT_BANDS) -> dict[str, int]:
    """Risks per band (every band present, zeros included)."""
    counts = dict.fromkeys(BAND_NAMES, 0)
    for s in df["score"] if len(df) else ():
        b = bands.band(s)
        if b is not None:
            counts[b] += 1
    return counts


# ------------------------------------------------------------------ whole computations, for the page's cache
# The page caches these by data version (a 20,000-risk register took seconds of pandas work on every rerun).


def decisions_in_scope(
    con: duckdb.DuckDBPyConnection, scope: Scope, today: dt.date, bands: Bands = DEFAULT_BANDS
) -> pd.DataFrame:
    """`decisions_waiting` of the change log and register in scope."""
    return decisions_waiting(load_changes(con, scope), load_register(con, scope), today, bands)


def movement_in_scope(con: duckdb.DuckDBPyConnection, scope: Scope, bands: Bands = DEFAULT_BANDS) -> pd.DataFrame:
    """`movement` between the register in scope and the one before it."""
    return movement(load_register(con, scope), load_previous(con, scope), bands)


def band_trend_in_scope(con: duckdb.DuckDBPyConnection, scope: Scope, bands: Bands = DEFAULT_BANDS) -> pd.DataFrame:
    """`open_by_band_trend` of every register snapshot in scope."""
    return open_by_band_trend(load_history(con, scope), bands)
