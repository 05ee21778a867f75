"""Requests to the promiser: read and check what a caller asks for, as strictly as the loader.

A line asked for through :meth:`~oms_plan.Promiser.promise` or a file of lines gets the same
ranges and integrality checks as an ``orders`` row of a dataset (SCHEMA.md, "Bad input"):
quantities positive, finite and at most :data:`~oms_plan.schema.MAX_MAGNITUDE`, whole for
integral items; dates strictly ``YYYY-MM-DD`` (``2026-11-31`` is not a date, and nothing is
cut off) between :data:`~oms_plan.schema.EARLIEST_DATE` and
:data:`~oms_plan.schema.LATEST_DATE`; day counts at most :data:`~oms_plan.schema.MAX_DAYS`.
A batch of lines is checked whole before anything is promised, and every problem is reported
at once (:class:`LinesError`, one :class:`~oms_plan.errors.Issue` per cell).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from oms_plan.atp.routes import Route
from oms_plan.dataset import Dataset
from oms_plan.errors import DatasetError, Issue, PlanningError
from oms_plan.schema import EARLIEST_DATE, LATEST_DATE, MAX_DAYS, MAX_MAGNITUDE

#: "No lateness limit": a day index no plan reaches.
NEVER = 1 << 40

DateLike: TypeAlias = dt.date | str

#: Routes of (item, region, fixed location or None, replenish), as the promiser caches them.
RoutesFor: TypeAlias = Callable[[str, str, str | None, bool], tuple[Route, ...]]

_EARLIEST = dt.date.fromisoformat(EARLIEST_DATE)
_LATEST = dt.date.fromisoformat(LATEST_DATE)
_TRUE = frozenset({"true", "1", "yes", "y", "t"})
_FALSE = frozenset({"false", "0", "no", "n", "f"})
#: Columns a line must have; the rest are optional.
_REQUIRED = ("item", "quantity", "ship_to", "requested_date")


class LinesError(DatasetError, PlanningError):
    """Lines given to the promiser are invalid; ``issues`` lists every problem at once.

    Both a :class:`~oms_plan.errors.DatasetError` (``issues`` with table ``"lines"``, row
    (1 = first line), column and a message naming the line) and a
    :class:`~oms_plan.errors.PlanningError`, so callers catching either see it.

    Parameters
    ----------
    issues
        The problems found.

    """

    def __init__(self, issues: Iterable[Issue]) -> None:
        super().__init__(issues)
        errors = self.errors
        shown = "\n".join(f"  - {i}" for i in errors[:50])
        more = f"\n  ... and {len(errors) - 50} more" if len(errors) > 50 else ""
        # The message of a batch of lines, not of a dataset.
        self.args = (f"invalid lines: {len(errors)} problem(s)\n{shown}{more}",)


@dataclass(frozen=True, slots=True)
class Request:
    """One checked line: what the planning code reads."""

    item: str
    quantity: float
    ship_to: str
    requested: dt.date
    day: int
    routes: tuple[Route, ...]
    partial_ok: bool
    max_shipments: int | None
    min_shipment: float
    limit: int  # last acceptable delivery day
    integral: bool
    order: str | None
    line: str | None
    location: str | None = None  # ship from this location only
    ctp: bool = False  # new production and purchases may serve what ATP cannot


class RequestRules:
    """What requests are checked against: the dataset's ids, plan start and integral items.

    Parameters
    ----------
    dataset
        The dataset promised from.

    """

    def __init__(self, dataset: Dataset) -> None:
        self.start = dataset.start
        items = dataset.items
        self.integral: dict[str, bool] = dict(
            zip(items["item"].astype(str), items["integral"].astype(bool), strict=True)
        )
        self.regions = frozenset(dataset.region_ids)
        self.locations = frozenset(dataset.location_ids)
        orders = dataset.orders
        #: (order, line) of the dataset's open lines: a new line may not reuse one.
        self.open_keys = frozenset(
            zip(orders["order"].astype(str), orders["line"].astype(str), strict=True)
        )

    def check_item(self, item: object, where: str = "") -> str:
        """Return ``item`` when it is a known item id, else raise naming it."""
        if not isinstance(item, str) or item not in self.integral:
            raise PlanningError(f"{where}unknown item {item!r}")
        return item


# -- one line --------------------------------------------------------------------------------
def build_request(
    rules: RequestRules,
    routes_for: RoutesFor,
    item: object,
    quantity: object,
    ship_to: object,
    requested_date: object,
    *,
    partial_ok: object = True,
    max_shipments: object = None,
    min_shipment: object = 0.0,
    max_days_late: object = None,
    location: object = None,
    replenish: bool = False,
    ctp: bool = False,
    order: str | None = None,
    line: str | None = None,
    where: str = "",
) -> Request:
    """Check one line and return it as a :class:`Request`.

    Raises
    ------
    PlanningError
        Every problem of the line, in one message starting with ``where``.

    """
    req, problems = _checked(
        rules,
        routes_for,
        item,
        quantity,
        ship_to,
        requested_date,
        partial_ok=partial_ok,
        max_shipments=max_shipments,
        min_shipment=min_shipment,
        max_days_late=max_days_late,
        location=location,
        replenish=replenish,
        ctp=ctp,
        order=order,
        line=line,
    )
    if req is None:
        raise PlanningError(where + "; ".join(message for _, message in problems))
    return req


def _checked(
    rules: RequestRules,
    routes_for: RoutesFor,
    item: object,
    quantity: object,
    ship_to: object,
    requested_date: object,
    *,
    partial_ok: object,
    max_shipments: object,
    min_shipment: object,
    max_days_late: object,
    location: object,
    replenish: object,
    ctp: bool,
    order: str | None,
    line: str | None,
) -> tuple[Request | None, list[tuple[str, str]]]:
    """The request, or ``None`` and its problems as ``(column, message)``."""
    problems: list[tuple[str, str]] = []
    problem = _Problems(problems)
    if not isinstance(item, str) or item not in rules.integral:
        problem("item", f"unknown item {item!r}")
    integral = isinstance(item, str) and rules.integral.get(item, False)
    if not isinstance(ship_to, str) or ship_to not in rules.regions:
        problem("ship_to", f"unknown region {ship_to!r}")
    if location is not None and (not isinstance(location, str) or location not in rules.locations):
        problem("location", f"unknown location {location!r}")
    qty = _number(quantity, "quantity", integral, item, problem, positive=True)
    low = _number(min_shipment, "min_shipment", integral, item, problem, positive=False)
    most = _count(max_shipments, "max_shipments", 1, MAX_MAGNITUDE, problem)
    late = _count(max_days_late, "max_days_late", 0, MAX_DAYS, problem)
    # The usual values first: this runs for every promise.
    partial = partial_ok if partial_ok is True or partial_ok is False else None
    if partial is None:
        partial = _flag(partial_ok, "partial_ok", problem)
    more = replenish if replenish is True or replenish is False else None
    if more is None:
        more = _flag(replenish, "replenish", problem)
    requested = _date(requested_date, problem)
    if problems or qty is None or low is None or requested is None:
        return None, problems
    assert isinstance(item, str) and isinstance(ship_to, str)  # checked above
    day = (requested - rules.start).days
    return (
        Request(
            item=item,
            quantity=qty,
            ship_to=ship_to,
            requested=requested,
            day=day,
            # With CTP, purchases are planned as new supply: no unlimited replenishment.
            routes=routes_for(item, ship_to, location, bool(more) and not ctp),  # type: ignore[arg-type]
            partial_ok=bool(partial),
            max_shipments=most,
            min_shipment=low,
            limit=NEVER if late is None else day + late,
            integral=bool(integral),
            order=order,
            line=line,
            location=location,  # type: ignore[arg-type]
            ctp=ctp,
        ),
        [],
    )


class _Problems:
    """Collects ``(column, message)`` problems; called as ``problem(column, message)``."""

    __slots__ = ("found",)

    def __init__(self, found: list[tuple[str, str]]) -> None:
        self.found = found

    def __call__(self, column: str, message: str) -> None:
        self.found.append((column, message))


def _number(
    value: object,
    name: str,
    integral: bool,
    item: object,
    problem: Callable[[str, str], None],
    *,
    positive: bool,
) -> float | None:
    """A quantity as the loader reads it: a finite number in range, whole for integral items."""
    kind = type(value)
    if (kind is float or kind is int) and 0 < value <= MAX_MAGNITUDE:  # type: ignore[operator]
        number = float(value)  # type: ignore[arg-type]
        if integral and not number.is_integer():
            problem(name, f"{name} {number:g} is not a whole number, but item {item!r} is integral")
            return None
        return number
    if isinstance(value, bool | np.bool_):
        problem(name, f"{name} {value!r} is not a number")
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        problem(name, f"{name} {value!r} is not a number")
        return None
    if not math.isfinite(number) or number < 0 or (positive and number == 0):
        problem(name, f"{name} must be {'>' if positive else '≥'} 0, got {value!r}")
        return None
    if number > MAX_MAGNITUDE:
        problem(name, f"{name} {number:g} is larger than {MAX_MAGNITUDE:g}")
        return None
    if integral and not number.is_integer():
        problem(name, f"{name} {number:g} is not a whole number, but item {item!r} is integral")
        return None
    return number


def _count(
    value: object, name: str, low: float, high: float, problem: Callable[[str, str], None]
) -> int | None:
    """An optional whole number in ``[low, high]`` (``None`` stays ``None``)."""
    if value is None:
        return None
    number: float | None = None
    if not isinstance(value, bool | np.bool_):
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            number = None
    if number is None or not math.isfinite(number) or not number.is_integer():
        problem(name, f"{name} {value!r} is not a whole number")
        return None
    if not low <= number <= high:
        problem(name, f"{name} must be ≥ {low:g} and ≤ {high:g}, got {value!r}")
        return None
    return int(number)


def _flag(value: object, name: str, problem: Callable[[str, str], None]) -> bool | None:
    """A yes/no option: a bool, 0/1, or the loader's words (``true``, ``no``, ...)."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    problem(name, f"{name} {value!r} is not true or false")
    return None


def _date(value: object, problem: Callable[[str, str], None]) -> dt.date | None:
    try:
        return as_date(value)
    except PlanningError as exc:
        problem("requested_date", str(exc))
        return None


def as_date(value: object) -> dt.date:
    """A requested date: a ``date``, a timestamp, or exactly ``YYYY-MM-DD``, within range.

    A string must print back as itself once parsed: ``2026-11-31`` (no such day) and
    ``2026-12-20xyz`` are rejected, never rounded to another day or cut short.

    Raises
    ------
    PlanningError
        Not a date, or outside the range the loader accepts.

    """
    date: dt.date | None = None
    if isinstance(value, str):
        date = _parse_date(value)
    elif value is pd.NaT or value is None:
        date = None
    elif isinstance(value, dt.datetime):
        date = value.date()
    elif isinstance(value, dt.date):
        date = value
    elif isinstance(value, np.datetime64) and not np.isnat(value):
        date = pd.Timestamp(value).date()
    if date is None:
        raise PlanningError(f"requested date {value!r} is not a date (YYYY-MM-DD)")
    if not _EARLIEST <= date <= _LATEST:
        raise PlanningError(f"requested date {date} is outside {EARLIEST_DATE} .. {LATEST_DATE}")
    return date


@functools.lru_cache(maxsize=4096)
def _parse_date(value: str) -> dt.date | None:
    """``YYYY-MM-DD`` (surrounding blanks allowed) as a date; anything else ``None``.

    Cached: requests repeat the same few hundred dates.
    """
    text = value.strip()
    try:
        parsed = dt.date.fromisoformat(text)
    except ValueError:
        return None
    # fromisoformat also reads 20261220 and 2026-W51-7: only the canonical form counts.
    return parsed if parsed.isoformat() == text else None


# -- a batch of lines ------------------------------------------------------------------------
def requests_from_rows(
    rules: RequestRules,
    routes_for: RoutesFor,
    rows: Sequence[Mapping[str, Any]],
    *,
    replenish: bool,
    ctp: bool = False,
) -> list[Request]:
    """Check every line of a batch; return their requests, in order.

    Besides each line's own values, an ``(order, line)`` may appear once only and may not be
    the key of one of the dataset's open lines (that line is already committed).

    Parameters
    ----------
    rules
        The dataset's rules.
    routes_for
        The promiser's routes.
    rows
        Lines with ``orders`` columns.
    replenish
        Default of a line without a ``replenish`` value.
    ctp
        Capable-to-promise for every line (``replenish`` then has no effect).

    Returns
    -------
    list of Request
        One per line.

    Raises
    ------
    LinesError
        Every problem of every line, each with its row (1 = first line) and column.

    """
    issues: list[Issue] = []
    requests: list[Request] = []
    seen: dict[tuple[str, str], int] = {}
    for pos, row in enumerate(rows):
        if not isinstance(row, Mapping):
            issues.append(Issue("lines", pos + 1, None, f"line {pos + 1} is not a mapping"))
            continue
        order = label(row.get("order"))
        line = label(row.get("line"))
        where = f"order {order!r} line {line!r}" if order is not None else f"line {pos + 1}"

        def add(column: str | None, message: str, pos: int = pos, where: str = where) -> None:
            issues.append(Issue("lines", pos + 1, column, f"{where}: {message}"))

        if order is not None and line is not None:
            key = (order, line)
            if key in seen:
                add("line", f"appears twice (first at line {seen[key] + 1})")
            else:
                seen[key] = pos
            if key in rules.open_keys:
                add("line", "is an open line of the dataset already")
        missing = [c for c in _REQUIRED if not present(row.get(c))]
        for column in missing:
            add(column, f"missing {column}")

        def opt(name: str, default: object, row: Mapping[str, Any] = row) -> object:
            value = row.get(name)
            return value if present(value) else default

        location = opt("location", None)
        req, problems = _checked(
            rules,
            routes_for,
            _text(row.get("item")),
            row.get("quantity"),
            _text(row.get("ship_to")),
            row.get("requested_date"),
            partial_ok=opt("partial_ok", True),
            max_shipments=opt("max_shipments", None),
            min_shipment=opt("min_shipment", 0.0),
            max_days_late=opt("max_days_late", None),
            location=None if location is None else _text(location),
            replenish=opt("replenish", replenish),
            ctp=ctp,
            order=order,
            line=line,
        )
        for column, message in problems:
            if column not in missing:  # reported as missing already
                add(column, message)
        if present(row.get("ship_complete")):
            _flag(row["ship_complete"], "ship_complete", add)
        if req is not None and not missing:
            requests.append(req)
    if issues:
        raise LinesError(issues)
    return requests


def ship_complete_orders(rows: Sequence[Mapping[str, Any]]) -> set[str]:
    """Orders with ``ship_complete`` set on any of their (checked) lines."""
    return {
        str(label(row.get("order")))
        for row in rows
        if label(row.get("order")) is not None
        and present(row.get("ship_complete"))
        and _flag(row["ship_complete"], "ship_complete", lambda column, message: None)
    }


def label(value: object) -> str | None:
    """An order or line label as text (``7.0`` → ``"7"``), ``None`` when blank."""
    if not present(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _text(value: object) -> object:
    """An id cell as a stripped string; other values unchanged (reported as unknown)."""
    if isinstance(value, np.str_):
        value = str(value)
    return value.strip() if isinstance(value, str) else value


def present(value: object) -> bool:
    """Whether a cell holds a value (not ``None``, NA, NaN or blank text)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    return not (isinstance(value, str) and not value.strip())


def records(lines: pd.DataFrame | Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Lines as a list of mappings (a DataFrame's rows, or the given mappings)."""
    if isinstance(lines, pd.DataFrame):
        out: list[Mapping[str, Any]] = lines.to_dict("records")
        return out
    if isinstance(lines, str | bytes | Mapping):
        raise PlanningError("lines must be a DataFrame or a list of mappings, one per line")
    return list(lines)
