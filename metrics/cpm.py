"""The schedule engine: links with type and lag, working-day calendars and MS Project's rules for the critical path.

Times are on each plan's working-day axis (metrics.workcal): a task on days 3..5 runs from x=2 to x=5. Early and late
dates, total and free float (working days) per leaf task; a completed task is never critical; actual dates replace
the plan; constraint dates bound the passes; critical = total float <= 0, near-critical up to a setting.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from loaders import settings
from loaders.links import _SPLIT, _TYPE_RE, Link, LinkError, clean_id, links_json, parse_links
from metrics.workcal import Calendar, calendar_for

__all__ = ["Link", "LinkError", "links_json", "parse_links"]

LINK_TYPES = ("FS", "SS", "FF", "SF")
NEAR_CRITICAL_DEFAULT = 2.0
_TOL = 1e-6
NOTES_ATTR = "schedule_notes"


def links_of(row_links: object, predecessors: object) -> list[Link]:
    """A task's links: the stored canonical JSON when there is one, else parsed from the predecessor text."""
    if isinstance(row_links, str) and row_links.strip():
        try:
            data = json.loads(row_links)
            return [
                Link(str(d["id"]), str(d.get("type", "FS")), float(d.get("lag", 0.0)), str(d.get("unit", "d")))
                for d in data
            ]
        except (ValueError, KeyError, TypeError):
            pass
    try:
        return parse_links(predecessors)
    except LinkError:
        return [Link(lk.pred) for lk in _ids_only(predecessors)]


def _ids_only(text: object) -> list[Link]:
    out = []
    for part in _SPLIT.split(str(text)):
        m = re.match(rf"^(.+?)\s*(?:{_TYPE_RE})", part.strip(), re.IGNORECASE)
        ident = clean_id(m.group(1) if m else part)
        if ident:
            out.append(Link(ident))
    return out


def near_critical_days() -> float:
    """Total float (working days) up to which an open task counts as near-critical (setting; default 2)."""
    try:
        return settings.get_float("near_critical_days")
    except ValueError:
        return NEAR_CRITICAL_DEFAULT


# --------------------------------------------------------------------------------------------- graph
def acyclic_order(n: int, succs: list[list[int]]) -> tuple[list[int], set[tuple[int, int]], list[list[int]]]:
    """A topological order by iterative DFS; back edges (the links that close a cycle) are dropped and returned."""
    colour = [0] * n  # 0 new, 1 on the current path, 2 finished
    post: list[int] = []
    dropped: set[tuple[int, int]] = set()
    cycles: list[list[int]] = []
    for root in range(n):
        if colour[root]:
            continue
        path = [root]
        nexts = [0]
        colour[root] = 1
        while path:
            v = path[-1]
            i = nexts[-1]
            if i < len(succs[v]):
                nexts[-1] += 1
                w = succs[v][i]
                if colour[w] == 0:
                    colour[w] = 1
                    path.append(w)
                    nexts.append(0)
                elif colour[w] == 1:
                    dropped.add((v, w))
                    cycles.append(path[path.index(w) :])
            else:
                colour[v] = 2
                post.append(v)
                path.pop()
                nexts.pop()
    return post[::-1], dropped, cycles


@dataclass
class Network:
    """One project's leaf tasks as arrays on its working-day axis, with links as index lists (pred, succ, ...)."""

    cal: Calendar
    rows: list[int]  # positions in the input frame
    planned_start: npt.NDArray[np.float64]
    dur: npt.NDArray[np.float64]
    done: npt.NDArray[np.bool_]
    started: npt.NDArray[np.bool_]
    fixed_start: npt.NDArray[np.float64]  # actual start (started or done), NaN otherwise
    fixed_finish: npt.NDArray[np.float64]  # actual finish (done), NaN otherwise
    lower_start: npt.NDArray[np.float64]  # constraint floor on the early start (NaN = none)
    upper_finish: npt.NDArray[np.float64]  # constraint ceiling on the late finish (NaN = none)
    must_start: npt.NDArray[np.float64]  # MSO / MFO expressed as a start (NaN = none)
    link_pred: list[int]
    link_succ: list[int]
    link_type: list[str]
    link_lag: list[float]
    link_unit: list[str]
    order: list[int]
    milestone: npt.NDArray[np.bool_]

    @property
    def n(self) -> int:
        return len(self.rows)


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    return df[name] if name in df.columns else pd.Series([None] * len(df), index=df.index, dtype=object)


def build_network(
    df: pd.DataFrame, positions: Sequence[int], notes: list[dict[str, str]], in_cycle: npt.NDArray[np.bool_]
) -> Network:
    """Arrays and links of one project's usable rows (positions into `df`, a prepared plan frame)."""
    part = df.iloc[list(positions)]
    cal_text = next((c for c in _col(part, "calendar") if isinstance(c, str) and c.strip()), None)
    cal = calendar_for(cal_text)
    n = len(part)
    milestone = part["is_milestone"].to_numpy(dtype=bool)
    s = cal.start_x(part["start"].to_numpy())
    e = cal.end_x(part["finish"].to_numpy())
    a_s = cal.start_x(pd.to_datetime(_col(part, "actual_start"), errors="coerce").to_numpy())
    a_f = cal.end_x(pd.to_datetime(_col(part, "actual_finish"), errors="coerce").to_numpy())
    pct = part["percent_complete"].to_numpy(dtype=float)
    done = (pct >= 100) | ~np.isnan(a_f)
    started = ~done & ((pct > 0) | ~np.isnan(a_s))
    begin = np.where(np.isnan(a_s), s, a_s)
    finish = np.where(np.isnan(a_f), e, a_f)
    dur = np.where(milestone, 0.0, np.maximum(finish - begin, 0.0))
    dur = np.where(milestone | done | started, dur, np.maximum(e - s, 0.0))
    fixed_start = np.where(done | started, begin, np.nan)
    fixed_finish = np.where(done, np.where(milestone, begin, finish), np.nan)

    lower = np.full(n, np.nan)
    upper = np.full(n, np.nan)
    must = np.full(n, np.nan)
    ctype = [str(c).upper() if isinstance(c, str) else "" for c in _col(part, "constraint_type")]
    cdate = pd.to_datetime(_col(part, "constraint_date"), errors="coerce").to_numpy()
    c_s = cal.start_x(cdate)
    c_e = cal.end_x(cdate)
    for i, kind in enumerate(ctype):
        if not kind or np.isnan(c_s[i]):
            continue
        if kind in ("SNET", "START_NO_EARLIER_THAN"):
            lower[i] = c_s[i]
        elif kind in ("FNET", "FINISH_NO_EARLIER_THAN"):
            lower[i] = c_e[i] - dur[i]
        elif kind in ("SNLT", "START_NO_LATER_THAN"):
            upper[i] = c_s[i] + dur[i]
        elif kind in ("FNLT", "FINISH_NO_LATER_THAN"):
            upper[i] = c_e[i]
        elif kind in ("MSO", "MUST_START_ON"):
            must[i] = c_s[i]
        elif kind in ("MFO", "MUST_FINISH_ON"):
            must[i] = c_e[i] - dur[i]

    ids = [str(t) for t in part["task_id"]]
    by_id: dict[str, int] = {}
    for i, t in enumerate(ids):
        by_id.setdefault(t, i)
    lp: list[int] = []
    ls_: list[int] = []
    lt: list[str] = []
    lg: list[float] = []
    lu: list[str] = []
    succs: list[list[int]] = [[] for _ in range(n)]
    seen: set[tuple[int, int]] = set()
    project = str(part["project"].iloc[0]) if n else ""
    for i, (stored, text) in enumerate(zip(_col(part, "links"), part["predecessors"], strict=True)):
        for lk in links_of(stored, text):
            j = by_id.get(lk.pred)
            if j is None:
                notes.append({"kind": "unknown_predecessor", "project": project, "task_id": ids[i], "detail": lk.pred})
                continue
            if (j, i) in seen:
                continue
            seen.add((j, i))
            lp.append(j)
            ls_.append(i)
            lt.append(lk.type if lk.type in LINK_TYPES else "FS")
            lg.append(lk.lag)
            lu.append(lk.unit)
            succs[j].append(i)
    order, dropped, cycles = acyclic_order(n, succs)
    for cycle in cycles:
        cyc_ids = [ids[i] for i in cycle]
        notes.append(
            {"kind": "cycle", "project": project, "task_id": cyc_ids[0], "detail": " → ".join([*cyc_ids, cyc_ids[0]])}
        )
        for i in cycle:
            in_cycle[positions[i]] = True
    keep = [k for k in range(len(lp)) if (lp[k], ls_[k]) not in dropped]
    return Network(
        cal=cal,
        rows=list(positions),
        planned_start=s,
        dur=dur,
        done=done,
        started=started,
        fixed_start=fixed_start,
        fixed_finish=fixed_finish,
        lower_start=lower,
        upper_finish=upper,
        must_start=must,
        link_pred=[lp[k] for k in keep],
        link_succ=[ls_[k] for k in keep],
        link_type=[lt[k] for k in keep],
        link_lag=[lg[k] for k in keep],
        link_unit=[lu[k] for k in keep],
        order=order,
        milestone=milestone,
    )


def _forward_bound(net: Network, k: int, es_p: float, ef_p: float, dur_p: float, dur_s: float) -> float:
    """The earliest start link k allows its successor."""
    kind, lag, unit = net.link_type[k], net.link_lag[k], net.link_unit[k]
    from_end = kind in ("FS", "FF")
    point = ef_p if from_end else es_p
    if unit == "ed":
        point = net.cal.shift_elapsed(point, lag, from_end=from_end)
    else:
        point += lag * dur_p / 100.0 if unit == "%" else lag
    return point - dur_s if kind in ("FF", "SF") else point


def _backward_bound(net: Network, k: int, ls_s: float, lf_s: float, dur_p: float) -> float:
    """The latest finish link k allows its predecessor."""
    kind, lag, unit = net.link_type[k], net.link_lag[k], net.link_unit[k]
    to_end = kind in ("FF", "SF")
    point = lf_s if to_end else ls_s
    if unit == "ed":
        point = net.cal.shift_elapsed(point, -lag, from_end=to_end)
    else:
        point -= lag * dur_p / 100.0 if unit == "%" else lag
    return point if kind in ("FS", "FF") else point + dur_p


@dataclass
class Passes:
    es: npt.NDArray[np.float64]
    ef: npt.NDArray[np.float64]
    ls: npt.NDArray[np.float64]
    lf: npt.NDArray[np.float64]
    free: npt.NDArray[np.float64]
    has_pred: npt.NDArray[np.bool_]
    end: float


def passes(net: Network, dur: npt.NDArray[np.float64] | None = None) -> Passes:
    """Forward and backward pass over one project's network (durations `dur` override the plan's).

    Scalar loops over Python lists: at 5,000 tasks this is faster than numpy element access.
    """
    n = net.n
    d = (net.dur if dur is None else dur).tolist()
    fixed_start = net.fixed_start.tolist()
    fixed_finish = net.fixed_finish.tolist()
    lower = net.lower_start.tolist()
    upper = net.upper_finish.tolist()
    must = net.must_start.tolist()
    planned = net.planned_start.tolist()
    done = net.done.tolist()
    # per link: (other end, from/to the finish, minus/plus a duration, lag, k when the lag needs the calendar or %)
    fwd: list[list[tuple[int, bool, bool, float, int]]] = [[] for _ in range(n)]
    bwd: list[list[tuple[int, bool, bool, float, int]]] = [[] for _ in range(n)]
    for k, (p, w, kind, lag, unit) in enumerate(
        zip(net.link_pred, net.link_succ, net.link_type, net.link_lag, net.link_unit, strict=True)
    ):
        special = k if unit in ("ed", "%") else -1
        fwd[w].append((p, kind in ("FS", "FF"), kind in ("FF", "SF"), lag, special))
        bwd[p].append((w, kind in ("FF", "SF"), kind in ("SS", "SF"), lag, special))
    project_start = float(np.nanmin(net.planned_start)) if n else 0.0
    es = [0.0] * n
    ef = [0.0] * n
    has_pred = [False] * n
    for v in net.order:
        links = fwd[v]
        has_pred[v] = bool(links)
        if fixed_start[v] == fixed_start[v]:  # not NaN: started or done
            es[v] = fixed_start[v]
            ef[v] = fixed_finish[v] if done[v] else es[v] + d[v]
            continue
        start = project_start
        for p, from_end, minus, lag, k in links:
            if k >= 0:
                bound = _forward_bound(net, k, es[p], ef[p], d[p], d[v])
            else:
                bound = (ef[p] if from_end else es[p]) + lag
                if minus:
                    bound -= d[v]
            if bound > start:
                start = bound
        if not links and lower[v] != lower[v] and must[v] != must[v]:
            start = max(start, planned[v])  # an unlinked task keeps the start the plan gives it
        if lower[v] == lower[v]:
            start = max(start, lower[v])
        if must[v] == must[v]:
            start = must[v]
        es[v] = start
        ef[v] = start + d[v]
    end = max(ef) if n else 0.0
    lf = [end] * n
    free = [math.inf] * n
    for v in reversed(net.order):
        late = end
        slack = math.inf
        for w, to_end, plus, lag, k in bwd[v]:
            if k >= 0:
                bound = _backward_bound(net, k, lf[w] - d[w], lf[w], d[v])
                gap = es[w] - _forward_bound(net, k, es[v], ef[v], d[v], d[w])
            else:
                bound = (lf[w] if to_end else lf[w] - d[w]) - lag
                if plus:
                    bound += d[v]
                # the forward bound this link put on w, against w's early start
                gap = es[w] - ((es[v] if plus else ef[v]) + lag - (d[w] if to_end else 0.0))
            if bound < late:
                late = bound
            if gap < slack:
                slack = gap
        if upper[v] == upper[v]:
            late = min(late, upper[v])
        if must[v] == must[v]:
            late = must[v] + d[v]
        if done[v]:
            late = ef[v]
        lf[v] = late
        free[v] = slack if bwd[v] else end - ef[v]
    d_arr = np.asarray(d, dtype=float)
    lf_arr = np.asarray(lf, dtype=float)
    return Passes(
        np.asarray(es, dtype=float),
        np.asarray(ef, dtype=float),
        lf_arr - d_arr,
        lf_arr,
        np.asarray(free, dtype=float),
        np.asarray(has_pred, dtype=bool),
        end,
    )


CPM_COLUMNS = (
    "early_start",
    "early_finish",
    "late_start",
    "late_finish",
    "total_float",
    "free_float",
    "critical",
    "near_critical",
    "in_cycle",
    "work_days",
)


def _dates(cal: Calendar, x: npt.NDArray[np.float64], milestone: npt.NDArray[np.bool_], *, end: bool) -> Any:
    if end:
        regular = cal.date_of_end(x)
        return np.where(milestone, cal.date_of_end(x), regular)
    return cal.date_of_start(x)


def schedule(df: pd.DataFrame, near_days: float | None = None) -> pd.DataFrame:
    """Early/late dates, total and free float (working days), `critical`, `near_critical`, `in_cycle` per task.

    `df` is a prepared plan (metrics.schedule.prepare). Summary and undated rows get NaN float and are never
    critical. Unknown predecessors and cycles (broken at the closing link) are listed in attrs["schedule_notes"].
    """
    near = near_critical_days() if near_days is None else near_days
    out = df.reset_index(drop=True).copy()
    n_all = len(out)
    cols: dict[str, Any] = {
        "early_start": np.full(n_all, np.datetime64("NaT"), dtype="datetime64[ns]"),
        "early_finish": np.full(n_all, np.datetime64("NaT"), dtype="datetime64[ns]"),
        "late_start": np.full(n_all, np.datetime64("NaT"), dtype="datetime64[ns]"),
        "late_finish": np.full(n_all, np.datetime64("NaT"), dtype="datetime64[ns]"),
        "total_float": np.full(n_all, np.nan),
        "free_float": np.full(n_all, np.nan),
        "work_days": np.full(n_all, np.nan),
    }
    critical = np.zeros(n_all, dtype=bool)
    near_crit = np.zeros(n_all, dtype=bool)
    in_cycle = np.zeros(n_all, dtype=bool)
    notes: list[dict[str, str]] = []
    usable = (~out["is_summary"].to_numpy(dtype=bool)) & out["start"].notna().to_numpy()
    for _project, positions in out.groupby("project", sort=False, dropna=False).indices.items():
        rows = [int(p) for p in positions if usable[p]]
        if not rows:
            continue
        net = build_network(out, rows, notes, in_cycle)
        pas = passes(net)
        tf = pas.lf - pas.ef
        tf = np.where(net.done, 0.0, tf)
        free = np.where(net.done, 0.0, np.minimum(np.maximum(pas.free, 0.0), np.maximum(tf, 0.0)))
        ms = net.milestone
        shift = ms & pas.has_pred  # a milestone after work closes on its predecessor's last day
        idx = np.asarray(rows)
        cols["early_start"][idx] = np.where(shift, net.cal.date_of_end(pas.es), net.cal.date_of_start(pas.es))
        cols["early_finish"][idx] = np.where(ms, cols["early_start"][idx], net.cal.date_of_end(pas.ef))
        cols["late_start"][idx] = np.where(shift, net.cal.date_of_end(pas.ls), net.cal.date_of_start(pas.ls))
        cols["late_finish"][idx] = np.where(ms, cols["late_start"][idx], net.cal.date_of_end(pas.lf))
        cols["total_float"][idx] = tf
        cols["free_float"][idx] = free
        cols["work_days"][idx] = net.dur
        critical[idx] = (tf <= _TOL) & ~net.done
        near_crit[idx] = (tf > _TOL) & (tf <= near + _TOL) & ~net.done
    _roll_up(out, cols, critical, near_crit)
    for name, values in cols.items():
        out[name] = values
    out["critical"] = critical
    out["near_critical"] = near_crit
    out["in_cycle"] = in_cycle
    out.index = df.index if len(df.index) == n_all else out.index
    out.attrs[NOTES_ATTR] = notes
    return out


def _roll_up(
    plan: pd.DataFrame, cols: dict[str, Any], critical: npt.NDArray[np.bool_], near: npt.NDArray[np.bool_]
) -> None:
    """Summary rows take their children's span (earliest start, latest finish), the smallest total float and
    `critical` when any child is (MS Project's roll-up); children are the rows under them in outline order."""
    summary = plan["is_summary"].to_numpy(dtype=bool)
    if not summary.any():
        return
    level = pd.to_numeric(plan["outline_level"], errors="coerce").fillna(1).to_numpy(dtype=float)
    projects = plan["project"].tolist()
    members: dict[int, list[int]] = {}
    stack: list[int] = []
    for i in range(len(plan)):
        while stack and (level[stack[-1]] >= level[i] or projects[stack[-1]] != projects[i]):
            stack.pop()
        if not summary[i]:
            for s in stack:
                members.setdefault(s, []).append(i)
        else:
            stack.append(i)
    tf = cols["total_float"]
    for s, kids in members.items():
        k = np.asarray(kids)
        k = k[~np.isnan(tf[k])]
        if not len(k):
            continue
        cols["early_start"][s] = cols["early_start"][k].min()
        cols["late_start"][s] = cols["late_start"][k].min()
        cols["early_finish"][s] = cols["early_finish"][k].max()
        cols["late_finish"][s] = cols["late_finish"][k].max()
        tf[s] = tf[k].min()
        critical[s] = bool(critical[k].any())
        near[s] = bool(near[k].any()) and not critical[s]


# --------------------------------------------------------------------------------------------- chain
CHAIN_COLUMNS = ("project", "task_id", "name", "early_start", "early_finish", "total_float", "is_milestone")


def critical_chain(plan: pd.DataFrame) -> pd.DataFrame:
    """The critical tasks of each project in early-start order (the chain a president should watch)."""
    if plan.empty or "critical" not in plan.columns:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in CHAIN_COLUMNS})
    chain = plan[plan["critical"]].sort_values(["project", "early_start", "early_finish"], kind="stable")
    return chain.loc[:, list(CHAIN_COLUMNS)].reset_index(drop=True)


DRIVEN_COLUMNS = ("project", "task_id", "name", "finish", "critical_tasks")


def driven_milestones(plan: pd.DataFrame) -> pd.DataFrame:
    """Per project, the milestone the critical chain drives: its latest critical milestone, else its last task."""
    rows: list[dict[str, Any]] = []
    if not plan.empty and "critical" in plan.columns:
        for project, grp in plan[plan["critical"]].groupby("project", sort=True):
            ms = grp[grp["is_milestone"]]
            pick = (ms if not ms.empty else grp).sort_values(["early_finish", "task_id"], kind="stable").iloc[-1]
            rows.append(
                {
                    "project": project,
                    "task_id": pick["task_id"],
                    "name": pick["name"],
                    "finish": pick["early_finish"],
                    "critical_tasks": len(grp),
                }
            )
    if not rows:
        return pd.DataFrame(
            {c: pd.Series([], dtype="datetime64[ns]" if c == "finish" else object) for c in DRIVEN_COLUMNS}
        )
    return pd.DataFrame(rows, columns=list(DRIVEN_COLUMNS))
