"""The money page's tables: headers in the user's language, money in the user's unit, shares as percentages."""

import pandas as pd

from pages.components import ui

MONEY = tuple(
    "budget original_budget approved_changes committed invoiced paid actual due remaining uncommitted bac pv ev ac"
    " sv cv eac eac_alt etc vac cum_budget cum_actual amount cost_impact original current forecast_change forecast".split()
)
SHARES = ("share_used", "committed_share", "percent_complete", "share")
INDICES = ("spi", "cpi", "tcpi")
LIGHTS = ("spi_light", "cpi_light", "eac_light", "tcpi_light", "light")


def table(df: pd.DataFrame, name: str, columns: list[str] | None = None) -> None:
    """Headers in the user's language, money in the user's unit (named in the header), shares as percentages."""
    cols = [str(c) for c in (columns or df.columns)]
    pick = [c for c in cols if c in df.columns]
    ui.table(df, name, area="money", columns=pick, money=[c for c in pick if c in MONEY], key=f"money_dl_{name}",
             percent=[c for c in pick if c in SHARES], index=[c for c in pick if c in INDICES],
             lights=[c for c in pick if c in LIGHTS], widths={"title": "medium", "description": "medium", "requested_by": "small"})  # fmt: skip
