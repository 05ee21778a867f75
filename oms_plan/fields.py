"""Turn a raw table (strings or loosely typed values) into the typed table of the contract.

Every cell that cannot be read is reported as an :class:`~oms_plan.errors.Issue` naming the
table, row, column and business key; nothing is dropped. Work is vectorized per column, so a
100,000-row table is checked in a fraction of a second.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd

from oms_plan.errors import Issue
from oms_plan.schema import PLAN_START, SAME_AS, Column, TableSpec

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


def key_label(spec: TableSpec, frame: pd.DataFrame, pos: int) -> str:
    """Describe row ``pos`` (0-based) by its business key: ``order 'SO-1' line '2'``."""
    parts = []
    for col in spec.key or spec.column_names[:1]:
        if col in frame.columns:
            value = frame[col].iloc[pos]
            if _is_blank(value):
                continue
            parts.append(f"{col} {str(value).strip()!r}")
    return " ".join(parts) if parts else f"row {pos + 1}"


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    if value is pd.NaT or value is pd.NA:
        return True
    return isinstance(value, str) and value.strip() == ""


def _blank_mask(series: pd.Series) -> np.ndarray:
    mask = series.isna().to_numpy(dtype=bool).copy()
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        text = series.astype(str).str.strip()
        mask = mask | (text == "").to_numpy(dtype=bool)
    return np.asarray(mask, dtype=bool)


def coerce_table(
    spec: TableSpec, raw: pd.DataFrame, plan_start: dt.date | None
) -> tuple[pd.DataFrame, list[Issue]]:
    """Return the typed table and the problems found in ``raw``.

    Missing optional columns are added with their defaults; extra columns are kept as they
    are, after the contract columns. Values that cannot be read are left missing in the
    returned table and reported.
    """
    issues: list[Issue] = []
    raw = raw.reset_index(drop=True)
    seen: set[str] = set()
    for name in raw.columns:
        if name in seen:
            issues.append(Issue(spec.name, None, str(name), f"column {name!r} appears twice"))
        seen.add(str(name))
    if len(seen) != len(raw.columns):
        raw = raw.loc[:, ~raw.columns.duplicated()]
    out: dict[str, pd.Series] = {}
    n = len(raw)
    for col in spec.columns:
        if col.name not in raw.columns:
            if col.required:
                issues.append(
                    Issue(spec.name, None, col.name, f"required column {col.name!r} is missing")
                )
            out[col.name] = _default_series(col, n, plan_start, out)
            continue
        series, col_issues = _coerce_column(spec, raw, col, plan_start, out)
        out[col.name] = series
        issues.extend(col_issues)
    typed = pd.DataFrame(out, index=pd.RangeIndex(n))
    extras = [c for c in raw.columns if c not in spec.column_names]
    for c in extras:
        typed[c] = raw[c].to_numpy()
    return typed, issues


def _default_series(
    col: Column, n: int, plan_start: dt.date | None, done: dict[str, pd.Series]
) -> pd.Series:
    default = col.default
    if isinstance(default, str) and default.startswith(SAME_AS):
        source = done.get(default.removeprefix(SAME_AS))
        if source is not None:
            return source.copy()
        default = None
    if default == PLAN_START:
        default = pd.Timestamp(plan_start) if plan_start else None
    return _empty_like(col, n, default)


def _empty_like(col: Column, n: int, value: object) -> pd.Series:
    kind = col.kind
    if kind in ("number",):
        return pd.Series(np.full(n, np.nan if value is None else float(value)))  # type: ignore[arg-type]
    if kind == "int":
        if value is None:
            return pd.Series(pd.array([pd.NA] * n, dtype="Int64"))
        return pd.Series(np.full(n, int(value), dtype=np.int64))  # type: ignore[call-overload]
    if kind == "bool":
        return pd.Series(np.full(n, bool(value), dtype=bool))
    if kind in ("date", "time"):
        return pd.Series(
            pd.to_datetime([value] * n) if value is not None else [pd.NaT] * n,
            dtype="datetime64[ns]",
        )
    return pd.Series([value] * n, dtype=object)


def _coerce_column(
    spec: TableSpec,
    raw: pd.DataFrame,
    col: Column,
    plan_start: dt.date | None,
    done: dict[str, pd.Series],
) -> tuple[pd.Series, list[Issue]]:
    series = raw[col.name]
    blank = _blank_mask(series)
    issues: list[Issue] = []

    def report(mask: np.ndarray, what: Callable[[object], str]) -> None:
        for pos in np.flatnonzero(mask):
            value = series.iloc[pos]
            issues.append(
                Issue(
                    spec.name,
                    int(pos) + 1,
                    col.name,
                    f"{key_label(spec, raw, int(pos))}: {what(value)}",
                )
            )

    if col.required:
        report(blank, lambda v: f"{col.name} is empty")

    parser = _PARSERS[col.kind]
    values, bad = parser(series, blank, col)
    report(bad & ~blank, lambda v: f"{col.name} {v!r} {_EXPECTED[col.kind](col)}")

    if col.kind in ("number", "int") and col.minimum is not None:
        numeric = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            low = numeric < col.minimum
        report(low & ~blank & ~bad, lambda v: f"{col.name} {v!r} must be ≥ {col.minimum:g}")

    fill_blank = blank & ~np.zeros(len(series), dtype=bool)
    if fill_blank.any() and not col.required:
        default = col.default
        if isinstance(default, str) and default.startswith(SAME_AS):
            source = done.get(default.removeprefix(SAME_AS))
            if source is not None:
                values = values.copy()
                values[fill_blank] = source[fill_blank].to_numpy()
                return values, issues
            default = None
        if default == PLAN_START:
            default = pd.Timestamp(plan_start) if plan_start else None
        if default is not None:
            values = values.copy()
            values[fill_blank] = default
    return values, issues


def _as_text(series: pd.Series) -> pd.Series:
    return (
        series.astype(object)
        .where(~series.isna(), None)
        .map(lambda v: None if v is None else str(v).strip())
    )


def _parse_id(series: pd.Series, blank: np.ndarray, col: Column) -> tuple[pd.Series, np.ndarray]:
    if pd.api.types.is_float_dtype(series.dtype):
        # Identifiers written by a spreadsheet as 7.0 mean "7".
        text = series.map(
            lambda v: None if pd.isna(v) else (str(int(v)) if float(v).is_integer() else str(v))
        )
    else:
        text = _as_text(series)
    values = pd.Series(np.where(blank, None, text.to_numpy(dtype=object)), dtype=object)
    return values, np.zeros(len(series), dtype=bool)


def _parse_choice(
    series: pd.Series, blank: np.ndarray, col: Column
) -> tuple[pd.Series, np.ndarray]:
    values, _ = _parse_id(series, blank, col)
    lowered = values.map(lambda v: v.lower() if isinstance(v, str) else v)
    bad = ~lowered.isin(col.choices).to_numpy(dtype=bool)
    return lowered.where(~bad, None).astype(object), bad


def _parse_number(
    series: pd.Series, blank: np.ndarray, col: Column
) -> tuple[pd.Series, np.ndarray]:
    if pd.api.types.is_bool_dtype(series.dtype):
        numeric = pd.Series(np.full(len(series), np.nan))
        return numeric, ~blank
    numeric = pd.to_numeric(
        series.map(_strip)
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype)
        else series,
        errors="coerce",
    )
    arr = numeric.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(arr)
    arr = np.where(bad, np.nan, arr)
    return pd.Series(arr), bad


def _strip(v: object) -> object:
    if isinstance(v, str):
        return v.strip()
    if isinstance(v, bool):
        return None  # True is not a quantity
    return v


def _parse_int(series: pd.Series, blank: np.ndarray, col: Column) -> tuple[pd.Series, np.ndarray]:
    numeric, bad = _parse_number(series, blank, col)
    arr = numeric.to_numpy()
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(arr) & (np.floor(arr) == arr) & (np.abs(arr) < 2**53)
    bad = bad | ~whole
    result = pd.array(np.where(whole, arr, 0).astype(np.int64), dtype="Int64")
    result[~whole] = pd.NA
    if col.default is not None and not isinstance(col.default, str):
        return pd.Series(result), bad
    return pd.Series(result), bad


def _parse_bool(series: pd.Series, blank: np.ndarray, col: Column) -> tuple[pd.Series, np.ndarray]:
    if pd.api.types.is_bool_dtype(series.dtype) and not series.isna().any():
        return pd.Series(series.to_numpy(dtype=bool)), np.zeros(len(series), dtype=bool)
    text = _as_text(series).map(lambda v: v.lower() if isinstance(v, str) else v)
    true = text.isin(_TRUE).to_numpy(dtype=bool) | text.isin(["1.0"]).to_numpy(dtype=bool)
    false = text.isin(_FALSE).to_numpy(dtype=bool) | text.isin(["0.0"]).to_numpy(dtype=bool)
    bad = ~(true | false)
    return pd.Series(true), bad


def _parse_date(series: pd.Series, blank: np.ndarray, col: Column) -> tuple[pd.Series, np.ndarray]:
    return _parse_datetime(series, blank, "%Y-%m-%d", day_only=True)


def _parse_time(series: pd.Series, blank: np.ndarray, col: Column) -> tuple[pd.Series, np.ndarray]:
    return _parse_datetime(series, blank, "ISO8601", day_only=False)


def _parse_datetime(
    series: pd.Series, blank: np.ndarray, fmt: str, *, day_only: bool
) -> tuple[pd.Series, np.ndarray]:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        parsed = pd.Series(
            pd.to_datetime(series).dt.tz_localize(None)
            if getattr(series.dt, "tz", None) is not None
            else pd.to_datetime(series)
        )
    else:
        text = series.map(
            lambda v: (
                v.isoformat()
                if isinstance(v, dt.date)
                else (None if _is_blank(v) else str(v).strip())
            )
        )
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    parsed = parsed.astype("datetime64[ns]")
    bad = parsed.isna().to_numpy(dtype=bool)
    if day_only:
        with_time = (parsed != parsed.dt.normalize()).to_numpy(dtype=bool) & ~bad
        bad = bad | with_time
    return parsed, bad


def _parse_clock(series: pd.Series, blank: np.ndarray, col: Column) -> tuple[pd.Series, np.ndarray]:
    text = _as_text(series)
    minutes = text.map(clock_minutes)
    bad = minutes.isna().to_numpy(dtype=bool)
    normalized = minutes.map(
        lambda m: None if m is None or pd.isna(m) else f"{int(m) // 60:02d}:{int(m) % 60:02d}"
    )
    return normalized.astype(object), bad


def clock_minutes(value: object) -> int | None:
    """Minutes after midnight of a ``HH:MM`` string (``24:00`` allowed), else ``None``."""
    if not isinstance(value, str):
        return None
    parts = value.strip().split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        return None
    hours, minutes = int(parts[0]), int(parts[1])
    if len(parts) == 3 and int(parts[2]) != 0:
        return None
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes > 0):
        return None
    return hours * 60 + minutes


_PARSERS: dict[str, Callable[[pd.Series, np.ndarray, Column], tuple[pd.Series, np.ndarray]]] = {
    "id": _parse_id,
    "text": _parse_id,
    "choice": _parse_choice,
    "number": _parse_number,
    "int": _parse_int,
    "bool": _parse_bool,
    "date": _parse_date,
    "time": _parse_time,
    "clock": _parse_clock,
}

_EXPECTED: dict[str, Callable[[Column], str]] = {
    "id": lambda c: "is not an identifier",
    "text": lambda c: "is not text",
    "choice": lambda c: "is not one of " + ", ".join(c.choices),
    "number": lambda c: "is not a number",
    "int": lambda c: "is not a whole number",
    "bool": lambda c: "is not true or false",
    "date": lambda c: "is not a date YYYY-MM-DD",
    "time": lambda c: "is not a time YYYY-MM-DDTHH:MM",
    "clock": lambda c: "is not a clock time HH:MM",
}
