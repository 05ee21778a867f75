"""Business-key labels and cell text for the messages of validation issues."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from oms_plan.schema import TableSpec


class KeyLabels:
    """Describes rows of one table by their business key, e.g. ``order 'SO-1' line '2'``.

    The key columns are read once, so labelling many rows of a large table stays cheap.

    Parameters
    ----------
    spec
        The table's contract (its ``key``; the first column for tables without one).
    frame
        The table, raw or typed; key columns it lacks are left out of the label.

    """

    def __init__(self, spec: TableSpec, frame: pd.DataFrame) -> None:
        self._columns: list[tuple[str, np.ndarray]] = []
        for col in spec.key or spec.column_names[:1]:
            if col in frame.columns:
                values = frame[col]
                if isinstance(values, pd.DataFrame):  # duplicated column name
                    values = values.iloc[:, 0]
                self._columns.append((col, values.to_numpy(dtype=object)))

    def __call__(self, pos: int) -> str:
        """Label of row ``pos`` (0-based); ``row N`` when every key cell is blank."""
        parts = [
            f"{col} {label_value(values[pos])!r}"
            for col, values in self._columns
            if not is_blank(values[pos])
        ]
        return " ".join(parts) if parts else f"row {pos + 1}"


def label_value(value: object) -> str:
    """A cell as text for a message: stripped, whole floats without ``.0`` (``7.0`` → ``7``)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def shown(value: object) -> str:
    """A raw cell as shown in a message: quoted text, plain numbers."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, int | float):
        return label_value(value)
    return repr(str(value))


def is_blank(value: object) -> bool:
    """Whether a cell counts as missing: None, NA, NaN, NaT or whitespace-only text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return bool(np.isnan(value))
    if isinstance(value, np.datetime64 | np.timedelta64):
        return bool(np.isnat(value))
    return isinstance(value, str) and not value.strip()
