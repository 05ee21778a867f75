"""How each column kind is read from raw cells (one parser pair per kind).

Each kind has a vectorized fast path for the common inputs (CSV strings, native numeric and
datetime dtypes) and a scalar parser that accepts every other sensible Python value
(``datetime.date``, ``Decimal``, ``True``, ...); :func:`parse_cells` runs the fast path and
retries what it left unread one cell at a time. Neither path raises: an unreadable cell is
marked, for :mod:`oms_plan.fields` to report.
"""

from __future__ import annotations

import datetime as dt
import decimal
import fractions
import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from oms_plan.labels import is_blank, label_value
from oms_plan.schema import EARLIEST_DATE, LATEST_DATE, Column

_TRUE = frozenset({"true", "1", "1.0", "yes", "y", "t"})
_FALSE = frozenset({"false", "0", "0.0", "no", "n", "f"})
_EARLIEST = pd.Timestamp(EARLIEST_DATE)
_LATEST = pd.Timestamp(LATEST_DATE) + pd.Timedelta(days=1) - pd.Timedelta(minutes=1)
#: The missing value of date and time columns.
NAT = np.datetime64("NaT", "ns")

#: Parsed values, cells of the wrong type, cells of the right type but outside the range.
Parsed = tuple[pd.Series, np.ndarray, np.ndarray]


def is_text_dtype(series: pd.Series) -> bool:
    """Whether ``series`` has one of pandas' own string dtypes (``str``, ``string``).

    Object columns of mixed values are not text columns: their cells are read one by one.
    """
    return bool(series.dtype != object and pd.api.types.is_string_dtype(series.dtype))


def blank_mask(series: pd.Series) -> np.ndarray:
    """Which cells are blank: missing, or text of nothing but whitespace."""
    mask = np.asarray(series.isna().to_numpy(dtype=bool), dtype=bool)
    if is_text_dtype(series):  # text columns come trimmed (oms_plan.fields)
        empty = (series == "").to_numpy(dtype=bool, na_value=False)
        mask = mask | empty
    elif series.dtype == object:
        mask = mask | np.fromiter(
            (isinstance(v, str) and not v.strip() for v in series.to_numpy()),
            dtype=bool,
            count=len(series),
        )
    return mask


def parse_cells(col: Column, series: pd.Series, blank: np.ndarray) -> Parsed:
    """Parse one column: the fast path, then the scalar parser for what it left unread.

    Parameters
    ----------
    col
        The column's contract (its ``kind`` chooses the parsers).
    series
        The raw cells (text already trimmed).
    blank
        Which cells are blank (:func:`blank_mask`): missing in the result, never bad.

    Returns
    -------
    Parsed
        The typed values, the cells that are not of the kind, the cells of the kind but
        outside the supported date range.

    """
    vector, scalar = _PARSERS[col.kind]
    n = len(series)
    try:
        values, bad, out_of_range = vector(series, blank, col)
    except (ValueError, TypeError, OverflowError, AttributeError):
        # The fast path met values it does not know: read every cell one by one.
        values, bad, out_of_range = _scalar_all(scalar, col, series, ~blank)
    else:
        retry = bad & ~blank
        if retry.any():
            again, bad_again, range_again = _scalar_all(scalar, col, series[retry], None)
            values = values.copy()
            values[retry] = again.to_numpy()
            bad = bad.copy()
            bad[retry] = bad_again
            out_of_range = out_of_range | _scatter(retry, range_again, n)
    bad = bad & ~blank
    out_of_range = out_of_range & ~blank & ~bad
    return values.reset_index(drop=True), bad, out_of_range


def _scatter(mask: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[mask] = values
    return out


Scalar = Callable[[object, Column], tuple[object, str]]


def _scalar_all(scalar: Scalar, col: Column, series: pd.Series, only: np.ndarray | None) -> Parsed:
    """Parse cells one by one; ``only`` limits parsing to some cells (others stay missing)."""
    cells = series.to_numpy(dtype=object)
    parsed: list[object] = []
    bad = np.zeros(len(cells), dtype=bool)
    out_of_range = np.zeros(len(cells), dtype=bool)
    for pos, cell in enumerate(cells):
        if (only is not None and not only[pos]) or is_blank(cell):
            parsed.append(None)
            continue
        value, status = scalar(cell, col)
        parsed.append(value if status == "ok" else None)
        bad[pos] = status == "bad"
        out_of_range[pos] = status == "range"
    return _column_of(col, parsed), bad, out_of_range


def _column_of(col: Column, values: Sequence[object]) -> pd.Series:
    """Build the typed column from scalar-parsed values (``None`` = missing)."""
    kind = col.kind
    if kind == "number":
        return pd.Series(np.array([np.nan if v is None else v for v in values], dtype=float))
    if kind == "int":
        return pd.Series(pd.array(list(values), dtype="Int64"))
    if kind == "bool":
        return pd.Series(np.array([bool(v) for v in values], dtype=bool))
    if kind in ("date", "time"):
        return pd.Series(
            np.array([NAT if v is None else v for v in values], dtype="datetime64[ns]")
        )
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return pd.Series(out, dtype=object)


# -- text-like kinds -----------------------------------------------------------------------
def _cell_text(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    return label_value(value)


def _texts(series: pd.Series, blank: np.ndarray) -> np.ndarray:
    """Cells as stripped strings, ``None`` where blank (numbers: ``7.0`` → ``"7"``)."""
    if is_text_dtype(series):
        out = np.array(series.to_numpy(dtype=object, na_value=None), dtype=object)
    else:
        out = np.empty(len(series), dtype=object)
        out[:] = [_cell_text(v) for v in series.to_numpy(dtype=object)]
    out[blank] = None
    return out


def _lowered(series: pd.Series, blank: np.ndarray) -> np.ndarray:
    """Cells as lowercase trimmed strings, ``None`` where blank."""
    if is_text_dtype(series):
        out = np.array(series.str.lower().to_numpy(dtype=object, na_value=None), dtype=object)
        out[blank] = None
        return out
    text = _texts(series, blank)
    out = np.empty(len(text), dtype=object)
    out[:] = [v.lower() if isinstance(v, str) else None for v in text]
    return out


def _vector_id(series: pd.Series, blank: np.ndarray, col: Column) -> Parsed:
    n = len(series)
    zeros = np.zeros(n, dtype=bool)
    return pd.Series(_texts(series, blank), dtype=object), zeros, zeros.copy()


def _scalar_id(value: object, col: Column) -> tuple[object, str]:
    return _cell_text(value), "ok"


def _vector_choice(series: pd.Series, blank: np.ndarray, col: Column) -> Parsed:
    lowered = _lowered(series, blank)
    ok = pd.Series(lowered, dtype=object).isin(col.choices).to_numpy(dtype=bool)
    lowered[~ok] = None
    return pd.Series(lowered, dtype=object), ~ok & ~blank, np.zeros(len(series), dtype=bool)


def _scalar_choice(value: object, col: Column) -> tuple[object, str]:
    text = _cell_text(value).lower()
    return (text, "ok") if text in col.choices else (None, "bad")


def _vector_clock(series: pd.Series, blank: np.ndarray, col: Column) -> Parsed:
    cells = series.to_numpy(dtype=object)
    out = np.full(len(cells), None, dtype=object)
    bad = np.zeros(len(cells), dtype=bool)
    for pos, cell in enumerate(cells):
        if blank[pos]:
            continue
        value, status = _scalar_clock(cell, col)
        out[pos] = value
        bad[pos] = status != "ok"
    return pd.Series(out, dtype=object), bad, np.zeros(len(cells), dtype=bool)


def _scalar_clock(value: object, col: Column) -> tuple[object, str]:
    if isinstance(value, dt.time):
        if value.second or value.microsecond:
            return None, "bad"
        minutes: int | None = value.hour * 60 + value.minute
    else:
        minutes = clock_minutes(value)
    if minutes is None:
        return None, "bad"
    return f"{minutes // 60:02d}:{minutes % 60:02d}", "ok"


def clock_minutes(value: object) -> int | None:
    """Minutes after midnight of a clock time.

    Parameters
    ----------
    value
        ``"HH:MM"`` (one-digit hours and ``:00`` seconds allowed; ``"24:00"`` is the end of
        the day).

    Returns
    -------
    int or None
        ``"06:30"`` → 390; ``None`` when ``value`` is not such a clock time.

    """
    if not isinstance(value, str):
        return None
    parts = value.strip().split(":")
    if len(parts) not in (2, 3) or not all(p.isascii() and p.isdigit() for p in parts):
        return None
    if len(parts[1]) != 2 or len(parts[0]) > 2:
        return None
    hours, minutes = int(parts[0]), int(parts[1])
    if len(parts) == 3 and (len(parts[2]) != 2 or int(parts[2]) != 0):
        return None
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes > 0):
        return None
    return hours * 60 + minutes


# -- numbers and booleans ------------------------------------------------------------------
def _vector_number(series: pd.Series, blank: np.ndarray, col: Column) -> Parsed:
    n = len(series)
    dtype = series.dtype
    if (
        pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
    ):
        # True is not a quantity and a date is not a number: left to the scalar parser,
        # which rejects them.
        arr = np.full(n, np.nan)
    elif pd.api.types.is_numeric_dtype(dtype):
        arr = np.asarray(series.to_numpy(dtype=float, na_value=np.nan), dtype=float)
    elif is_text_dtype(series):
        arr = _arrow_floats(series)
    else:
        arr = np.full(n, np.nan)  # object: every cell goes to the scalar parser
    with np.errstate(invalid="ignore", over="ignore"):
        bad = ~np.isfinite(arr) & ~blank
    arr = np.where(bad | blank, np.nan, arr)
    return _typed_number(col, arr), bad, np.zeros(n, dtype=bool)


def _arrow_floats(series: pd.Series) -> np.ndarray:
    """Trimmed text → floats (NaN: blank or unreadable); Arrow's cast when every cell reads."""
    try:
        text = pa.array(series, from_pandas=True)
        text = pc.if_else(pc.equal(text, ""), pa.scalar(None, text.type), text)
        return np.asarray(pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        numeric = pd.to_numeric(series, errors="coerce")  # some cell is not a number
        return np.asarray(numeric.to_numpy(dtype=float, na_value=np.nan), dtype=float)


def _typed_number(col: Column, arr: np.ndarray) -> pd.Series:
    if col.kind == "number":
        return pd.Series(arr)
    whole = np.isfinite(arr)
    result = pd.array(np.where(whole, arr, 0).astype(np.int64), dtype="Int64")
    result[~whole] = pd.NA
    return pd.Series(result)


_NUMBER_TYPES = (int, float, np.integer, np.floating, decimal.Decimal, fractions.Fraction)


def _scalar_float(value: object) -> float | None:
    if isinstance(value, bool | np.bool_):
        return None
    try:
        if isinstance(value, str):
            number = float(value.strip())
        elif isinstance(value, _NUMBER_TYPES):
            number = float(value)
        else:
            return None
    except (ValueError, OverflowError, decimal.InvalidOperation):
        return None
    return number if math.isfinite(number) else None


def _scalar_number(value: object, col: Column) -> tuple[object, str]:
    number = _scalar_float(value)
    return (None, "bad") if number is None else (number, "ok")


def _vector_int(series: pd.Series, blank: np.ndarray, col: Column) -> Parsed:
    numbers, bad, out_of_range = _vector_number(series, blank, _AS_NUMBER)
    arr = np.asarray(numbers.to_numpy(dtype=float), dtype=float)
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(arr) & (np.floor(arr) == arr) & (np.abs(arr) < 2.0**53)
    bad = bad | (~whole & ~blank)
    return _typed_number(col, np.where(whole, arr, np.nan)), bad, out_of_range


def _scalar_int(value: object, col: Column) -> tuple[object, str]:
    number = _scalar_float(value)
    if number is None or not number.is_integer() or abs(number) >= 2.0**53:
        return None, "bad"
    return int(number), "ok"


_AS_NUMBER = Column("_", "number")


def _vector_bool(series: pd.Series, blank: np.ndarray, col: Column) -> Parsed:
    n = len(series)
    if pd.api.types.is_bool_dtype(series.dtype):
        values = np.asarray(series.to_numpy(dtype=bool, na_value=False), dtype=bool)
        return pd.Series(values), np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    lowered = _lowered(series, blank)
    true = pd.Series(lowered, dtype=object).isin(_TRUE).to_numpy(dtype=bool)
    false = pd.Series(lowered, dtype=object).isin(_FALSE).to_numpy(dtype=bool)
    return pd.Series(true), ~(true | false) & ~blank, np.zeros(n, dtype=bool)


def _scalar_bool(value: object, col: Column) -> tuple[object, str]:
    if isinstance(value, bool | np.bool_):
        return bool(value), "ok"
    text = _cell_text(value).lower()
    if text in _TRUE:
        return True, "ok"
    if text in _FALSE:
        return False, "ok"
    return None, "bad"


# -- dates and times -----------------------------------------------------------------------
def _vector_date(series: pd.Series, blank: np.ndarray, col: Column) -> Parsed:
    return _vector_datetime(series, blank, day_only=True)


def _vector_time(series: pd.Series, blank: np.ndarray, col: Column) -> Parsed:
    return _vector_datetime(series, blank, day_only=False)


def _vector_datetime(series: pd.Series, blank: np.ndarray, *, day_only: bool) -> Parsed:
    n = len(series)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        parsed = pd.Series(series)
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_localize(None)  # keep the wall-clock time
    elif day_only and is_text_dtype(series):
        # Arrow's strptime: unreadable cells become null and are retried one by one. It
        # also reads 2026-11-31 as 2026-12-01 and 2026-1-5 as 2026-01-05: a day counts only
        # when it prints back as the cell's text (the others are retried, and rejected).
        text = pa.array(series, from_pandas=True)
        days = pc.strptime(text, format="%Y-%m-%d", unit="s", error_is_null=True)
        # Compared by numbers, not by printing (strftime is ten times slower): exactly ten
        # characters whose month and day are the parsed ones.
        read = pc.fill_null(pc.is_valid(days), False)
        safe = pc.if_else(read, text, pa.scalar("2000-01-01"))
        month = pc.cast(pc.utf8_slice_codeunits(safe, 5, 7), pa.int64())
        day = pc.cast(pc.utf8_slice_codeunits(safe, 8, 10), pa.int64())
        same = pc.and_(
            pc.equal(pc.utf8_length(safe), 10),
            pc.and_(pc.equal(pc.month(days), month), pc.equal(pc.day(days), day)),
        )
        days = pc.if_else(pc.fill_null(same, False), days, pa.scalar(None, days.type))
        parsed = pd.Series(days.to_numpy(zero_copy_only=False), dtype="datetime64[s]")
    elif is_text_dtype(series) or series.dtype == object:
        text = pd.Series(_texts(series, blank), dtype=object)
        fmt = "%Y-%m-%d" if day_only else "ISO8601"
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        if not pd.api.types.is_datetime64_any_dtype(parsed.dtype):
            raise TypeError("mixed values")
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_localize(None)
        # As above: only a day that prints back as the text (the date part of a time);
        # pandas reads 2026-11-31 as 2026-12-01 and 20261130 as a date too.
        printed = parsed.dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
        given = text.to_numpy(dtype=object) if day_only else text.str[:10].to_numpy(dtype=object)
        same = np.asarray(printed == given, dtype=bool)
        parsed = parsed.where(same)
    else:
        return pd.Series(np.full(n, NAT)), ~blank, np.zeros(n, dtype=bool)
    missing = parsed.isna().to_numpy(dtype=bool)
    outside = ((parsed < _EARLIEST) | (parsed > _LATEST)).to_numpy(dtype=bool) & ~missing
    bad = missing & ~blank
    if day_only:
        with_time = (parsed != parsed.dt.normalize()).to_numpy(dtype=bool) & ~missing
        bad = bad | with_time
    keep = ~(bad | outside | missing)
    values = np.full(n, NAT)
    if keep.any():
        values[keep] = parsed[keep].astype("datetime64[ns]").to_numpy()
    return pd.Series(values), bad, outside & ~bad


def _scalar_date(value: object, col: Column) -> tuple[object, str]:
    return _scalar_datetime(value, day_only=True)


def _scalar_time(value: object, col: Column) -> tuple[object, str]:
    return _scalar_datetime(value, day_only=False)


def _scalar_datetime(value: object, *, day_only: bool) -> tuple[object, str]:
    stamp: dt.datetime
    try:
        if isinstance(value, str):
            text = value.strip()
            if day_only:
                day = dt.date.fromisoformat(text)
                # fromisoformat also reads 20261220 and 2026-W51-7: only YYYY-MM-DD.
                if day.isoformat() != text:
                    return None, "bad"
                stamp = dt.datetime(day.year, day.month, day.day)
            else:
                stamp = dt.datetime.fromisoformat(text)
                # Compact forms (20261220T0600) are not the contract's YYYY-MM-DDTHH:MM.
                if stamp.date().isoformat() != text[:10]:
                    return None, "bad"
        elif isinstance(value, pd.Timestamp):
            stamp = value.to_pydatetime(warn=False)
        elif isinstance(value, dt.datetime):
            stamp = value
        elif isinstance(value, dt.date):
            stamp = dt.datetime(value.year, value.month, value.day)
        elif isinstance(value, np.datetime64):
            stamp = pd.Timestamp(value).to_pydatetime(warn=False)
        else:
            return None, "bad"
    except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime):
        return None, "bad"
    stamp = stamp.replace(tzinfo=None, microsecond=0)
    if day_only and stamp.time() != dt.time(0, 0):
        return None, "bad"
    if not _EARLIEST.to_pydatetime() <= stamp <= _LATEST.to_pydatetime():
        return None, "range"
    return np.datetime64(stamp, "ns"), "ok"


Vector = Callable[[pd.Series, np.ndarray, Column], Parsed]

_PARSERS: dict[str, tuple[Vector, Scalar]] = {
    "id": (_vector_id, _scalar_id),
    "text": (_vector_id, _scalar_id),
    "choice": (_vector_choice, _scalar_choice),
    "number": (_vector_number, _scalar_number),
    "int": (_vector_int, _scalar_int),
    "bool": (_vector_bool, _scalar_bool),
    "date": (_vector_date, _scalar_date),
    "time": (_vector_time, _scalar_time),
    "clock": (_vector_clock, _scalar_clock),
}

#: Column kind → what a bad cell is not, for the message (``"is not a number"``).
EXPECTED: dict[str, Callable[[Column], str]] = {
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
