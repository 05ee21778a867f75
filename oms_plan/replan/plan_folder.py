"""Read a plan folder (the tables ``oms-plan plan`` writes, CSV or Parquet) back into a Plan.

The tables come back with the types the planner produced in memory — identifiers as text,
quantities as floats, dates as ``datetime64`` — so that a Plan read from disk and the Plan
that wrote it compare equal cell by cell. ``projection`` may be sparse (only the days where
a value changes); it is returned as stored.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from oms_plan.errors import DatasetError, Issue
from oms_plan.outputs import OUTPUT_COLUMNS, output_frame
from oms_plan.reading import read_csv_table
from oms_plan.replan.result import FOLDER_TABLES, Plan

#: Tables a folder must hold to be read as a plan; the others are empty when absent
#: (``oms-plan allocate`` writes promises, exceptions and kpis only).
REQUIRED_TABLES = ("promises", "kpis")

_DATES = {
    "promises": ("ship_date", "delivery_date", "requested_date"),
    "planned_orders": ("release_date", "due_date"),
    "projection": ("date",),
    "exceptions": ("date",),
    "pegging": ("need_date", "supply_date"),
    "explanations": ("date",),
}
_FLOATS = {
    "promises": ("quantity",),
    "planned_orders": ("quantity",),
    "pegging": ("quantity",),
    "projection": ("on_hand", "atp"),
    "explanations": ("amount",),
}
_INTS = {
    "promises": ("days_late",),
    "schedule": ("step", "unit"),
    "explanations": ("days_gained",),
}
#: Identifier and text columns: kept as text, a missing value as None.
_TEXT = {
    "promises": ("order", "line", "item", "location", "status", "binding"),
    "planned_orders": ("planned_order", "method", "item", "location", "from_location"),
    "pegging": ("supplier", "item", "location", "order", "line"),
    "schedule": ("order", "item", "workstation", "start", "end"),
    "projection": ("item", "location"),
    "exceptions": ("kind", "severity", "item", "location", "order", "line", "message"),
    "kpis": ("kpi",),
    "explanations": ("order", "line", "lever", "target", "unit"),
}


def read_plan(path: str | Path) -> Plan:
    """Read the plan folder ``path`` (one file per table, ``.csv`` or ``.parquet``).

    Parameters
    ----------
    path
        A folder written by ``oms-plan plan`` (or :meth:`Plan.write`).

    Returns
    -------
    Plan
        The tables, typed as the planner produces them; ``kpis`` values that read as
        numbers are numbers. Tables other than ``promises`` and ``kpis`` are empty when the
        folder lacks them.

    Raises
    ------
    DatasetError
        When the folder does not exist, lacks ``promises`` or ``kpis``, holds a table as both
        CSV and Parquet, misses a contract column, or has a value that does not parse
        (every problem, each naming the table, row and column).

    """
    folder = Path(path)
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise DatasetError([Issue("plan", None, None, f"plan folder {str(folder)!r} {what}")])
    issues: list[Issue] = []
    tables: dict[str, pd.DataFrame] = {}
    for name in FOLDER_TABLES:
        raw = _read_table(folder, name, issues)
        if raw is None:
            if name == "explanations":
                continue  # a folder without it: Plan.explain computes what it is asked
            if name in REQUIRED_TABLES:
                issues.append(
                    Issue(name, None, None, f"{folder} has no {name}.csv or {name}.parquet")
                )
            tables[name] = output_frame(name, [])
            continue
        tables[name] = _typed(name, raw, issues)
    if issues:
        raise DatasetError(issues)
    return Plan(tables=tables)


def _read_table(folder: Path, name: str, issues: list[Issue]) -> pd.DataFrame | None:
    csv, parquet = folder / f"{name}.csv", folder / f"{name}.parquet"
    if csv.is_file() and parquet.is_file():
        issues.append(Issue(name, None, None, f"both {name}.csv and {name}.parquet exist"))
        return None
    try:
        if csv.is_file():
            frame = read_csv_table(csv)
            # The CSV reader keeps empty cells as "": here they mean a missing value.
            return frame.replace("", None)
        if parquet.is_file():
            return pd.read_parquet(parquet)
    except Exception as exc:  # any reader failure is a problem of this file
        issues.append(Issue(name, None, None, f"cannot read {name}: {type(exc).__name__}: {exc}"))
    return None


def _typed(name: str, frame: pd.DataFrame, issues: list[Issue]) -> pd.DataFrame:
    missing = [c for c in OUTPUT_COLUMNS[name] if c not in frame.columns]
    if missing:
        issues.append(Issue(name, None, None, f"missing column(s) {', '.join(missing)}"))
        return output_frame(name, [])
    out = frame.copy()
    for col in _TEXT.get(name, ()):
        text = out[col].map(_text)
        # As the planner makes them: text dtype when complete, object when some are missing.
        out[col] = text.astype("str") if text.notna().all() else text.astype(object)
    for col in _DATES.get(name, ()):
        if col in out.columns:
            out[col] = _parsed(name, col, out[col], issues, "date")
    for col in _FLOATS.get(name, ()):
        out[col] = _parsed(name, col, out[col], issues, "number").astype(float)
    for col in _INTS.get(name, ()):
        out[col] = _parsed(name, col, out[col], issues, "number").round().astype("Int64")
    if name == "kpis":
        out["value"] = out["value"].map(_kpi_value).astype(object)
    if name == "explanations":
        for col in ("on_time", "exact"):  # extra columns, flags as written
            if col in out.columns:
                out[col] = out[col].map(_flag)
    return output_frame(name, out)


def _text(value: object) -> object:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    if isinstance(value, float) and value.is_integer():
        # A line id that Parquet stored as a number: "2", not "2.0".
        return str(int(value))
    return str(value)


def _parsed(
    table: str, column: str, values: pd.Series, issues: list[Issue], kind: str
) -> pd.Series:
    if kind == "date":
        parsed = pd.to_datetime(values, errors="coerce", format="mixed")
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_localize(None)
    else:
        parsed = pd.to_numeric(values, errors="coerce")
    bad = parsed.isna() & values.notna() & (values.astype(str).str.strip() != "NaT")
    for row in bad[bad].index[:20]:
        issues.append(Issue(table, int(row) + 1, column, f"{values[row]!r} is not a {kind}"))
    return parsed


def _flag(value: object) -> object:
    if isinstance(value, str):
        return {"true": True, "false": False}.get(value.strip().lower(), value)
    return value


def _kpi_value(value: object) -> object:
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if number.is_integer() and "." not in value else number
    return value
