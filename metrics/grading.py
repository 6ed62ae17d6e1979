"""EMR grading readiness (电子病历系统应用水平分级评价) and the other evaluations' targets (互联互通 maturity …):
for the hospital's target grade, the basic items still below it, the score gap, each item's coverage shortfall,
and the projects and tasks linked to each gap. The standard's items and requirements are data (the PMO fills the
templates from the official text); only the scoring method below is code.

Scoring rule implemented (the 2018 standard, 国卫办医函〔2018〕1079号 附件《电子病历系统应用水平分级评价标准
（试行）》, section 评价方法; the method — each item judged on its function level and on its valid-application
coverage, then the level's requirements on basic items, optional items and the total score — is the one the
standard's worked examples use, e.g. the level table "基本项目数 / 选择项目数 / 最低总评分"):
- **Item score** = function score × coverage coefficient. Function score = the level the item reaches (0–8).
  Coverage coefficient from the item's 有效应用范围 in bands (`COVERAGE_BANDS`): ≥ 80 % → 1.0, ≥ 60 % → 0.8,
  ≥ 40 % → 0.6, ≥ 20 % → 0.4, above 0 → 0.2, 0 → 0. An item whose coverage is blank has no score: it is counted
  as unscored and left out of the total (never assumed to be 100 %).
- **Total score** = Σ item scores.
- **A grade G is met** when (1) every basic item (基本项) reaches level G with coverage at or above its required
  coverage; (2) at least the required number of optional items (选择项, `optional_required` of the targets row,
  e.g. 6 of 19 for 五级) do the same; (3) the total score reaches the grade's minimum (`min_score` of the targets
  row, e.g. 140 for 五级).
- **Gaps**: basic items short = basic items below G or under their required coverage; optional items short =
  required − meeting (not below 0); score gap = minimum − total (not below 0).

Simplified, stated plainly: the band edges are one constant (`COVERAGE_BANDS`); the search sources available here
confirmed the method and the level table's shape but not every band edge, so check them against the official text
before a submission. An item's required coverage comes from its row (no default: blank means not checked). The
standard's per-level table is not built in: the targets row carries the target grade's minimum score and optional
count, so a hospital on a newer edition changes data, not code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from dataclasses import dataclass

import duckdb
import pandas as pd

from metrics import definitions, schedule
from metrics.scope import Scope

# (lowest coverage share of the band, coefficient), highest band first
COVERAGE_BANDS: tuple[tuple[float, float], ...] = ((0.8, 1.0), (0.6, 0.8), (0.4, 0.6), (0.2, 0.4))
LOW_COVERAGE_COEFFICIENT = 0.2  # above 0 and under the lowest band
EMR_WORDS = ("电子病历", "emr")
INTEROP_WORDS = ("互联互通", "interop")
_SPLIT = re.compile(r"[、,，;；/\n]+")

ITEM_COLUMNS = [
    "item_no", "role", "item", "is_basic", "current_level", "target_level", "coverage", "required_coverage",
    "coefficient", "score", "level_gap", "coverage_short", "meets", "projected_score", "projects", "tasks", "owner",
]  # fmt: skip
LINK_COLUMNS = ["item_no", "item", "project", "task_id", "task", "finish", "percent_complete", "status"]


def coverage_coefficient(coverage: float | None) -> float | None:
    """The coefficient of a coverage share 0..1 (`COVERAGE_BANDS`); None when the coverage is unknown."""
    if coverage is None or (isinstance(coverage, float) and math.isnan(coverage)):
        return None
    if coverage <= 0:
        return 0.0
    for floor, coefficient in COVERAGE_BANDS:
        if coverage >= floor - 1e-9:
            return coefficient
    return LOW_COVERAGE_COEFFICIENT


def item_score(level: float, coverage: float | None) -> float | None:
    """Function score (the level reached) × coverage coefficient; None when the coverage is unknown."""
    c = coverage_coefficient(coverage)
    return None if c is None else float(level) * c


def split_list(text: object) -> list[str]:
    """Linked projects or task ids as written: separated by 、 , ; / or new lines (a task may name its project:
    `HIS系统替换:43`, full-width colon allowed)."""
    if not isinstance(text, str):
        return []
    return [p.strip() for p in _SPLIT.split(text.replace("：", ":")) if p.strip()]


def is_emr(evaluation: object) -> bool:
    return isinstance(evaluation, str) and any(w in evaluation.lower() for w in EMR_WORDS)


@dataclass(frozen=True)
class Requirement:
    """What the target grade asks (the EMR row of the grading targets)."""

    grade: float
    min_score: float | None = None
    optional_required: int | None = None
    current_grade: float | None = None
    due: dt.date | None = None
    linked_project: str | None = None


@dataclass(frozen=True)
class GradingGap:
    requirement: Requirement | None
    items: pd.DataFrame  # ITEM_COLUMNS, gaps first
    total_score: float
    projected_score: float
    unscored: int
    basic_total: int
    basic_short: int
    optional_meeting: int
    optional_short: int | None
    score_gap: float | None
    links: pd.DataFrame  # LINK_COLUMNS: what is linked to each item still short
    as_of: dt.date | None = None

    @property
    def met(self) -> bool:
        return self.basic_short == 0 and not self.optional_short and not self.score_gap


def _day(x: object) -> dt.date | None:
    if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)) or x is pd.NaT:
        return None
    if isinstance(x, pd.Timestamp):
        return None if pd.isna(x) else x.date()
    return x if isinstance(x, dt.date) else None


def _num(x: object) -> float | None:
    if x is None or x is pd.NA:
        return None
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def assess(items: pd.DataFrame, req: Requirement | None) -> GradingGap:
    """The gap of an item table (coverage and required coverage as shares 0..1) to the requirement (pure)."""
    grade = req.grade if req is not None else None
    rows: list[dict[str, object]] = []
    for r in items.to_dict("records"):
        level = float(r["current_level"])
        cov, need = _num(r.get("coverage")), _num(r.get("required_coverage"))
        tgt = _num(r.get("target_level"))
        aim = grade if grade is not None else tgt
        coefficient = coverage_coefficient(cov)
        score = item_score(level, cov)
        level_gap = max(0.0, aim - level) if aim is not None else 0.0
        coverage_short = max(0.0, need - cov) if need is not None and cov is not None else 0.0
        cov_ok = need is None or (cov is not None and cov >= need - 1e-9)
        meets = aim is None or (level >= aim and cov_ok)
        plan_level = max(level, tgt if tgt is not None else (aim if aim is not None else level))
        plan_cov = max(cov, need) if cov is not None and need is not None else (cov if cov is not None else need)
        projected = item_score(plan_level, plan_cov)
        rows.append({
            "item_no": r["item_no"], "role": r.get("role"), "item": r["item"], "is_basic": bool(r["is_basic"]),
            "current_level": level, "target_level": tgt, "coverage": cov, "required_coverage": need,
            "coefficient": coefficient, "score": score, "level_gap": level_gap, "coverage_short": coverage_short,
            "meets": bool(meets), "projected_score": projected, "projects": r.get("projects"),
            "tasks": r.get("tasks"), "owner": r.get("owner"),
        })  # fmt: skip
    df = pd.DataFrame(rows, columns=ITEM_COLUMNS)
    for c in ("current_level", "target_level", "coverage", "required_coverage", "coefficient", "score",
              "level_gap", "coverage_short", "projected_score"):  # fmt: skip
        df[c] = pd.to_numeric(df[c]).astype("float64")
    if len(df) and (df[["current_level", "target_level"]].fillna(0) % 1 == 0).all().all():
        for c in ("current_level", "target_level", "level_gap"):  # EMR levels are whole (no 甲等/乙等)
            df[c] = df[c].round().astype("Int64")
    if len(df):
        df = df.assign(_m=df["meets"], _b=~df["is_basic"]).sort_values(
            ["_m", "_b", "level_gap", "coverage_short", "item_no"], ascending=[True, True, False, False, True]
        )
        df = df.drop(columns=["_m", "_b"]).reset_index(drop=True)
    total = float(df["score"].sum(skipna=True)) if len(df) else 0.0
    projected = float(df["projected_score"].sum(skipna=True)) if len(df) else 0.0
    basic = df[df["is_basic"]] if len(df) else df
    optional = df[~df["is_basic"]] if len(df) else df
    optional_meeting = int(optional["meets"].sum()) if len(optional) else 0
    need_opt = req.optional_required if req is not None else None
    score_gap = None
    if req is not None and req.min_score is not None:
        score_gap = max(0.0, round(req.min_score - total, 6))
    return GradingGap(
        requirement=req,
        items=df,
        total_score=round(total, 6),
        projected_score=round(projected, 6),
        unscored=int(df["score"].isna().sum()) if len(df) else 0,
        basic_total=len(basic),
        basic_short=int((~basic["meets"]).sum()) if len(basic) else 0,
        optional_meeting=optional_meeting,
        optional_short=None if need_opt is None else max(0, int(need_opt) - optional_meeting),
        score_gap=score_gap,
        links=pd.DataFrame(columns=LINK_COLUMNS),
    )


# ---------------------------------------------------------------------------------------------- the store


def load_targets(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """The grading targets table in force at the scope's as-of week (the latest import dated on or before it)."""
    cols = "evaluation, current_level, target_level, due, min_score, optional_required, linked_project, as_of"
    if scope.as_of is None:
        return con.execute(f"SELECT {cols} FROM grading_targets ORDER BY evaluation").df()  # noqa: S608
    sql = f"""
        SELECT {cols} FROM grading_target_snapshots
        WHERE import_id = (SELECT arg_max(import_id, (as_of, import_id)) FROM grading_target_snapshots
                           WHERE as_of <= ?)
        ORDER BY evaluation
    """  # noqa: S608
    return con.execute(sql, [scope.as_of]).df()


def load_items(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """The EMR grading item table in force at the scope's as-of week; coverage as shares 0..1."""
    cols = ("item_no, role, item, is_basic, current_level, target_level, coverage / 100.0 AS coverage, "
            "required_coverage / 100.0 AS required_coverage, projects, tasks, owner, as_of")  # fmt: skip
    if scope.as_of is None:
        sql = f"SELECT {cols} FROM emr_items ORDER BY item_no"  # noqa: S608
        return con.execute(sql).df()
    sql = f"""
        SELECT {cols} FROM emr_item_snapshots
        WHERE import_id = (SELECT arg_max(import_id, (as_of, import_id)) FROM emr_item_snapshots WHERE as_of <= ?)
        ORDER BY item_no
    """  # noqa: S608
    return con.execute(sql, [scope.as_of]).df()


def requirement(targets: pd.DataFrame) -> Requirement | None:
    """The EMR grading's row of the targets table as a Requirement (None when the table has none)."""
    for r in targets.to_dict("records"):
        if is_emr(r["evaluation"]) and _num(r["target_level"]) is not None:
            need = _num(r.get("optional_required"))
            return Requirement(
                grade=float(r["target_level"]),
                min_score=_num(r.get("min_score")),
                optional_required=None if need is None else int(need),
                current_grade=_num(r.get("current_level")),
                due=_day(r.get("due")),
                linked_project=r.get("linked_project") if isinstance(r.get("linked_project"), str) else None,
            )
    return None


def linked_work(gaps: pd.DataFrame, plan: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """The projects and tasks linked to each item still short (pure): a linked task id is looked up in the item's
    linked projects (every project when it names none); a linked project without task ids gives one row with
    the project's plan % complete, its latest finish, and late when any of its tasks is late."""
    rows: list[dict[str, object]] = []
    work = plan[~plan["is_summary"]] if len(plan) and "is_summary" in plan else plan
    status = definitions.task_status(work, today) if len(work) else pd.Series(dtype=object)
    percent = definitions.plan_percent_by_project(work)
    late = definitions.late_count_by_project(work, today) if len(work) else {}
    for r in gaps.to_dict("records"):
        projects, tasks = split_list(r["projects"]), split_list(r["tasks"])
        pool = work[work["project"].isin(projects)] if projects and len(work) else work
        for token in tasks:
            named, _, tid = token.rpartition(":") if ":" in token else ("", "", token)
            where = work[work["project"] == named.strip()] if named and len(work) else pool
            tid = tid.strip()
            hit = where[where["task_id"].astype(str) == tid] if len(where) else where
            if hit.empty:
                proj = named.strip() or (projects[0] if len(projects) == 1 else None)
                rows.append({"item_no": r["item_no"], "item": r["item"], "project": proj, "task_id": tid,
                             "task": None, "finish": None, "percent_complete": None, "status": "missing"})  # fmt: skip
            for idx, t in hit.iterrows():
                rows.append({
                    "item_no": r["item_no"], "item": r["item"], "project": t["project"], "task_id": tid,
                    "task": t["name"], "finish": t["finish"], "percent_complete": t["percent_complete"] / 100.0,
                    "status": status.get(idx),
                })  # fmt: skip
        if not tasks:
            for p in projects:
                mine = work[work["project"] == p] if len(work) else work
                rows.append({
                    "item_no": r["item_no"], "item": r["item"], "project": p, "task_id": None, "task": None,
                    "finish": mine["finish"].max() if len(mine) else None, "percent_complete": percent.get(p),
                    "status": ("late" if late.get(p) else "on_track") if len(mine) else "missing",
                })  # fmt: skip
    out = pd.DataFrame(rows, columns=LINK_COLUMNS)
    out["percent_complete"] = pd.to_numeric(out["percent_complete"]).astype("float64")
    return out


def grading_gap(con: duckdb.DuckDBPyConnection, scope: Scope, links: bool = True) -> GradingGap:
    """The EMR grading gap at the scope's as-of week: items, totals, gaps and the work linked to each gap (with
    `links=False` none is looked up: the overview's rows read the totals only, and the plan's tasks are the cost)."""
    scope = definitions.week_scope(scope)
    items = load_items(con, scope)
    gap = assess(items, requirement(load_targets(con, scope)))
    as_of = _day(items["as_of"].max()) if len(items) else None
    short = gap.items[~gap.items["meets"]] if len(gap.items) else gap.items
    linked = pd.DataFrame(columns=LINK_COLUMNS)
    if links and len(short):
        plan = schedule.load_tasks(con, dataclasses.replace(scope, projects=None))
        linked = linked_work(short, plan, definitions.reference_day(scope))
    return dataclasses.replace(gap, links=linked, as_of=as_of)


# ---------------------------------------------------------------------------------------------- words


_NUMERALS = "零一二三四五六七八"


def grade_label(level: float | None, lang: str, evaluation: str | None = None) -> str:
    """五级 / grade 5; 互联互通's sub-grades: 4.5 → 四级甲等, 4 → 四级乙等 (levels 4 and 5 have both)."""
    if level is None or (isinstance(level, float) and math.isnan(level)):
        return "—"
    whole = int(level)
    upper = level - whole >= 0.5
    interop = isinstance(evaluation, str) and any(w in evaluation.lower() for w in INTEROP_WORDS)
    if lang == "zh":
        sub = "甲等" if upper else ("乙等" if interop and whole in (4, 5) else "")
        return f"{_NUMERALS[whole]}级{sub}"
    sub = " A" if upper else (" B" if interop and whole in (4, 5) else "")
    return f"grade {whole}{sub}"


def points(x: float) -> str:
    """A score as the evaluation writes it: 128, 2.8 (one decimal at most)."""
    return f"{round(x, 1):g}"


def gap_sentence(gap: GradingGap, lang: str) -> str:
    """ "还差 3 个基本项和 12 分" / "3 basic items and 12 points short" (the one wording of the gap)."""
    req = gap.requirement
    if req is None:
        return "尚未导入电子病历评级目标" if lang == "zh" else "No EMR grading target loaded"
    grade = grade_label(req.grade, lang)
    zh: list[str] = []
    en: list[str] = []
    if gap.basic_short:
        zh.append(f"{gap.basic_short} 个基本项")
        en.append(f"{gap.basic_short} basic item{'s' if gap.basic_short != 1 else ''}")
    if gap.optional_short:
        zh.append(f"{gap.optional_short} 个选择项")
        en.append(f"{gap.optional_short} optional item{'s' if gap.optional_short != 1 else ''}")
    if gap.score_gap:
        zh.append(f"{points(gap.score_gap)} 分")
        en.append(f"{points(gap.score_gap)} point{'s' if gap.score_gap != 1 else ''}")
    unknown = req.min_score is None
    if not zh:
        if unknown:
            return (f"基本项与选择项已满足{grade}要求（未填最低总分，总分未核对）" if lang == "zh"
                    else f"Basic and optional items meet {grade} (no minimum score loaded: total not checked)")  # fmt: skip
        return f"已满足{grade}的要求" if lang == "zh" else f"Meets the requirements of {grade}"
    joined_zh = "、".join(zh[:-1]) + ("和 " if len(zh) > 1 else "") + zh[-1]
    joined_en = ", ".join(en[:-1]) + (" and " if len(en) > 1 else "") + en[-1]
    if lang == "zh":
        tail = "（未填最低总分，分差未计）" if unknown else ""
        return f"距{grade}还差 {joined_zh}{tail}"
    tail = " (no minimum score loaded: points not counted)" if unknown else ""
    return f"{joined_en} short of {grade}{tail}"


def other_targets(con: duckdb.DuckDBPyConnection, scope: Scope, lang: str = "zh") -> pd.DataFrame:
    """The targets of the other evaluations (互联互通 maturity …): evaluation, current_level, target_level, due,
    linked_project, levels_short (target − current, not below 0; None when the current level is blank), and the
    levels as words in `lang` (current, target: 四级甲等 / grade 4 A)."""
    t = load_targets(con, definitions.week_scope(scope))
    t = t[[not is_emr(e) for e in t["evaluation"]]] if len(t) else t
    out = t[["evaluation", "current_level", "target_level", "due", "linked_project"]].copy()
    short = [
        None if _num(c) is None else max(0.0, float(g) - float(c))
        for c, g in zip(out["current_level"], out["target_level"], strict=True)
    ]
    out["levels_short"] = pd.to_numeric(pd.Series(short, index=out.index, dtype="object")).astype("float64")
    out["current"] = [grade_label(_num(c), lang, str(e)) for c, e in zip(out["current_level"], out["evaluation"],
                                                                          strict=True)]  # fmt: skip
    out["target"] = [grade_label(_num(c), lang, str(e)) for c, e in zip(out["target_level"], out["evaluation"],
                                                                         strict=True)]  # fmt: skip
    out["due"] = [_day(d) for d in out["due"]]
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------- overview
DECISION_DAYS = 60  # a target grade not met within this many days of its review date waits for a decision


def overview_changes(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[dict[str, object]]:
    """The overview's "what changed" row (kind `grading_moved`) when the EMR grading's total score or the number
    of basic items short changed between the self-assessment in force at the week and a week before. Size: the
    score's move in points (reference 5)."""
    from metrics import overview  # the overview imports this module

    week = definitions.reference_day(scope)
    now = grading_gap(con, dataclasses.replace(scope, as_of=week, today=week), links=False)
    before = grading_gap(con, dataclasses.replace(scope, as_of=week - dt.timedelta(days=7)), links=False)
    if now.items.empty or before.items.empty or now.as_of == before.as_of:
        return []
    if now.total_score == before.total_score and now.basic_short == before.basic_short:
        return []
    req = now.requirement
    project = req.linked_project if req is not None else None
    subject = _evaluation(con, scope) or "EMR"
    size = now.total_score - before.total_score
    return [overview._change("grading_moved", project, subject, points(before.total_score), points(now.total_score),
                             size, week, {})]  # fmt: skip


def _evaluation(con: duckdb.DuckDBPyConnection, scope: Scope) -> str | None:
    names = [str(e) for e in load_targets(con, scope)["evaluation"] if is_emr(e)]
    return names[0] if names else None


def overview_decisions(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[dict[str, object]]:
    """The overview's decision row (kind `grading_gap`, metrics.overview.DECISION_COLUMNS) when the EMR target
    grade is not met and its review date is within `DECISION_DAYS` days or past: the evaluation, its linked
    project, the review date and the days to it (negative: days left)."""
    scope = definitions.week_scope(scope)
    gap = grading_gap(con, scope, links=False)
    req = gap.requirement
    if req is None or gap.items.empty or gap.met or req.due is None:
        return []
    today = definitions.reference_day(scope)
    left = (req.due - today).days
    if left > DECISION_DAYS:
        return []
    return [{
        "kind": "grading_gap", "project": req.linked_project, "id": points(req.grade),
        "title": _evaluation(con, scope) or "EMR", "age_days": -left, "cost_impact": None,
        "schedule_impact_days": None, "due": req.due,
    }]  # fmt: skip
