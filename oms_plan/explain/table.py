"""The ``explanations`` table (SCHEMA.md plan outputs): its columns and levers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from oms_plan.outputs import output_frame

#: Columns after SCHEMA.md's: does the lever alone make the line on time; did the search end.
EXTRA_COLUMNS = ("on_time", "exact")


def explanations_frame(rows: Iterable[Mapping[str, object]]) -> pd.DataFrame:
    """Rows as the ``explanations`` table, typed (dates as Timestamps, days as ints).

    Parameters
    ----------
    rows
        Dicts with the table's columns.

    Returns
    -------
    pandas.DataFrame
        The contract columns in order, then ``on_time`` and ``exact``.

    """
    frame = output_frame("explanations", list(rows))
    for col in EXTRA_COLUMNS:
        if col not in frame.columns:
            frame[col] = pd.Series(dtype=bool)
    frame["amount"] = frame["amount"].astype(float)
    frame["date"] = pd.to_datetime(frame["date"])
    frame["days_gained"] = frame["days_gained"].astype("Int64")
    for col in EXTRA_COLUMNS:
        frame[col] = frame[col].astype(bool)
    return frame
