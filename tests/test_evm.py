"""EVM maths against hand-computed figures, every edge case, lights at their boundaries, plain-words meanings."""

from __future__ import annotations

import pytest

from metrics import evm as E


def test_hand_computed_example() -> None:
    # BAC 600, PV 450, EV 150, AC 260 (the plan of tests/test_money_metrics.py, in 千元)
    e = E.evm(600, 450, 150, 260)
    assert e.sv == -300  # 150 - 450
    assert e.cv == -110  # 150 - 260
    assert e.spi == pytest.approx(1 / 3)  # 150 / 450
    assert e.cpi == pytest.approx(150 / 260)  # 0.5769
    assert e.eac == pytest.approx(1040)  # 600 / (150/260) = 600 * 260 / 150
    assert e.eac_alt == pytest.approx(710)  # 260 + (600 - 150)
    assert e.etc == pytest.approx(780)  # 1040 - 260
    assert e.vac == pytest.approx(-440)  # 600 - 1040
    assert e.tcpi == pytest.approx(450 / 340)  # (600 - 150) / (600 - 260) = 1.3235
    assert e.reasons == ()
    assert e.lights["spi"] == "red" and e.lights["cpi"] == "red" and e.lights["eac"] == "red"
    assert e.lights["tcpi"] == "red"


def test_alt_method_swaps_the_two_estimates() -> None:
    e = E.evm(600, 450, 150, 260, method="alt")
    assert e.eac == pytest.approx(710) and e.eac_alt == pytest.approx(1040)
    assert e.etc == pytest.approx(450)  # 710 - 260
    assert e.vac == pytest.approx(-110)  # 600 - 710
    with pytest.raises(ValueError):
        E.evm(1, 1, 1, 1, method="nope")


def test_no_progress_yet() -> None:
    # EV = 0 while 100 was planned and 40 spent: SPI 0 (nothing done), but no CPI / EAC (never 40 / 0).
    e = E.evm(1000, 100, 0, 40)
    assert e.reason == "no_progress"
    assert e.spi == 0.0 and e.lights["spi"] == "red"
    assert e.cpi is None and e.eac is None and e.etc is None and e.vac is None
    assert e.eac_alt == 1040  # 40 + (1000 - 0)
    assert e.cv == -40
    assert e.tcpi == pytest.approx(1000 / 960)


def test_no_spend_yet() -> None:
    e = E.evm(1000, 100, 50, 0)
    assert e.reason == "no_spend"
    assert e.cpi is None and e.eac is None and e.lights["cpi"] == "none" and e.lights["eac"] == "none"
    assert e.spi == 0.5
    assert e.eac_alt == 950  # 0 + (1000 - 50)
    assert e.tcpi == pytest.approx(0.95)  # (1000 - 50) / (1000 - 0)


def test_nothing_started_at_all() -> None:
    e = E.evm(1000, 0, 0, 0)
    assert e.reasons == ("no_progress", "no_spend")
    assert e.spi is None and e.cpi is None and e.eac is None
    assert E.meaning("cpi", e, "en") == "Not enough data: no progress yet"


@pytest.mark.parametrize("bac", [0, None, -5])
def test_zero_or_missing_budget(bac: float | None) -> None:
    e = E.evm(bac, 0, 10, 20)
    assert e.reason == "no_budget"
    for f in ("ev", "sv", "cv", "spi", "cpi", "eac", "eac_alt", "etc", "vac", "tcpi"):
        assert getattr(e, f) is None, f
    assert e.ac == 20
    assert set(e.lights.values()) == {"none"}
    assert E.meaning("eac", e, "zh") == "数据不足：没有预算"


def test_nan_inputs_are_missing() -> None:
    e = E.evm(100, float("nan"), float("nan"), 10)
    assert e.ev is None and e.spi is None and e.cpi is None


def test_budget_exhausted_with_work_left() -> None:
    e = E.evm(100, 100, 60, 120)
    assert e.tcpi is None  # (100 - 60) / (100 - 120) would be negative nonsense
    assert e.lights["tcpi"] == "red"


@pytest.mark.parametrize(
    ("x", "light"),
    [(1.2, "green"), (0.95, "green"), (0.9499, "amber"), (0.90, "amber"), (0.8999, "red"), (None, "none")],
)
def test_index_lights(x: float | None, light: str) -> None:
    assert E.index_light(x) == light


@pytest.mark.parametrize(
    ("eac", "light"), [(95, "green"), (100, "green"), (100.01, "amber"), (105, "amber"), (105.01, "red")]
)
def test_eac_light_against_threshold(eac: float, light: str) -> None:
    assert E.eac_light(eac, 100, 0.05) == light


@pytest.mark.parametrize(
    ("x", "light"), [(1.0, "green"), (1.05, "green"), (1.08, "amber"), (1.1, "amber"), (1.2, "red")]
)
def test_tcpi_lights(x: float, light: str) -> None:
    assert E.tcpi_light(x) == light


def test_meanings_in_both_languages() -> None:
    e = E.evm(100_000, 100_000, 85_000, 100_000)
    assert E.meaning("cpi", e, "zh") == "CPI 0.85：每花 1 元，完成 0.85 元的工作"
    assert E.meaning("cpi", e, "en") == "CPI 0.85: each 1 CNY spent delivers 0.85 CNY of work"
    assert E.meaning("cv", e, "zh") == "花费比已完成工作多 1.50 万元(超支)"
    assert E.meaning("cv", e, "en") == "Spent CNY 15,000 more than the work done is worth"
    for m in E.METRICS:
        assert E.meaning(m, e, "zh") and E.meaning(m, e, "en")
