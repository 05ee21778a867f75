"""Tables to JSON and back, exactly: the same values, dtypes and index, empty tables too.

Every result's ``to_json`` / ``from_json`` stores its tables with :func:`encode_frames` and
rebuilds them with :func:`decode_frames`, so that ``from_json(to_json())`` gives tables equal
under :meth:`pandas.DataFrame.equals`, dtypes included. Each column is stored with its dtype
and its values: numbers and text as JSON values (NaN as the ``NaN`` token Python's ``json``
reads back), missing values as ``null``, timestamps as ISO text, categoricals as their
categories plus codes. Object columns may hold text, numbers, booleans, ``None``, ``NaT``,
``NA``, dates and timestamps; all but ``None`` of the missing values, dates and timestamps
are tagged so that they come back as the same type.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

#: Tags of the object-column values JSON cannot hold as themselves.
_TIMESTAMP, _DATE = "$timestamp", "$date"
#: Tags of the missing values other than ``None`` an object column may hold: each comes back
#: as itself (``DataFrame.equals`` tells ``NaT`` and ``NA`` from ``None``).
_MISSING: dict[str, object] = {"$nat": pd.NaT, "$na": pd.NA}


def encode_frames(frames: Mapping[str, pd.DataFrame]) -> dict[str, Any]:
    """Tables as a JSON-ready mapping (see the module docstring).

    Parameters
    ----------
    frames
        Table name → DataFrame.

    Returns
    -------
    dict
        Table name → ``{"columns": [...], "dtypes": [...], "data": [...], "index": ...}``.

    Raises
    ------
    TypeError
        When an object column holds a value that has no exact JSON form (a bug in the
        caller: results hold text, numbers, booleans, dates and timestamps).

    """
    return {name: _encode_frame(frame) for name, frame in frames.items()}


def decode_frames(payload: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """Rebuild the tables of :func:`encode_frames`.

    Parameters
    ----------
    payload
        What :func:`encode_frames` returned, after a JSON round trip.

    Returns
    -------
    dict
        Table name → DataFrame, equal to the original under ``DataFrame.equals``.

    """
    return {name: _decode_frame(table) for name, table in payload.items()}


def _encode_frame(frame: pd.DataFrame) -> dict[str, Any]:
    index = frame.index
    default_index = isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1
    return {
        "columns": [str(c) for c in frame.columns],
        "columns_dtype": str(frame.columns.dtype),
        "dtypes": [str(t) for t in frame.dtypes],
        "data": [_encode_column(frame.iloc[:, k]) for k in range(frame.shape[1])],
        "index": None if default_index else _encode_column(index.to_series()),
        "length": len(frame),
    }


def _decode_frame(table: Mapping[str, Any]) -> pd.DataFrame:
    length = int(table["length"])
    encoded_index = table["index"]
    index = (
        pd.RangeIndex(length)
        if encoded_index is None
        else pd.Index(_decode_column(encoded_index, length))
    )
    columns = {
        k: _decode_column(data, length).set_axis(index) for k, data in enumerate(table["data"])
    }
    frame = pd.DataFrame(columns, index=index)
    frame.columns = pd.Index(table["columns"], dtype=table.get("columns_dtype", "object"))
    return frame


def _encode_column(column: pd.Series) -> dict[str, Any]:
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories = pd.Series(dtype.categories)
        return {
            "dtype": "category",
            "ordered": bool(dtype.ordered),
            "categories": _encode_column(categories),
            "codes": column.cat.codes.astype("int64").tolist(),
        }
    if pd.api.types.is_datetime64_any_dtype(dtype):
        values = [None if pd.isna(v) else pd.Timestamp(v).isoformat() for v in column]
        return {"dtype": str(dtype), "values": values}
    if pd.api.types.is_object_dtype(dtype):
        return {"dtype": "object", "values": [_encode_object(v) for v in column]}
    values = [None if _missing(v) else _plain(v) for v in column.astype(object)]
    return {"dtype": str(dtype), "values": values}


def _decode_column(encoded: Mapping[str, Any], length: int) -> pd.Series:
    dtype = encoded["dtype"]
    if dtype == "category":
        categories = _decode_column(encoded["categories"], len(encoded["categories"]["values"]))
        codes = np.asarray(encoded["codes"], dtype=np.int64).reshape(-1)
        cat = pd.Categorical.from_codes(
            codes, categories=pd.Index(categories), ordered=encoded["ordered"]
        )
        return pd.Series(cat)
    values = encoded["values"]
    if dtype == "object":
        return pd.Series([_decode_object(v) for v in values], dtype=object)
    if dtype.startswith("datetime64"):
        return pd.Series(pd.to_datetime(pd.Series(values, dtype=object)), dtype=dtype)
    if dtype in ("int64", "int32", "bool", "float64", "float32") and None in values:
        raise ValueError(f"a {dtype} column cannot hold missing values")
    return pd.Series(values if values else [], dtype=dtype)


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or value is pd.NaT


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _encode_object(value: object) -> object:
    if value is None:
        return None
    for tag, missing in _MISSING.items():
        if value is missing:
            return {tag: None}
    value = _plain(value)
    if isinstance(value, pd.Timestamp | dt.datetime):
        return {_TIMESTAMP: pd.Timestamp(value).isoformat()}
    if isinstance(value, dt.date):
        return {_DATE: value.isoformat()}
    if isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value  # NaN and infinities travel as Python json's NaN / Infinity tokens
    raise TypeError(f"no exact JSON form for a {type(value).__name__} in an object column")


def _decode_object(value: object) -> object:
    if isinstance(value, dict):
        if _TIMESTAMP in value:
            return pd.Timestamp(value[_TIMESTAMP])
        if _DATE in value:
            return dt.date.fromisoformat(value[_DATE])
        for tag, missing in _MISSING.items():
            if tag in value:
                return missing
        raise ValueError(f"unknown tagged value {value!r}")
    if isinstance(value, float) and math.isnan(value):
        return math.nan
    return value
