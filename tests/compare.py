"""Compare metric results between two stores: every metric function that takes (con, scope), and a recursive
equality for what they return (frames as row sets, dataclasses, mappings, floats to 1e-9). Used by the group-store
contract (grouptests/) and the hospital-scope tests."""

from __future__ import annotations

import inspect
from typing import Any

import pandas as pd


def metric_functions() -> list[tuple[str, Any]]:
    import importlib

    found = []
    modules = ("overview", "money", "risks", "schedule", "adoption", "benefits", "evm", "readiness", "operations",
               "quality", "grading")  # fmt: skip
    for mod_name in modules:
        try:
            mod = importlib.import_module(f"metrics.{mod_name}")
        except ImportError:
            continue
        for name, fn in inspect.getmembers(mod, inspect.isfunction):
            if name.startswith("_") or fn.__module__ != mod.__name__:
                continue
            params = list(inspect.signature(fn).parameters.values())
            if len(params) < 2 or params[0].name != "con" or params[1].name != "scope":
                continue
            if any(p.default is inspect.Parameter.empty for p in params[2:]):
                continue
            found.append((f"{mod_name}.{name}", fn))
    return found


def assert_same(a: Any, b: Any, where: str, skip: tuple[str, ...] = ()) -> None:
    """Equal results, recursively (frames, series, dataclasses, mappings, sequences, floats to 1e-9); dataclass
    fields named in `skip` are not compared (a result echoing the scope it was asked with)."""
    import dataclasses
    import math

    if isinstance(a, pd.DataFrame):
        # a query without ORDER BY for the rows of one snapshot may list them in another order: compare as sets
        drop = [c for c in a.columns if c == "import_id"]

        def rows(df: pd.DataFrame) -> pd.DataFrame:
            d = df.drop(columns=drop)
            if d.columns.is_unique and len(d.columns):
                d = d.sort_values(list(d.columns), key=lambda col: col.astype(str), kind="stable")
            return d.reset_index(drop=True)

        pd.testing.assert_frame_equal(
            rows(a),
            rows(b),
            check_dtype=False,
            rtol=1e-9,
            obj=where,
        )
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False, obj=where)
    elif dataclasses.is_dataclass(a) and not isinstance(a, type):
        for f in dataclasses.fields(a):
            if f.name not in skip:
                assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}", skip)
    elif isinstance(a, dict):
        assert set(a) == set(b), where
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]", skip)
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]", skip)
    elif isinstance(a, float) and isinstance(b, float):
        assert (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), where
    else:
        assert a == b or repr(a) == repr(b), where
