"""When will it really finish? A seeded Monte Carlo over each plan's remaining work, on the schedule engine's network.

Durations: triangular (optimistic, most likely, pessimistic) where the plan has three-point columns; otherwise the
plan's duration times a triangular multiplier: DEFAULT_SPREAD (0.9, 1.0, 1.3) or, with at least MIN_HISTORY tasks
seen in two snapshots, the spread of how this plan's tasks actually grew between its first and latest snapshot:
(min(P10, 0.95), max(P50, 1), max(P90, mode + 0.1)) of the ratio (latest finish - first start) / (first finish -
first start) in calendar days, each clipped to 0.5..3: how much later than planned, relative to its length, a task
ends.
Done work is fixed; a started task samples only its remaining share. Vectorised over iterations, task by task in
topological order. Results: P50/P80 finish, the chance of meeting the baseline finish, criticality index per task.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import numpy as np
import numpy.typing as npt
import pandas as pd

from loaders import store as _store
from metrics import cpm, memo, schedule
from metrics.scope import Scope

DEFAULT_SPREAD = (0.9, 1.0, 1.3)
METHODS = ("three_point", "history", "default")  # codes in FinishForecast.projects["method"]
MIN_HISTORY = 10
ITERATIONS = 5000
SEED = 20261201
_CHUNK = 500  # iterations per pass: small enough that a task's predecessors are still in cache
Array = npt.NDArray[np.float64]

PROJECT_COLUMNS = (
    "project",
    "planned_finish",
    "p50_finish",
    "p80_finish",
    "baseline_finish",
    "p_meet_baseline",
    "p50_slip_days",
    "p80_slip_days",
    "method",
    "iterations",
)
MILESTONE_COLUMNS = ("project", "task_id", "name", "planned_finish", "p50_finish", "p80_finish", "baseline_finish",
                     "p_meet_baseline")  # fmt: skip
CRITICALITY_COLUMNS = ("project", "task_id", "name", "criticality", "critical")


@dataclass(frozen=True)
class FinishForecast:
    """Per project (P50/P80, baseline odds), per open milestone, criticality per task, and the raw finish samples
    (working days on the project's axis) with their dates for the distribution chart."""

    projects: pd.DataFrame
    milestones: pd.DataFrame
    criticality: pd.DataFrame
    distribution: pd.DataFrame  # project, finish (date), share (of iterations), cumulative
    samples: dict[str, Array] = field(default_factory=dict)


def triangular_quantile(a: float, c: float, b: float, q: float) -> float:
    """The q-quantile of a triangular(a, mode c, b) distribution (closed form; used by tests and the docs)."""
    if b <= a:
        return a
    fc = (c - a) / (b - a)
    if q <= fc:
        return float(a + np.sqrt(q * (b - a) * (c - a)))
    return float(b - np.sqrt((1 - q) * (b - a) * (b - c)))


def history_spread(snapshots: pd.DataFrame) -> dict[str, tuple[float, float, float]]:
    """Per project, the duration multiplier spread observed between its first and latest snapshot (see module doc)."""
    out: dict[str, tuple[float, float, float]] = {}
    if snapshots.empty:
        return out
    snaps = snapshots[~snapshots["is_summary"] & ~snapshots["is_milestone"]]
    for project, grp in snaps.groupby("project", sort=False):
        dates = sorted(grp["as_of"].dropna().unique())
        if len(dates) < 2:
            continue
        first = grp[grp["as_of"] == dates[0]].drop_duplicates("task_id").set_index("task_id")
        last = grp[grp["as_of"] == dates[-1]].drop_duplicates("task_id").set_index("task_id")
        both = first.index.intersection(last.index)
        if len(both) < MIN_HISTORY:
            continue
        # how late each task now ends against its first plan, in units of its first planned length
        span0 = (first.loc[both, "finish"] - first.loc[both, "start"]).dt.days + 1
        span1 = (last.loc[both, "finish"] - first.loc[both, "start"]).dt.days + 1
        ratio = (span1 / span0.where(span0 > 0)).dropna().clip(0.5, 3.0).to_numpy(dtype=float)
        if len(ratio) < MIN_HISTORY:
            continue
        p10, p50, p90 = np.quantile(ratio, [0.1, 0.5, 0.9])
        mode = max(float(p50), 1.0)
        out[str(project)] = (min(float(p10), 0.95), mode, max(float(p90), mode + 0.1))
    return out


def _sample_durations(
    net: cpm.Network, part: pd.DataFrame, spread: tuple[float, float, float], rng: np.random.Generator, size: int
) -> Array:
    """(n, size) sampled durations (one row per task): fixed for done tasks, the remaining share for started ones."""
    n = net.n
    base = net.dur.astype(float)
    opt = pd.to_numeric(part["duration_optimistic"], errors="coerce").to_numpy(dtype=float)
    lik = pd.to_numeric(part["duration_likely"], errors="coerce").to_numpy(dtype=float)
    pes = pd.to_numeric(part["duration_pessimistic"], errors="coerce").to_numpy(dtype=float)
    three = ~np.isnan(opt) & ~np.isnan(pes) & (pes >= opt)
    lik = np.where(np.isnan(lik), (opt + pes) / 2, np.clip(lik, opt, pes))
    fixed = net.done | net.milestone
    a, c, b = spread
    # every row drawn with the plan's spread in one call (cheap), then fixed and three-point rows overwritten
    out = rng.triangular(a, c, b, size=(n, size))
    out *= base[:, None]
    keep = np.flatnonzero(fixed)
    out[keep] = base[keep, None]
    pct = np.clip(part["percent_complete"].to_numpy(dtype=float), 0, 100) / 100.0
    tri = np.flatnonzero(~fixed & three & (pes > opt))
    if len(tri):
        out[tri] = rng.triangular(opt[tri, None], lik[tri, None], pes[tri, None], size=(len(tri), size))
    flat = np.flatnonzero(~fixed & three & (pes <= opt))
    out[flat] = opt[flat, None]
    started = np.flatnonzero(net.started & ~fixed)
    if len(started):
        share = pct[started, None]
        out[started] = base[started, None] * share + out[started] * (1 - share)
    return out


def _simulate_plain(
    net: cpm.Network,
    durations: Array,
    det: cpm.Passes,
    status: float = np.nan,
    done_work: Array | None = None,
    backward: bool = True,
) -> tuple[Array, Array, npt.NDArray[np.bool_] | None]:
    """The plain kernel (the reference `_Kernel` is tested against): forward and backward passes over a chunk of
    iterations, one contiguous row per task, links read per chunk:
    (early finish per task, project end, critical per task and iteration). With a status date (x), the remaining
    work of a started task ends no earlier than status + remaining (`done_work` = the share already done, days).
    Without `backward` only the forward pass runs (finish dates need no more) and critical is None."""
    n, size = durations.shape
    fwd: list[list[tuple[int, bool, bool, float, bool]]] = [[] for _ in range(n)]
    bwd: list[list[tuple[int, bool, bool, float, bool]]] = [[] for _ in range(n)]
    for k in range(len(net.link_pred)):
        p, w, kind, unit = net.link_pred[k], net.link_succ[k], net.link_type[k], net.link_unit[k]
        # an elapsed lag is taken as the working days it spans in the deterministic plan
        lag = _lag_const(net, k, det) if unit == "ed" else net.link_lag[k]
        fwd[w].append((p, kind in ("FS", "FF"), kind in ("FF", "SF"), lag, unit == "%"))
        bwd[p].append((w, kind in ("FF", "SF"), kind in ("SS", "SF"), lag, unit == "%"))
    fixed_start = net.fixed_start.tolist()
    fixed_finish = net.fixed_finish.tolist()
    lower = net.lower_start.tolist()
    must = net.must_start.tolist()
    done = net.done.tolist()
    det_es = det.es.tolist()
    project_start = float(np.nanmin(net.planned_start))
    es = np.empty((n, size))
    ef = np.empty((n, size))
    for v in net.order:
        d = durations[v]
        if fixed_start[v] == fixed_start[v]:
            es[v] = fixed_start[v]
            ef[v] = fixed_finish[v] if done[v] else fixed_start[v] + d
            if not done[v] and status == status and done_work is not None:
                np.maximum(ef[v], d + (status - float(done_work[v])), out=ef[v])
            continue
        links = fwd[v]
        start = es[v]
        start.fill(det_es[v] if not links else project_start)
        for p, from_end, minus, lag, pct in links:
            anchor = ef[p] if from_end else es[p]
            if not minus and not pct and lag == 0.0:
                np.maximum(start, anchor, out=start)  # plain finish-to-start: no temporary array
                continue
            point = anchor + (durations[p] * (lag / 100.0) if pct else lag)
            if minus:
                point -= d
            np.maximum(start, point, out=start)
        if lower[v] == lower[v]:
            np.maximum(start, lower[v], out=start)
        if must[v] == must[v]:
            start.fill(must[v])
        np.add(start, d, out=ef[v])
    end = ef.max(axis=0)
    if not backward:
        return ef, end, None
    lf = np.empty((n, size))
    ls = np.empty((n, size))
    for v in reversed(net.order):
        late = lf[v]
        late[:] = end
        for w, to_end, plus, lag, pct in bwd[v]:
            anchor = lf[w] if to_end else ls[w]
            if not plus and not pct and lag == 0.0:
                np.minimum(late, anchor, out=late)
                continue
            point = anchor - (durations[v] * (lag / 100.0) if pct else lag)
            if plus:
                point += durations[v]
            np.minimum(late, point, out=late)
        if done[v]:
            late[:] = ef[v]
        np.subtract(late, durations[v], out=ls[v])
    lf -= ef
    critical = (lf <= 1e-6) & ~net.done[:, None]
    return ef, end, critical


Special = tuple[int, bool, bool, float, bool]  # (other end, reads its finish, shifts by a duration, lag, lag in %)


@dataclass(frozen=True)
class _Links:
    """One task's links in one direction: plain ones (no lag, no shift) read the other end's finish or start as
    it is; the rest carry their lag and duration shift."""

    ends: tuple[int, ...]
    starts: tuple[int, ...]
    special: tuple[Special, ...]


class _Kernel:
    """`_simulate_plain`'s passes with the network read once per project instead of once per chunk, rows in
    topological order (a task's predecessors lie just above it in memory), plain links split from the rest and
    done tasks' backward links skipped (their late finish is their finish): the same operations on the same
    floats per task (a max or min does not depend on the order links are taken in), so the same figures bit for
    bit, for a fifth to a quarter less CPU."""

    def __init__(self, net: cpm.Network, det: cpm.Passes, status: float, done_work: Array | None) -> None:
        n = net.n
        order = np.asarray(net.order, dtype=np.intp)
        rank = np.empty(n, dtype=np.intp)
        rank[order] = np.arange(n, dtype=np.intp)
        self.order, self.rank, self.n = order, rank, n
        fwd: list[list[tuple[int, bool, bool, float, bool]]] = [[] for _ in range(n)]
        bwd: list[list[tuple[int, bool, bool, float, bool]]] = [[] for _ in range(n)]
        for k in range(len(net.link_pred)):
            p, w, kind, unit = (
                int(rank[net.link_pred[k]]),
                int(rank[net.link_succ[k]]),
                net.link_type[k],
                net.link_unit[k],
            )
            lag = _lag_const(net, k, det) if unit == "ed" else net.link_lag[k]
            fwd[w].append((p, kind in ("FS", "FF"), kind in ("FF", "SF"), lag, unit == "%"))
            bwd[p].append((w, kind in ("FF", "SF"), kind in ("SS", "SF"), lag, unit == "%"))
        self.fwd = [self._split(links) for links in fwd]
        self.bwd = [self._split(links) for links in bwd]
        self.linked = [bool(links) for links in fwd]
        pick = order.tolist()
        self.fixed_start = net.fixed_start[order].tolist()
        self.fixed_finish = net.fixed_finish[order].tolist()
        self.lower = net.lower_start[order].tolist()
        self.must = net.must_start[order].tolist()
        self.done = net.done[order].tolist()
        self.done_rows = net.done[order]
        self.det_es = det.es[order].tolist()
        self.project_start = float(np.nanmin(net.planned_start))
        # a started task's remaining work ends no earlier than status + remaining: d + (status - done work)
        self.clamp = status == status and done_work is not None
        self.floor = [status - float(done_work[v]) if done_work is not None else np.nan for v in pick]

    @staticmethod
    def _split(links: list[tuple[int, bool, bool, float, bool]]) -> _Links:
        ends = tuple(p for p, end, shift, lag, pct in links if not shift and not pct and lag == 0.0 and end)
        starts = tuple(p for p, end, shift, lag, pct in links if not shift and not pct and lag == 0.0 and not end)
        special = tuple(lk for lk in links if lk[2] or lk[4] or lk[3] != 0.0)
        return _Links(ends, starts, special)

    def run(self, durations: Array, backward: bool = True) -> tuple[Array, Array, npt.NDArray[np.bool_] | None]:
        """(early finish, project end, critical) for a chunk whose rows are in topological order (durations[order])."""
        n, size = durations.shape
        maximum, minimum = np.maximum, np.minimum
        es = np.empty((n, size))
        ef = np.empty((n, size))
        d_rows, es_rows, ef_rows = list(durations), list(es), list(ef)
        fixed_start, fixed_finish, done, floor, clamp = (
            self.fixed_start, self.fixed_finish, self.done, self.floor, self.clamp)  # fmt: skip
        lower, must, det_es, linked = self.lower, self.must, self.det_es, self.linked
        project_start = self.project_start
        for v in range(n):
            d = d_rows[v]
            start = es_rows[v]
            if fixed_start[v] == fixed_start[v]:
                start.fill(fixed_start[v])
                if done[v]:
                    ef_rows[v].fill(fixed_finish[v])
                else:
                    np.add(start, d, out=ef_rows[v])
                    if clamp:
                        maximum(ef_rows[v], d + floor[v], out=ef_rows[v])
                continue
            links = self.fwd[v]
            start.fill(det_es[v] if not linked[v] else project_start)
            for p in links.ends:
                maximum(start, ef_rows[p], out=start)
            for p in links.starts:
                maximum(start, es_rows[p], out=start)
            for p, from_end, minus, lag, pct in links.special:
                point = (ef_rows[p] if from_end else es_rows[p]) + (d_rows[p] * (lag / 100.0) if pct else lag)
                if minus:
                    point -= d
                maximum(start, point, out=start)
            if lower[v] == lower[v]:
                maximum(start, lower[v], out=start)
            if must[v] == must[v]:
                start.fill(must[v])
            np.add(start, d, out=ef_rows[v])
        end = ef.max(axis=0)
        if not backward:
            return ef, end, None
        lf = np.empty((n, size))
        ls = np.empty((n, size))
        lf_rows, ls_rows = list(lf), list(ls)
        for v in range(n - 1, -1, -1):
            late = lf_rows[v]
            if done[v]:
                late[:] = ef_rows[v]  # a done task's late finish is its finish, whatever follows it
            else:
                late[:] = end
                links = self.bwd[v]
                for w in links.ends:
                    minimum(late, lf_rows[w], out=late)
                for w in links.starts:
                    minimum(late, ls_rows[w], out=late)
                for w, to_end, plus, lag, pct in links.special:
                    point = (lf_rows[w] if to_end else ls_rows[w]) - (d_rows[v] * (lag / 100.0) if pct else lag)
                    if plus:
                        point += d_rows[v]
                    minimum(late, point, out=late)
            np.subtract(late, d_rows[v], out=ls_rows[v])
        lf -= ef
        critical = (lf <= 1e-6) & ~self.done_rows[:, None]
        return ef, end, critical


def _lag_const(net: cpm.Network, k: int, det: cpm.Passes) -> float:
    p, kind = net.link_pred[k], net.link_type[k]
    from_end = kind in ("FS", "FF")
    point = float(det.ef[p] if from_end else det.es[p])
    return float(net.cal.shift_elapsed(point, net.link_lag[k], from_end=from_end) - point)


def forecast_plan(
    plan: pd.DataFrame,
    spreads: dict[str, tuple[float, float, float]] | None = None,
    iterations: int = ITERATIONS,
    seed: int = SEED,
    status: dt.date | None = None,
    criticality: bool = True,
    kernel: str = "fast",
) -> FinishForecast:
    """The finish forecast of a prepared plan (pure: tests feed hand-made plans). Same data + seed = same figures.

    With a status date, no remaining work is forecast before it (open tasks start on or after it; a started task's
    remaining share ends no earlier than status date + remaining), as MS Project reschedules uncompleted work.
    Without `criticality` the backward passes are skipped (about half the work) and `.criticality` is empty; every
    other figure is the same, bit for bit (the same draws, the same forward passes). `kernel="plain"` runs the
    reference passes (`_simulate_plain`) the fast `_Kernel` is tested against.
    """
    d = schedule.prepare(plan).reset_index(drop=True)
    usable = (~d["is_summary"].to_numpy(dtype=bool)) & d["start"].notna().to_numpy()
    rng = np.random.default_rng(seed)
    proj_rows: list[dict[str, object]] = []
    ms_rows: list[dict[str, object]] = []
    crit_rows: list[dict[str, object]] = []
    dist_rows: list[dict[str, object]] = []
    samples: dict[str, Array] = {}
    for project, positions in d.groupby("project", sort=True).indices.items():
        rows = [int(p) for p in positions if usable[p]]
        if not rows:
            continue
        notes: list[dict[str, str]] = []
        net = cpm.build_network(d, rows, notes, np.zeros(len(d), dtype=bool))
        part = d.iloc[rows]
        spread = (spreads or {}).get(str(project), DEFAULT_SPREAD)
        method = "three_point" if part["duration_optimistic"].notna().any() else (
            "history" if spreads and str(project) in spreads else "default")  # fmt: skip
        plain = cpm.passes(net)
        status_x = float(net.cal.start_x([status])[0]) if status is not None else np.nan
        done_work = net.dur * np.clip(part["percent_complete"].to_numpy(dtype=float), 0, 100) / 100.0
        if status is not None:
            open_ = ~net.done & ~net.started
            net.lower_start = np.where(open_, np.fmax(net.lower_start, status_x), net.lower_start)
        det = cpm.passes(net)
        ms_open = np.flatnonzero(net.milestone & ~net.done)
        kern = _Kernel(net, det, status_x, done_work) if kernel != "plain" else None
        ends: list[Array] = []
        crit_count = np.zeros(net.n)
        ef_chunks: list[Array] = []
        done_iter = 0
        while done_iter < iterations:
            size = min(_CHUNK, iterations - done_iter)
            durations = _sample_durations(net, part, spread, rng, size)
            if kern is None:
                ef, end, critical = _simulate_plain(net, durations, det, status_x, done_work, backward=criticality)
                if critical is not None:
                    crit_count += critical.sum(axis=1)
                ef_chunks.append(ef[ms_open].T)
            else:  # rows in topological order: results mapped back through order / rank
                ef, end, critical = kern.run(durations[kern.order], backward=criticality)
                if critical is not None:
                    crit_count[kern.order] += critical.sum(axis=1)
                ef_chunks.append(ef[kern.rank[ms_open]].T)
            ends.append(end)
            done_iter += size
        end_x = np.concatenate(ends)
        samples[str(project)] = end_x
        cal = net.cal
        q50, q80 = np.quantile(end_x, [0.5, 0.8])
        base = pd.to_datetime(part["baseline_finish"]).max()
        base_x = float(cal.end_x([base])[0]) if pd.notna(base) else np.nan
        proj_rows.append(
            {
                "project": project,
                "planned_finish": cal.date_of_end(np.array([plain.end]))[0],
                "p50_finish": cal.date_of_end(np.array([q50]))[0],
                "p80_finish": cal.date_of_end(np.array([q80]))[0],
                "baseline_finish": base if pd.notna(base) else pd.NaT,
                "p_meet_baseline": float(np.mean(end_x <= base_x + 1e-9)) if not np.isnan(base_x) else np.nan,
                "p50_slip_days": float(np.ceil(q50 - plain.end - 1e-9)),
                "p80_slip_days": float(np.ceil(q80 - plain.end - 1e-9)),
                "method": method,
                "iterations": int(iterations),
            }
        )
        finishes = pd.Series(cal.date_of_end(np.ceil(end_x - 1e-9)))
        counts = finishes.value_counts(normalize=True).sort_index()
        cum = counts.cumsum()
        for day, share, total in zip(counts.index, counts.to_numpy(), cum.to_numpy(), strict=True):
            dist_rows.append({"project": project, "finish": day, "share": float(share), "cumulative": float(total)})
        ms_idx = np.flatnonzero(net.milestone & ~net.done)
        if len(ms_idx):
            ms_ef = np.concatenate(ef_chunks)
            for j, i in enumerate(ms_idx):
                row = part.iloc[i]
                m50, m80 = np.quantile(ms_ef[:, j], [0.5, 0.8])
                mb = row["baseline_finish"]
                mb_x = float(cal.end_x([mb])[0]) if pd.notna(mb) else np.nan
                ms_rows.append(
                    {
                        "project": project,
                        "task_id": row["task_id"],
                        "name": row["name"],
                        "planned_finish": row["finish"],
                        "p50_finish": cal.date_of_end(np.array([m50]))[0],
                        "p80_finish": cal.date_of_end(np.array([m80]))[0],
                        "baseline_finish": mb if pd.notna(mb) else pd.NaT,
                        "p_meet_baseline": float(np.mean(ms_ef[:, j] <= mb_x + 1e-9)) if not np.isnan(mb_x) else np.nan,
                    }
                )
        crit_rows.extend(() if not criticality else (
            {"project": project, "task_id": tid, "name": name, "criticality": float(cnt / iterations), "critical": cr}
            for tid, name, cnt, cr in zip(
                part["task_id"], part["name"], crit_count, (det.lf - det.ef <= 1e-6) & ~net.done, strict=True
            )
        ))  # fmt: skip
    projects = pd.DataFrame(proj_rows, columns=list(PROJECT_COLUMNS))
    crit = pd.DataFrame(crit_rows, columns=list(CRITICALITY_COLUMNS))
    if not crit.empty:
        crit = crit.sort_values(["project", "criticality"], ascending=[True, False], kind="stable")
        crit = crit.reset_index(drop=True)
    return FinishForecast(
        projects=projects,
        milestones=pd.DataFrame(ms_rows, columns=list(MILESTONE_COLUMNS)),
        criticality=crit,
        distribution=pd.DataFrame(dist_rows, columns=["project", "finish", "share", "cumulative"]),
        samples=samples,
    )


def finish_forecast_fresh(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    iterations: int = ITERATIONS,
    seed: int = SEED,
    criticality: bool = True,
) -> FinishForecast:
    """The finish forecast computed now, never from the memo (what `finish_forecast` keeps)."""
    plan = schedule.load_tasks(con, scope)
    spreads = history_spread(schedule.load_snapshots(con, scope))
    status = schedule.plan_today(scope)
    return forecast_plan(plan, spreads, iterations, seed, status=status, criticality=criticality)


_FORECASTS: memo.Memo[FinishForecast] = memo.Memo(8)  # a few scopes (projects, as-of week, today)


def _memo_key(con: duckdb.DuckDBPyConnection, scope: Scope, iterations: int, seed: int) -> tuple[object, ...] | None:
    """What a forecast depends on: the store, its data version, the projects and hospitals (the plans read), the
    as-of week (which snapshot) and the status date (plan_today); not the date range nor the departments, which
    never cut a plan. None for an in-memory store (tests change those freely)."""
    return memo.store_key(
        con, scope.projects, scope.hospitals, scope.as_of, schedule.plan_today(scope), iterations, seed
    )


def finish_forecast(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    iterations: int = ITERATIONS,
    seed: int = SEED,
    criticality: bool = True,
) -> FinishForecast:
    """The finish forecast of the scoped projects' latest plans, status date = the scope's today (plan_today).

    The figure the overview quotes: `.projects` has, per project, planned_finish, p50_finish, p80_finish,
    baseline_finish, p_meet_baseline (0..1), p50/p80_slip_days (working days past the plan) and the method.
    Computed once per store, data version and scope (see `_memo_key`) and shared by the schedule page, the overview
    and the brief in every session (a new import changes the data version, so it is never stale); read-only.
    Without `criticality` (what the overview needs: finish dates) the criticality index is left out and half the
    work skipped; a full forecast already kept for the scope answers that too. The key's data version and the plans
    are read in one snapshot of the data.
    """
    with _store.read_snapshot(con):
        key = _memo_key(con, scope, iterations, seed)
        if key is None:
            return finish_forecast_fresh(con, scope, iterations, seed, criticality)
        with _FORECASTS.lock:  # one build at a time: the overview and the schedule page opened together wait
            for wanted in (True,) if criticality else (True, False):
                hit = _FORECASTS.get((*key, wanted))
                if hit is not None:
                    return hit
            built = finish_forecast_fresh(con, scope, iterations, seed, criticality)
            return _FORECASTS.put((*key, criticality), built)


def as_date(value: object) -> dt.date | None:
    """A forecast date as a plain date (None when missing)."""
    ts = pd.Timestamp(value) if value is not None else pd.NaT  # type: ignore[arg-type]
    return None if pd.isna(ts) else ts.date()
