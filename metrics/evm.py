"""Earned-value maths on plain numbers: indices, forecasts, traffic lights and plain-words meanings.

No I/O and no DataFrames here, so every formula can be checked by hand; metrics/money.py feeds it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

# Traffic lights (documented thresholds; tests pin them):
#   SPI, CPI (and SV, CV which follow them): green >= 0.95, amber 0.90 <= x < 0.95, red < 0.90.
#   EAC and VAC, by overrun share s = (EAC - BAC) / BAC: green s <= 0, amber 0 < s <= threshold, red s > threshold
#     (threshold = settings eac_threshold, 5 % by default; the same rule raises the overrun warning).
#   TCPI (the efficiency the rest of the work must reach): green <= 1.05, amber <= 1.10, red above,
#     and red when the budget is already spent while work remains.
#   "none" whenever the value cannot be computed.
INDEX_GREEN = 0.95
INDEX_AMBER = 0.90
TCPI_GREEN = 1.05
TCPI_AMBER = 1.10
# Ratios are compared with this slack so that an overrun of exactly the threshold is not flagged by rounding.
EPS = 1e-9

METHODS = ("cpi", "alt")

REASONS: dict[str, tuple[str, str]] = {
    "no_budget": ("数据不足：没有预算", "Not enough data: no budget"),
    "no_progress": ("数据不足：尚无进度", "Not enough data: no progress yet"),
    "no_spend": ("数据不足：尚无支出", "Not enough data: no spend yet"),
}


@dataclass(frozen=True)
class Evm:
    """Earned value of one project (or a portfolio) at one date. Money in yuan; None = cannot be computed."""

    bac: float | None
    pv: float | None
    ev: float | None
    ac: float | None
    sv: float | None
    cv: float | None
    spi: float | None
    cpi: float | None
    eac: float | None  # by `method`
    eac_alt: float | None  # by the other method
    etc: float | None
    vac: float | None
    tcpi: float | None
    method: str = "cpi"
    threshold: float = 0.05
    reasons: tuple[str, ...] = ()  # keys of REASONS, first one is the headline
    lights: dict[str, str] = field(default_factory=dict)
    committed: float | None = None  # signed contracts: EAC is never below them
    eac_floored: bool = False  # EAC was raised to the committed amount

    @property
    def reason(self) -> str | None:
        return self.reasons[0] if self.reasons else None

    @property
    def overrun_share(self) -> float | None:
        """(EAC - BAC) / BAC: how far the forecast runs over the budget, as a share."""
        return overrun_share(self.eac, self.bac)


def _num(x: float | None) -> float | None:
    if x is None:
        return None
    v = float(x)
    return None if math.isnan(v) else v


def _div(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def overrun_share(eac: float | None, bac: float | None) -> float | None:
    if eac is None or bac is None or bac <= 0:
        return None
    return (eac - bac) / bac


def index_light(x: float | None) -> str:
    """SPI / CPI light."""
    if x is None:
        return "none"
    if x >= INDEX_GREEN - EPS:
        return "green"
    if x >= INDEX_AMBER - EPS:
        return "amber"
    return "red"


def eac_light(eac: float | None, bac: float | None, threshold: float = 0.05) -> str:
    s = overrun_share(eac, bac)
    if s is None:
        return "none"
    if s <= EPS:
        return "green"
    if s <= threshold + EPS:
        return "amber"
    return "red"


def tcpi_light(tcpi: float | None, budget_spent: bool = False) -> str:
    if budget_spent:
        return "red"
    if tcpi is None:
        return "none"
    if tcpi <= TCPI_GREEN + EPS:
        return "green"
    if tcpi <= TCPI_AMBER + EPS:
        return "amber"
    return "red"


def evm(
    bac: float | None,
    pv: float | None,
    ev: float | None,
    ac: float | None,
    method: str = "cpi",
    threshold: float = 0.05,
    committed: float | None = None,
) -> Evm:
    """Earned value from BAC, PV, EV and AC (yuan); BAC is the current (approved) budget.

    EAC = BAC / CPI by default (method "cpi": today's cost efficiency holds for the rest);
    method "alt": EAC = AC + (BAC - EV) (the rest is done at budget rate). ETC = EAC - AC, VAC = BAC - EAC,
    TCPI = (BAC - EV) / (BAC - AC). Nothing is ever divided by zero: a value that needs a missing or zero
    denominator is None, and `reasons` says why ("no_budget", "no_progress", "no_spend").
    EAC (both methods) is never below `committed`: signed contracts will be paid whatever the efficiency.
    """
    if method not in METHODS:
        raise ValueError(f"unknown EAC method {method!r}; use one of {METHODS}")
    bac, pv, ev, ac, committed = _num(bac), _num(pv), _num(ev), _num(ac), _num(committed)
    reasons: list[str] = []
    if bac is None or bac <= 0:
        reasons.append("no_budget")
    if ev is None or ev <= 0:
        reasons.append("no_progress")
    if ac is None or ac <= 0:
        reasons.append("no_spend")
    if "no_budget" in reasons:
        # Without a budget there is no earned value to speak of: only what was spent is shown.
        return Evm(
            bac=bac, pv=pv, ev=None, ac=ac, sv=None, cv=None, spi=None, cpi=None, eac=None, eac_alt=None,
            etc=None, vac=None, tcpi=None, method=method, threshold=threshold, reasons=tuple(reasons),
            lights={k: "none" for k in ("sv", "cv", "spi", "cpi", "eac", "etc", "vac", "tcpi")},
            committed=committed,
        )  # fmt: skip
    assert bac is not None
    sv = ev - pv if ev is not None and pv is not None else None
    cv = ev - ac if ev is not None and ac is not None else None
    # SPI is still meaningful with no progress while work was planned (0 = nothing done): keep it.
    spi = _div(ev, pv) if pv is not None and pv > 0 and ev is not None else None
    cpi = _div(ev, ac) if "no_progress" not in reasons and "no_spend" not in reasons else None
    by_cpi = _div(bac, cpi)
    by_rate = ac + (bac - ev) if ac is not None and ev is not None else None
    eac, eac_alt = (by_cpi, by_rate) if method == "cpi" else (by_rate, by_cpi)
    floored = eac is not None and committed is not None and eac < committed - EPS
    eac, eac_alt = at_least(eac, committed), at_least(eac_alt, committed)
    etc = eac - ac if eac is not None and ac is not None else None
    vac = bac - eac if eac is not None else None
    left = bac - ac if ac is not None else None
    budget_spent = left is not None and left <= 0 and ev is not None and ev < bac
    tcpi = _div(bac - ev, left) if ev is not None and left is not None and left > 0 else None
    lights = {
        "spi": index_light(spi),
        "sv": index_light(spi),
        "cpi": index_light(cpi),
        "cv": index_light(cpi),
        "eac": eac_light(eac, bac, threshold),
        "vac": eac_light(eac, bac, threshold),
        "etc": "none",
        "tcpi": tcpi_light(tcpi, budget_spent),
    }
    return Evm(
        bac=bac, pv=pv, ev=ev, ac=ac, sv=sv, cv=cv, spi=spi, cpi=cpi, eac=eac, eac_alt=eac_alt, etc=etc, vac=vac,
        tcpi=tcpi, method=method, threshold=threshold, reasons=tuple(reasons), lights=lights, committed=committed,
        eac_floored=floored,
    )  # fmt: skip


def at_least(eac: float | None, committed: float | None) -> float | None:
    """EAC raised to the committed amount when it is below it (None stays None)."""
    if eac is None or committed is None:
        return eac
    return max(eac, committed)


# ------------------------------------------------------------------ plain words


def money_words(yuan: float, lang: str) -> str:
    """Money for a sentence: 万元 in Chinese, CNY in English."""
    if lang == "zh":
        return f"{yuan / 10_000:,.2f} 万元"
    return f"CNY {yuan:,.0f}"


def reason_text(reason: str | None, lang: str) -> str:
    if reason is None:
        return ""
    zh, en = REASONS[reason]
    return zh if lang == "zh" else en


def meaning(metric: str, e: Evm, lang: str = "zh") -> str:
    """One line in plain words for a non-accountant, e.g. "CPI 0.85: each 1 元 spent delivers 0.85 元 of work"."""
    zh = lang == "zh"

    def m(v: float) -> str:
        return money_words(v, lang)

    value = getattr(e, metric)
    if value is None:
        return reason_text(e.reason, lang) or ("数据不足" if zh else "Not enough data")
    if metric == "bac":
        return f"当前预算(含已批准变更) {m(value)}" if zh else f"Current budget (approved changes included) {m(value)}"
    if metric == "pv":
        return f"按计划到今天应完成 {m(value)} 的工作" if zh else f"By today the plan expected {m(value)} of work done"
    if metric == "ev":
        return f"实际已完成的工作价值 {m(value)}" if zh else f"Work actually done is worth {m(value)}"
    if metric == "ac":
        return f"到今天已花费(已验收开票) {m(value)}" if zh else f"Spent so far (accepted and invoiced) {m(value)}"
    if metric == "sv":
        if value >= 0:
            return f"比计划多完成 {m(value)} 的工作" if zh else f"{m(value)} of work ahead of plan"
        return f"比计划少完成 {m(-value)} 的工作" if zh else f"{m(-value)} of work behind plan"
    if metric == "cv":
        if value >= 0:
            return f"已完成工作比花费多 {m(value)}(节约)" if zh else f"Work done is worth {m(value)} more than spent"
        return f"花费比已完成工作多 {m(-value)}(超支)" if zh else f"Spent {m(-value)} more than the work done is worth"
    if metric == "spi":
        if zh:
            return f"SPI {value:.2f}：计划每完成 1 元的工作，实际完成 {value:.2f} 元"
        return f"SPI {value:.2f}: for each 1 CNY of work planned, {value:.2f} CNY was done"
    if metric == "cpi":
        if zh:
            return f"CPI {value:.2f}：每花 1 元，完成 {value:.2f} 元的工作"
        return f"CPI {value:.2f}: each 1 CNY spent delivers {value:.2f} CNY of work"
    if metric == "eac":
        how = (
            ("按当前效率" if e.method == "cpi" else "其余按预算")
            if zh
            else ("at today's efficiency" if e.method == "cpi" else "rest at budget rate")
        )
        if e.eac_floored:
            how = "不低于已签约金额" if zh else "not below what is already signed"
        return f"预计完工总成本 {m(value)}({how})" if zh else f"Expected total cost {m(value)} ({how})"
    if metric == "eac_alt":
        return f"另一算法的完工估算 {m(value)}" if zh else f"Other method's estimate {m(value)}"
    if metric == "etc":
        return f"完成剩余工作还需 {m(value)}" if zh else f"{m(value)} more is needed to finish"
    if metric == "vac":
        if value >= 0:
            return f"预计完工时节约 {m(value)}" if zh else f"Expected to finish {m(value)} under budget"
        return f"预计完工时超支 {m(-value)}" if zh else f"Expected to finish {m(-value)} over budget"
    if metric == "tcpi":
        if zh:
            return f"TCPI {value:.2f}：剩余每 1 元预算需完成 {value:.2f} 元的工作才能不超支"
        return f"TCPI {value:.2f}: each remaining 1 CNY must deliver {value:.2f} CNY of work to stay on budget"
    raise KeyError(metric)


METRICS = ("bac", "pv", "ev", "ac", "sv", "cv", "spi", "cpi", "eac", "etc", "vac", "tcpi")
