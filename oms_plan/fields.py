"""Turn a raw table (strings or loosely typed values) into the typed table of the contract.

Every cell that cannot be read is reported as an :class:`~oms_plan.errors.Issue` naming the
table, row, column and business key; nothing is dropped. Each column is read by the parsers
of its kind (:mod:`oms_plan.cells`: a vectorized fast path, then a scalar parser for what it
left unread); blank cells take the column's default. Nothing raises: anything unreadable is
a reported cell, never a crash.

Typed columns: ``id``/``text``/``choice``/``clock`` → object (``str`` or ``None``),
``number`` → float64, ``int`` → nullable Int64, ``bool`` → bool, ``date``/``time`` →
datetime64[ns].
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd

from oms_plan.cells import EXPECTED, NAT, blank_mask, clock_minutes, is_text_dtype, parse_cells
from oms_plan.errors import Issue
from oms_plan.labels import KeyLabels, shown
from oms_plan.schema import (
    EARLIEST_DATE,
    LATEST_DATE,
    MAX_MAGNITUDE,
    PLAN_START,
    SAME_AS,
    Column,
    TableSpec,
)

__all__ = ["clock_minutes", "coerce_table"]  # clock_minutes lives in oms_plan.cells


# -- the table -----------------------------------------------------------------------------
def coerce_table(
    spec: TableSpec, raw: pd.DataFrame, plan_start: dt.date | None
) -> tuple[pd.DataFrame, list[Issue]]:
    """Return the typed table and the problems found in ``raw``.

    Parameters
    ----------
    spec
        The table's contract.
    raw
        The table as read (CSV strings) or given (any dtypes). Column names are stripped
        of surrounding whitespace; row numbers in issues count from the first data row.
    plan_start
        The plan start, the default of ``release_date`` (``None``: leave such cells empty).

    Returns
    -------
    tuple[pandas.DataFrame, list[Issue]]
        The typed table (one row per raw row, contract columns first with defaults
        applied, extra columns after them, unchanged) and the problems. Cells that cannot
        be read are missing in the table and reported.

    """
    issues: list[Issue] = []
    raw = raw.reset_index(drop=True)
    names = [str(c).strip() for c in raw.columns]
    seen: set[str] = set()
    keep: list[bool] = []
    for name in names:
        if name in seen:
            issues.append(Issue(spec.name, None, name, f"column {name!r} appears twice"))
        keep.append(name not in seen)
        seen.add(name)
    raw = raw.set_axis(names, axis=1).loc[:, keep]
    labels = KeyLabels(spec, raw)
    n = len(raw)
    out: dict[str, pd.Series] = {}
    for col in spec.columns:
        if col.name not in raw.columns:
            if col.required:
                issues.append(
                    Issue(spec.name, None, col.name, f"required column {col.name!r} is missing")
                )
            out[col.name] = _missing_column(col, n, plan_start, out)
            continue
        series, col_issues = _coerce_column(spec, raw[col.name], col, plan_start, out, labels)
        out[col.name] = series.set_axis(pd.RangeIndex(n))
        issues.extend(col_issues)
    typed = pd.DataFrame(out, index=pd.RangeIndex(n))
    extras = [c for c in raw.columns if c not in spec.column_names]
    if extras:
        typed = pd.concat([typed, raw[extras]], axis=1)
    return typed, issues


def _resolve_default(col: Column, plan_start: dt.date | None, done: dict[str, pd.Series]) -> object:
    """The column's default value, or the series it copies (``SAME_AS``)."""
    default = col.default
    if isinstance(default, str) and default.startswith(SAME_AS):
        return done.get(default.removeprefix(SAME_AS))
    if default == PLAN_START:
        return pd.Timestamp(plan_start) if plan_start is not None else None
    return default


def _missing_column(
    col: Column, n: int, plan_start: dt.date | None, done: dict[str, pd.Series]
) -> pd.Series:
    default = _resolve_default(col, plan_start, done)
    if isinstance(default, pd.Series):
        return default.copy()
    return _filled(col, n, default)


def _filled(col: Column, n: int, value: object) -> pd.Series:
    """A column of ``n`` copies of ``value`` (``None``: missing) in the kind's dtype."""
    kind = col.kind
    if kind == "number":
        return pd.Series(np.full(n, np.nan if value is None else float(value)))  # type: ignore[arg-type]
    if kind == "int":
        if value is None:
            return pd.Series(pd.array([pd.NA] * n, dtype="Int64"))
        return pd.Series(np.full(n, int(value), dtype=np.int64))  # type: ignore[call-overload]
    if kind == "bool":
        return pd.Series(np.full(n, bool(value), dtype=bool))
    if kind in ("date", "time"):
        stamp = NAT if value is None else pd.Timestamp(value).to_datetime64()
        return pd.Series(np.full(n, stamp, dtype="datetime64[ns]"))
    return pd.Series(np.full(n, value, dtype=object), dtype=object)


# -- one column ----------------------------------------------------------------------------
def _coerce_column(
    spec: TableSpec,
    series: pd.Series,
    col: Column,
    plan_start: dt.date | None,
    done: dict[str, pd.Series],
    labels: KeyLabels,
) -> tuple[pd.Series, list[Issue]]:
    series = series.reset_index(drop=True)
    if isinstance(series.dtype, pd.CategoricalDtype):
        # Dictionary-encoded Parquet columns: read the values, not the codes.
        series = series.astype(object)
    if is_text_dtype(series):
        # One trim for the whole column: every parser below reads trimmed text.
        series = series.str.strip()
    blank = blank_mask(series)
    issues: list[Issue] = []

    def report(mask: np.ndarray, what: Callable[[object], str]) -> None:
        if not mask.any():
            return
        cells = series.to_numpy(dtype=object)
        for pos in np.flatnonzero(mask):
            issues.append(
                Issue(spec.name, int(pos) + 1, col.name, f"{labels(int(pos))}: {what(cells[pos])}")
            )

    if col.required:
        report(blank, lambda v: f"{col.name} is empty")
    values, bad, out_of_range = parse_cells(col, series, blank)
    report(bad, lambda v: f"{col.name} {shown(v)} {EXPECTED[col.kind](col)}")
    report(
        out_of_range,
        lambda v: (
            f"{col.name} {shown(v)} is outside the supported range {EARLIEST_DATE} … {LATEST_DATE}"
        ),
    )
    if col.kind in ("number", "int"):
        numeric = np.asarray(values.to_numpy(dtype=float, na_value=np.nan), dtype=float)
        low_bound = -MAX_MAGNITUDE if col.minimum is None else col.minimum
        high_bound = MAX_MAGNITUDE if col.maximum is None else col.maximum
        with np.errstate(invalid="ignore"):
            low, high = numeric < low_bound, numeric > high_bound
        report(low, lambda v: f"{col.name} {shown(v)} must be ≥ {low_bound:g}")
        report(high, lambda v: f"{col.name} {shown(v)} must be ≤ {high_bound:g}")

    if blank.any() and not col.required:
        default = _resolve_default(col, plan_start, done)
        if isinstance(default, pd.Series):
            values = values.copy()
            values[blank] = default.to_numpy()[blank]
        elif default is not None:
            values = values.copy()
            values[blank] = default
    return values, issues
