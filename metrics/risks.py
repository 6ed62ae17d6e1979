"""Risks and decisions: score bands, the register as of a date, movement between snapshots, review hygiene
and the list of decisions waiting for the president (pending change requests, critical risks without owner).
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import duckdb
import numpy as np
import numpy.typing as npt
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
    return df[open_mask(df["status"])]


def open_mask(statuses: pd.Series) -> npt.NDArray[np.bool_]:
    """`is_open` of every status, decided once per distinct text (a register holds a handful of them)."""
    return per_value(statuses, is_open).astype(bool)


def per_value(values: pd.Series, fn: Callable[[Any], Any]) -> npt.NDArray[Any]:
    """`fn` of every value, called once per distinct value (missing ones as None): the one row-by-row rule, applied
    at the cost of the distinct values, so 20,000 rows with a dozen statuses or scores cost a dozen calls."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    results = np.empty(len(uniques) + 1, dtype=object)
    for i, u in enumerate(uniques):
        results[i] = fn(u)
    results[-1] = fn(None)  # code -1: a missing value
    return results[codes]


def bands_of(scores: pd.Series, bands: Bands = DEFAULT_BANDS) -> pd.Series:
    """The band name of every score (None where missing), as an object column aligned with `scores`."""
    return pd.Series(per_value(scores, bands.band), index=scores.index, dtype="object")


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
    out["band"] = bands_of(out["score"], bands)
    if "residual_score" in out.columns:
        out["residual_band"] = bands_of(out["residual_score"], bands)
    return out


def heatmap_counts(df: pd.DataFrame) -> pd.DataFrame:
    """Risks per cell: a 5×5 frame, index likelihood 1..5, columns impact 1..5 (zeros where empty)."""
    counts = np.zeros((len(LEVELS), len(LEVELS)), dtype=np.int64)
    if len(df):

        def level(value: object) -> int:  # the cell's row or column, -1 outside the grid
            n = _int_or_none(value)
            return n - 1 if n is not None and n in LEVELS else -1

        li = per_value(df["likelihood"], level).astype(np.int64)
        ii = per_value(df["impact"], level).astype(np.int64)
        inside = (li >= 0) & (ii >= 0)
        np.add.at(counts, (li[inside], ii[inside]), 1)
    return pd.DataFrame(
        counts.tolist(), index=pd.Index(LEVELS, name="likelihood"), columns=pd.Index(LEVELS, name="impact")
    )


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
        out = out[per_value(out["score"], lambda s: bands.band(s) in chosen).astype(bool)]
    return out


def choices(df: pd.DataFrame, column: str) -> list[str]:
    """The distinct non-empty values of a text column, sorted, for a filter widget."""
    if df.empty or column not in df.columns:
        return []
    return sorted({str(v) for v in df[column].unique() if not _isna(v) and str(v).strip()})


def _key(df: pd.DataFrame) -> pd.Series:
    return df["project"].astype(str) + "\x1f" + df["risk_id"].astype(str)


def _int_or_none(value: object) -> int | None:
    return None if _isna(value) else int(value)  # type: ignore[call-overload]


def movement(current: pd.DataFrame, previous: pd.DataFrame, bands: Bands = DEFAULT_BANDS) -> pd.DataFrame:
    """What changed since the previous snapshot, one row per risk open in either (keyed by project + risk_id).

    kind: new (open now, absent or closed before — a re-opened risk counts as new), closed (open before, now
    absent or closed), worsened / improved / unchanged (open in both; compared by score). `moved` says the cell
    changed, which can happen at an unchanged score ((2,3) → (3,2)). Risks closed in both are left out, so
    previous open + new − closed = current open. Column-wise over both registers (a risk listed twice in one
    register counts once, its last row).
    """
    p, c = _movement_side(previous), _movement_side(current)
    p_keys, c_keys = set(p.index), set(c.index)  # Python sets: Index.isin over 20,000 texts took 0.3 s
    added = [k for k in c.index if k not in p_keys]
    keys = pd.Index([*p.index, *added], dtype=object)
    p_in = np.arange(len(keys)) < len(p)
    c_in = np.fromiter((k in c_keys for k in p.index), dtype=bool, count=len(p))
    c_in = np.concatenate([c_in, np.ones(len(added), dtype=bool)])
    P, C = p.reindex(keys), c.reindex(keys)
    p_open, c_open = p_in & P["_open"].eq(True).to_numpy(), c_in & C["_open"].eq(True).to_numpy()
    ps = pd.to_numeric(P["score"], errors="coerce").to_numpy(dtype=float)
    cs = pd.to_numeric(C["score"], errors="coerce").to_numpy(dtype=float)
    kind = np.select(
        [c_open & ~p_open, p_open & ~c_open, cs > ps, cs < ps], ["new", "closed", "worsened", "improved"], "unchanged"
    )
    out = pd.DataFrame(index=range(len(keys)))
    for col in ("project", "risk_id", "title", "owner"):  # from the current row where there is one
        out[col] = pd.Series(np.where(c_in, C[col].to_numpy(dtype=object), P[col].to_numpy(dtype=object)))
    out["kind"] = kind
    for prefix, side, live, there in (("prev_", P, p_open, p_in), ("", C, c_open, c_in)):
        lik = pd.Series(per_value(side["likelihood"], _int_or_none), dtype="Int64").where(live)
        imp = pd.Series(per_value(side["impact"], _int_or_none), dtype="Int64").where(live)
        out[prefix + "likelihood"], out[prefix + "impact"], out[prefix + "score"] = lik, imp, lik * imp
        out[prefix + "band"] = bands_of(out[prefix + "score"], bands)
        out[prefix + "status"] = pd.Series(side["status"].to_numpy(dtype=object)).where(there, None)
    both = np.isin(kind, ("worsened", "improved", "unchanged"))
    out["moved"] = both & (
        _differs(out["prev_likelihood"], out["likelihood"]) | _differs(out["prev_impact"], out["impact"])
    )
    out = out[p_open | c_open].reindex(columns=list(MOVEMENT_ALL_COLUMNS))
    for col in ("prev_likelihood", "prev_impact", "prev_score", "likelihood", "impact", "score"):
        out[col] = out[col].astype("Int64")
    out["moved"] = out["moved"].astype(bool)
    order = {k: i for i, k in enumerate(MOVE_KINDS)}
    return out.sort_values(
        ["kind", "score", "project", "risk_id"],
        key=lambda s: s.map(order) if s.name == "kind" else s,
        ascending=[True, False, True, True],
    ).reset_index(drop=True)


MOVEMENT_ALL_COLUMNS = (
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
)
_SIDE_COLUMNS = ["project", "risk_id", "title", "owner", "status", "likelihood", "impact", "score"]


def _movement_side(df: pd.DataFrame) -> pd.DataFrame:
    """One register keyed by project + risk_id (the last row of a key wins), with its open flag."""
    if not len(df):
        return pd.DataFrame(columns=[*_SIDE_COLUMNS, "_open"], index=pd.Index([], dtype=object), dtype=object)
    side = df.reindex(columns=_SIDE_COLUMNS).astype(object)
    side.index = pd.Index(_key(df).to_numpy(dtype=object))
    side = side[~side.index.duplicated(keep="last")]
    side["_open"] = open_mask(side["status"])
    return side


def _differs(a: pd.Series, b: pd.Series) -> npt.NDArray[np.bool_]:
    """a != b where a missing value equals only another missing value (as Python's None == None)."""
    return ((a != b).fillna(True) & ~(a.isna() & b.isna())).to_numpy(dtype=bool)


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
    week still contributes its last known register instead of dropping to zero. Each snapshot's open risks are
    counted per band once; the weeks then pick up those counts.
    """
    columns = ["week", *BAND_NAMES, "total"]
    if history.empty:
        return pd.DataFrame(columns=columns)
    snap = pd.Series(per_value(history["as_of"], lambda v: pd.Timestamp(v).date()), index=history.index)
    rows_band = bands_of(history["score"], bands)
    live = open_mask(history["status"]) & rows_band.notna().to_numpy()
    counted = pd.DataFrame({"project": history["project"], "snap": snap, "band": rows_band})[live]
    per_snap: dict[tuple[object, dt.date], dict[str, int]] = {}
    for key, n in counted.groupby(["project", "snap", "band"], sort=False).size().items():
        p, d, b = cast(tuple[object, dt.date, object], key)
        per_snap.setdefault((p, d), dict.fromkeys(BAND_NAMES, 0))[str(b)] = int(n)
    dates = pd.DataFrame({"project": history["project"], "snap": snap}).drop_duplicates()
    snaps = {str(p): sorted(g["snap"]) for p, g in dates.groupby("project", sort=False)}
    projects = sorted({str(p) for p in history["project"].unique()})
    weeks = sorted({week_start(d) for d in dates["snap"].unique()})
    rows: list[dict[str, Any]] = []
    for w in weeks:
        end = w + dt.timedelta(days=6)
        counts = dict.fromkeys(BAND_NAMES, 0)
        for p in projects:
            known = snaps.get(p, [])
            i = bisect.bisect_right(known, end)
            if i == 0:
                continue
            for b, n in per_snap.get((p, known[i - 1]), {}).items():
                counts[b] += n
        rows.append({"week": w, **counts, "total": sum(counts.values())})
    return pd.DataFrame(rows, columns=columns)


def _days_between(later: dt.date, earlier: object) -> int | None:
    if _isna(earlier):
        return None
    return (later - pd.Timestamp(earlier).date()).days  # type: ignore[arg-type]


def days_since_review(df: pd.DataFrame, today: dt.date) -> pd.Series:
    """Days since the last review, falling back to the date identified when a risk was never reviewed."""
    if not len(df):
        return pd.Series([], index=df.index, dtype="Int64")
    last = per_value(df["last_review"], lambda v: _days_between(today, v))
    ident = per_value(df["identified"], lambda v: _days_between(today, v))
    never = per_value(df["last_review"], _isna).astype(bool)
    return pd.Series(np.where(never, ident, last), index=df.index, dtype="Int64")


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
    late = t["days_since_review"].isna() | (t["days_since_review"] > review_days).fillna(False)
    t["overdue"] = (open_mask(t["status"]) & late.to_numpy(dtype=bool)) if len(t) else pd.Series(dtype=bool)
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


def _pending(status: object) -> bool:
    return normalise_status(status) in PENDING_CHANGE_STATUSES


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
    # The rules below are applied to the distinct statuses, scores and owners first, so only the few rows that
    # wait for a decision are walked one by one.
    if len(changes_df) and "status" in changes_df.columns:
        changes_df = changes_df[per_value(changes_df["status"], _pending).astype(bool)]
    if len(risks_df):
        critical = per_value(risks_df["score"], lambda s: bands.band(s) == "critical").astype(bool)
        ownerless = per_value(risks_df["owner"], _no_owner).astype(bool) if "owner" in risks_df.columns else True
        risks_df = risks_df[critical & ownerless & open_mask(risks_df["status"])]
    for c in changes_df.to_dict("records"):
        if not _pending(c.get("status")):
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


def moves_within(moves: pd.DataFrame, df: pd.DataFrame, moved_only: bool = False) -> pd.DataFrame:
    """The movement rows of the risks present in `df` (so heatmap arrows follow the register filters); with
    `moved_only`, only those that changed cell (the heatmap's arrows)."""
    if moved_only and len(moves):
        moves = moves[moves["moved"].astype(bool)]
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
    out[column] = per_value(out[column], lambda v: labels.get(v, v) if isinstance(v, str) else v)
    return out


def band_counts(df: pd.DataFrame, bands: Bands = DEFAULT_BANDS) -> dict[str, int]:
    """Risks per band (every band present, zeros included)."""
    counts = dict.fromkeys(BAND_NAMES, 0)
    if len(df):
        for b, n in bands_of(df["score"], bands).value_counts().items():
            counts[str(b)] += int(n)
    return counts


# ------------------------------------------------------------------ whole computations, for the page's cache
# The page caches this by data version and scope: the register is read once, and everything that does not follow
# the page's owner/status/band filters is computed with it (a 20,000-risk register took seconds a run before).


@dataclass(frozen=True)
class RegisterView:
    """The register in scope with what the risks page draws from it whatever the filters: movement since the
    previous snapshot, the decisions waiting, open risks by band per week and the filters' choices."""

    register: pd.DataFrame
    has_previous: bool
    moves: pd.DataFrame
    decisions: pd.DataFrame
    trend: pd.DataFrame
    owners: tuple[str, ...]
    statuses: tuple[str, ...]


def register_view(
    con: duckdb.DuckDBPyConnection, scope: Scope, today: dt.date, bands: Bands = DEFAULT_BANDS
) -> RegisterView:
    """The page's `RegisterView`: one read of the register, the previous snapshot, the change log and history."""
    register, previous = load_register(con, scope), load_previous(con, scope)
    return RegisterView(
        register=register,
        has_previous=not previous.empty,
        moves=movement(register, previous, bands),
        decisions=decisions_waiting(load_changes(con, scope), register, today, bands),
        trend=open_by_band_trend(load_history(con, scope), bands),
        owners=tuple(choices(register, "owner")),
        statuses=tuple(choices(register, "status")),
    )
