"""Plan-output tables (docs/outputs.md): their columns, and helpers every engine shares."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from oms_plan.writing import TableFormat, write_tables

OUTPUT_COLUMNS: dict[str, tuple[str, ...]] = {
    "promises": (
        "order",
        "line",
        "item",
        "quantity",
        "location",
        "ship_date",
        "delivery_date",
        "requested_date",
        "days_late",
        "status",
        "binding",
    ),
    "planned_orders": (
        "planned_order",
        "method",
        "item",
        "location",
        "from_location",
        "quantity",
        "release_date",
        "due_date",
    ),
    "pegging": ("supplier", "item", "location", "quantity", "order", "line"),
    "schedule": ("order", "item", "step", "workstation", "unit", "start", "end"),
    "projection": ("item", "location", "date", "on_hand", "atp"),
    "exceptions": ("kind", "severity", "item", "location", "order", "line", "date", "message"),
    "kpis": ("kpi", "value"),
    "explanations": (
        "order",
        "line",
        "lever",
        "target",
        "amount",
        "unit",
        "date",
        "days_gained",
    ),
}


def empty_output(name: str) -> pd.DataFrame:
    """An empty output table with its contract columns."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in OUTPUT_COLUMNS[name]})


def output_frame(name: str, rows: Iterable[Mapping[str, object]] | pd.DataFrame) -> pd.DataFrame:
    """Rows as output table ``name``: contract columns first, in order; missing ones empty."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    if frame.empty and len(frame.columns) == 0:
        return empty_output(name)
    for col in OUTPUT_COLUMNS[name]:
        if col not in frame.columns:
            frame[col] = None
    extra = [c for c in frame.columns if c not in OUTPUT_COLUMNS[name]]
    return frame[[*OUTPUT_COLUMNS[name], *extra]].reset_index(drop=True)


@dataclass(frozen=True, slots=True)
class ExceptionRow:
    """One row of the ``exceptions`` table (a plan exception, not a Python exception)."""

    kind: str
    severity: str
    message: str
    item: str | None = None
    location: str | None = None
    order: str | None = None
    line: str | None = None
    date: object = None

    def to_row(self) -> dict[str, object]:
        """The row as a dict in contract column order."""
        return {
            "kind": self.kind,
            "severity": self.severity,
            "item": self.item,
            "location": self.location,
            "order": self.order,
            "line": self.line,
            "date": self.date,
            "message": self.message,
        }


#: The former name of :class:`ExceptionRow`, kept for code written against 0.1 (deprecated:
#: it reads like a Python exception).
PlanException = ExceptionRow


def exceptions_frame(rows: Iterable[ExceptionRow]) -> pd.DataFrame:
    """The ``exceptions`` table from :class:`ExceptionRow` rows."""
    return output_frame("exceptions", [r.to_row() for r in rows])


def kpis_frame(values: Mapping[str, object]) -> pd.DataFrame:
    """The ``kpis`` table from an ordered mapping kpi → value."""
    # object dtype: an integer count stays 3, not 3.0, next to fractional KPIs.
    return pd.DataFrame(
        {
            "kpi": pd.Series(list(values), dtype=object),
            "value": pd.Series(list(values.values()), dtype=object),
        }
    )


def write_outputs(
    frames: Mapping[str, pd.DataFrame], out: str | Path, *, format: TableFormat = "csv"
) -> list[Path]:
    """Write plan tables into folder ``out`` (created if needed); return the paths."""
    return write_tables(frames, Path(out), format=format)
