"""Tables survive JSON exactly: values, dtypes, index, empty tables."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from oms_plan.serialization import decode_frames, encode_frames


def _round_trip(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return decode_frames(json.loads(json.dumps(encode_frames(frames))))


def _assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == list(b.columns)
    assert list(a.dtypes) == list(b.dtypes), (a.dtypes, b.dtypes)
    assert a.equals(b), (a, b)


def test_every_kind_of_column_comes_back_exactly() -> None:
    frame = pd.DataFrame(
        {
            "id": pd.Series(["a", None, "c"], dtype=object),
            "n": np.array([1, 2, 3], dtype=np.int64),
            "x": [1.5, np.nan, -0.25],
            "opt": pd.Series([1, None, 3], dtype="Int64"),
            "flag": [True, False, True],
            "day": pd.to_datetime(["2026-11-23", None, "2026-12-01"]),
            "at": pd.to_datetime(["2026-11-23T06:30", "2026-11-23T07:00", None]),
            "cat": pd.Categorical(["P1", "DC", "P1"]),
            "mixed": pd.Series([3, "optimal", 0.5], dtype=object),
            "when": pd.Series([dt.date(2026, 1, 2), pd.Timestamp("2026-01-03"), None]),
        }
    )
    back = _round_trip({"t": frame})["t"]
    _assert_same(frame, back)
    assert isinstance(back["when"][0], dt.date) and isinstance(back["when"][1], pd.Timestamp)


def test_every_missing_value_of_an_object_column_comes_back_as_itself() -> None:
    # An exceptions table's date column holds NaT where an exception has no date.
    frame = pd.DataFrame(
        {"date": pd.Series([pd.Timestamp("2026-11-23"), pd.NaT, None, pd.NA, np.nan], dtype=object)}
    )
    back = _round_trip({"t": frame})["t"]
    _assert_same(frame, back)
    assert back["date"][1] is pd.NaT and back["date"][2] is None and back["date"][3] is pd.NA


def test_empty_tables_keep_their_columns_and_dtypes() -> None:
    frame = pd.DataFrame(
        {
            "order": pd.Series(dtype=object),
            "quantity": pd.Series(dtype="float64"),
            "date": pd.Series(dtype="datetime64[ns]"),
            "n": pd.Series(dtype="Int64"),
        }
    )
    _assert_same(frame, _round_trip({"t": frame})["t"])
    no_columns = pd.DataFrame()
    assert _round_trip({"t": no_columns})["t"].equals(no_columns)


def test_a_non_default_index_is_kept() -> None:
    frame = pd.DataFrame({"v": [1.0, 2.0]}, index=pd.Index(["a", "b"]))
    _assert_same(frame, _round_trip({"t": frame})["t"])


@settings(max_examples=60, deadline=None)
@given(
    ints=st.lists(st.integers(-(2**53), 2**53), max_size=6),
    floats=st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=6),
    texts=st.lists(st.one_of(st.none(), st.text(max_size=5)), max_size=6),
)
def test_random_columns_round_trip(
    ints: list[int], floats: list[float], texts: list[object]
) -> None:
    n = min(len(ints), len(floats), len(texts))
    frame = pd.DataFrame(
        {
            "i": np.array(ints[:n], dtype=np.int64),
            "f": np.array(floats[:n], dtype=np.float64),
            "t": pd.Series(texts[:n], dtype=object),
            "o": pd.Series([None if k % 2 else k for k in range(n)], dtype="Int64"),
        }
    )
    _assert_same(frame, _round_trip({"t": frame})["t"])
