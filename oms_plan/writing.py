"""Write tables (dataset or plan outputs) as CSV or Parquet with the contract's text formats."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from oms_plan.schema import TableSpec

TableFormat = Literal["csv", "parquet"]


def format_frame(frame: pd.DataFrame, spec: TableSpec | None = None) -> pd.DataFrame:
    """Return a copy whose dates, times and booleans are contract strings.

    Dates become ``YYYY-MM-DD`` (``YYYY-MM-DDTHH:MM`` for ``time`` columns or any value with
    a time of day), booleans ``true``/``false``; missing values stay missing.
    """
    out = frame.copy()
    kinds = {c.name: c.kind for c in spec.columns} if spec else {}
    for name in out.columns:
        series = out[name]
        kind = kinds.get(str(name))
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            has_time = kind == "time" or bool(
                (series.dropna() != series.dropna().dt.normalize()).any()
            )
            fmt = "%Y-%m-%dT%H:%M" if has_time else "%Y-%m-%d"
            out[name] = series.dt.strftime(fmt).astype(object).where(series.notna(), None)
        elif pd.api.types.is_bool_dtype(series.dtype):
            out[name] = np.where(series.to_numpy(dtype=bool), "true", "false")
        elif series.dtype == object:
            out[name] = series.map(_format_scalar)
    return out


def _format_scalar(value: object) -> object:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, pd.Timestamp):
        return (
            value.strftime("%Y-%m-%dT%H:%M")
            if value != value.normalize()
            else value.strftime("%Y-%m-%d")
        )
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def write_tables(
    frames: Mapping[str, pd.DataFrame],
    folder: Path,
    *,
    format: TableFormat = "csv",
    specs: Mapping[str, TableSpec] | None = None,
) -> list[Path]:
    """Write each frame as ``folder/<name>.<format>``; return the paths written."""
    if format not in ("csv", "parquet"):
        raise ValueError(f"unknown table format {format!r}: use 'csv' or 'parquet'")
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in frames.items():
        spec = specs.get(name) if specs else None
        path = folder / f"{name}.{format}"
        if format == "csv":
            format_frame(frame, spec).to_csv(path, index=False)
        else:
            parquet_ready(frame).to_parquet(path, index=False)
        paths.append(path)
    return paths


def parquet_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy Parquet can store: missing values as None, mixed-type columns as text.

    A column mixing text with numbers (the ``kpis`` table's ``value``) has no Arrow type;
    writing its values as strings keeps every value instead of failing the whole write.
    """
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype != object:
            continue
        values = out[col].map(lambda v: None if v is None or v is pd.NA else v)
        kind = pd.api.types.infer_dtype(values, skipna=True)
        if kind.startswith("mixed") and kind != "mixed-integer-float":
            values = values.map(lambda v: None if v is None else _text(v))
        out[col] = values
    return out


def _text(value: object) -> str:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return repr(float(value))
    return str(value)


def frame_to_records(frame: pd.DataFrame, spec: TableSpec | None = None) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (ISO dates, None for missing, Python scalars)."""
    formatted = format_frame(frame, spec)
    records = []
    for row in formatted.itertuples(index=False, name=None):
        records.append(
            {str(c): _json_scalar(v) for c, v in zip(formatted.columns, row, strict=True)}
        )
    return records


def _json_scalar(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value
