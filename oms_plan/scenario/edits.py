"""The edits a scenario applies to a dataset: each a name, its arguments, and a pure function.

An :class:`Edit` is plain data (JSON-ready arguments), so a scenario's edit log can be saved
and replayed. :func:`apply_edit` turns the tables of a dataset into the edited tables and
reports a bad edit — an unknown order, a negative stock, a downtime that ends before it
starts — as a :class:`~oms_plan.errors.DatasetError` whose every issue names the edit and its
arguments. Whatever the edit checks itself, the loader checks again when the scenario builds
its dataset (types, references, keys), and those problems name the edit too.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from oms_plan.errors import DatasetError, Issue

#: Every edit a scenario knows, in the order SCHEMA.md lists them.
EDIT_KINDS = (
    "add_order",
    "change_order",
    "cancel_order",
    "delay_supply",
    "cancel_supply",
    "machine_down",
    "change_lead_time",
    "set_stock",
)
_ORDER_REQUIRED = ("order", "line", "item", "quantity", "requested_date", "ship_to")
_METHODS = ("buy", "make", "transfer")

Frames = dict[str, pd.DataFrame]


@dataclass(frozen=True, slots=True)
class Edit:
    """One named edit: ``kind`` (an :data:`EDIT_KINDS` name) and its keyword arguments.

    Arguments are JSON-ready scalars (text, numbers, booleans, None); dates and times are
    ISO strings.
    """

    kind: str
    arguments: tuple[tuple[str, Any], ...]

    @classmethod
    def make(cls, kind: str, **arguments: Any) -> Edit:
        """An edit with its arguments normalized (dates to ISO text, numpy to Python)."""
        plain = tuple((k, _plain(kind, k, v)) for k, v in arguments.items())
        return cls(kind, plain)

    @property
    def args(self) -> dict[str, Any]:
        """The arguments as a dict."""
        return dict(self.arguments)

    def describe(self) -> str:
        """The call that made this edit, e.g. ``cancel_supply(supply='PO-1')``."""
        inner = ", ".join(f"{k}={v!r}" for k, v in self.arguments)
        return f"{self.kind}({inner})"

    def to_dict(self) -> dict[str, Any]:
        """``{"edit": kind, "arguments": {...}}`` (JSON-ready)."""
        return {"edit": self.kind, "arguments": self.args}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Edit:
        """The edit written by :meth:`to_dict`.

        Raises
        ------
        DatasetError
            When the record is not an edit of a known kind.

        """
        kind, arguments = data.get("edit"), data.get("arguments")
        if kind not in EDIT_KINDS or not isinstance(arguments, dict):
            raise DatasetError(
                [Issue("scenario", None, None, f"not a scenario edit: {dict(data)!r}")]
            )
        return cls.make(str(kind), **arguments)


def _plain(kind: str, name: str, value: Any) -> Any:
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        if not math.isfinite(float(value)):
            raise _error(f"{kind}({name}={value!r})", f"{name} must be a finite number")
        return float(value)
    if isinstance(value, pd.Timestamp | dt.datetime):
        stamp = pd.Timestamp(value)
        return stamp.strftime("%Y-%m-%d") if stamp == stamp.normalize() else stamp.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    raise _error(
        f"{kind}({name}={value!r})",
        f"{name} must be text, a number, a date or a boolean, not {type(value).__name__}",
    )


def _error(
    what: str, message: str, table: str = "scenario", column: str | None = None
) -> DatasetError:
    return DatasetError([Issue(table, None, column, f"edit {what}: {message}")])


def apply_edit(edit: Edit, frames: Frames) -> Frames:
    """The tables after ``edit`` (``frames`` is not changed).

    Raises
    ------
    DatasetError
        When the edit is unknown or cannot apply to these tables (the issue names it).

    """
    handler = _HANDLERS.get(edit.kind)
    if handler is None:
        raise _error(edit.describe(), f"unknown edit; edits are {', '.join(EDIT_KINDS)}")
    out = dict(frames)
    handler(edit, out)
    return out


def _fail(edit: Edit, message: str, table: str = "scenario", column: str | None = None) -> None:
    raise _error(edit.describe(), message, table, column)


def _key_mask(frame: pd.DataFrame, **values: object) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, value in values.items():
        mask &= frame[column].astype(str) == str(value)
    return mask


def _need(edit: Edit, names: tuple[str, ...]) -> dict[str, Any]:
    args = edit.args
    missing = [n for n in names if args.get(n) is None]
    if missing:
        _fail(edit, f"missing {', '.join(missing)}")
    return args


def _order_columns(edit: Edit, orders: pd.DataFrame, columns: Mapping[str, Any]) -> None:
    from oms_plan.schema import TABLES

    known = set(TABLES["orders"].column_names) | set(orders.columns)
    unknown = sorted(set(columns) - known)
    if unknown:
        _fail(edit, f"unknown orders column(s) {', '.join(unknown)}", "orders")


def _add_order(edit: Edit, frames: Frames) -> None:
    args = _need(edit, _ORDER_REQUIRED)
    orders = frames["orders"]
    _order_columns(edit, orders, args)
    if _key_mask(orders, order=args["order"], line=args["line"]).any():
        _fail(edit, f"order {args['order']!r} line {args['line']!r} already exists", "orders")
    row = {k: (str(v) if k in ("order", "line") else v) for k, v in args.items()}
    added = pd.DataFrame([row]).astype(object)
    frames["orders"] = pd.concat([orders.astype(object), added], ignore_index=True)


def _change_order(edit: Edit, frames: Frames) -> None:
    args = _need(edit, ("order", "line"))
    changes = {k: v for k, v in args.items() if k not in ("order", "line")}
    if not changes:
        _fail(edit, "nothing to change: give one or more orders columns, e.g. quantity=10")
    orders = frames["orders"]
    _order_columns(edit, orders, changes)
    mask = _key_mask(orders, order=args["order"], line=args["line"])
    if not mask.any():
        _fail(edit, f"no order {args['order']!r} line {args['line']!r}", "orders")
    out = orders.copy()
    for column, value in changes.items():
        if column not in out.columns:
            out[column] = None
        out[column] = out[column].astype(object)
        out.loc[mask, column] = value
    frames["orders"] = out


def _cancel_order(edit: Edit, frames: Frames) -> None:
    args = _need(edit, ("order",))
    orders = frames["orders"]
    keys = {"order": args["order"]}
    if args.get("line") is not None:
        keys["line"] = args["line"]
    mask = _key_mask(orders, **keys)
    if not mask.any():
        what = f"order {args['order']!r}" + (f" line {args['line']!r}" if "line" in keys else "")
        _fail(edit, f"no {what}", "orders")
    frames["orders"] = orders.loc[~mask].reset_index(drop=True)


def _supply_row(edit: Edit, frames: Frames) -> pd.Series:
    args = _need(edit, ("supply",))
    mask = _key_mask(frames["supply"], supply=args["supply"])
    if not mask.any():
        _fail(edit, f"no supply {args['supply']!r}", "supply")
    return mask


def _delay_supply(edit: Edit, frames: Frames) -> None:
    args = _need(edit, ("supply", "days"))
    days = args["days"]
    if isinstance(days, bool) or not isinstance(days, int):
        _fail(edit, f"days must be a whole number of days, got {days!r}")
    mask = _supply_row(edit, frames)
    out = frames["supply"].copy()
    out["due_date"] = pd.to_datetime(out["due_date"])
    out.loc[mask, "due_date"] = out.loc[mask, "due_date"] + pd.Timedelta(days=days)
    frames["supply"] = out


def _cancel_supply(edit: Edit, frames: Frames) -> None:
    mask = _supply_row(edit, frames)
    frames["supply"] = frames["supply"].loc[~mask].reset_index(drop=True)


def parse_moment(value: object, *, end: bool) -> pd.Timestamp | None:
    """A downtime bound parsed from text; ``None`` when it does not parse.

    ``YYYY-MM-DDTHH:MM`` is taken as is; a date alone is its 00:00, or, as an end
    (``end=True``), the 24:00 that closes it.
    """
    if not isinstance(value, str):
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        return None
    if pd.isna(stamp) or stamp.tzinfo is not None:
        return None
    date_only = len(value.strip()) == 10
    return stamp + pd.Timedelta(days=1) if end and date_only else stamp


def _machine_down(edit: Edit, frames: Frames) -> None:
    args = _need(edit, ("workstation", "start", "end"))
    stations = frames["workstations"]
    if not _key_mask(stations, workstation=args["workstation"]).any():
        _fail(edit, f"no workstation {args['workstation']!r}", "workstations")
    start = parse_moment(args["start"], end=False)
    end = parse_moment(args["end"], end=True)
    for name, stamp in (("start", start), ("end", end)):
        if stamp is None:
            _fail(edit, f"{name} {args[name]!r} is not a date or a YYYY-MM-DDTHH:MM time")
    assert start is not None and end is not None  # _fail raised otherwise
    if end <= start:
        _fail(edit, f"end {args['end']!r} is not after start {args['start']!r}")
    row = pd.DataFrame([{"workstation": str(args["workstation"]), "start": start, "end": end}])
    down = frames["downtime"]
    if not down.empty:
        row = pd.concat([down.astype(object), row.astype(object)], ignore_index=True)
    frames["downtime"] = row


def _change_lead_time(edit: Edit, frames: Frames) -> None:
    args = _need(edit, ("item", "location", "method", "lead_days"))
    if args["method"] not in _METHODS:
        _fail(edit, f"method must be one of {', '.join(_METHODS)}")
    lead = args["lead_days"]
    if isinstance(lead, bool) or not isinstance(lead, int) or lead < 0:
        _fail(edit, f"lead_days must be a whole number of days ≥ 0, got {lead!r}")
    sourcing = frames["sourcing"]
    mask = _key_mask(sourcing, item=args["item"], location=args["location"], method=args["method"])
    if not mask.any():
        _fail(
            edit,
            f"no sourcing row {args['method']} of {args['item']!r} at {args['location']!r}",
            "sourcing",
        )
    out = sourcing.copy()
    out.loc[mask, "lead_days"] = lead
    frames["sourcing"] = out


def _set_stock(edit: Edit, frames: Frames) -> None:
    args = _need(edit, ("item", "location", "on_hand"))
    on_hand = args["on_hand"]
    if isinstance(on_hand, bool) or not isinstance(on_hand, int | float) or on_hand < 0:
        _fail(edit, f"on_hand must be a number ≥ 0, got {on_hand!r}")
    for table, column in (("items", "item"), ("locations", "location")):
        if not _key_mask(frames[table], **{column: args[column]}).any():
            _fail(edit, f"no {column} {args[column]!r}", table)
    inventory = frames["inventory"]
    mask = _key_mask(inventory, item=args["item"], location=args["location"])
    if mask.any():
        out = inventory.copy()
        out.loc[mask, "on_hand"] = float(on_hand)
    else:
        row = pd.DataFrame(
            [{"item": args["item"], "location": args["location"], "on_hand": float(on_hand)}]
        )
        out = row if inventory.empty else pd.concat([inventory, row], ignore_index=True)
    frames["inventory"] = out


_HANDLERS: dict[str, Callable[[Edit, Frames], None]] = {
    "add_order": _add_order,
    "change_order": _change_order,
    "cancel_order": _cancel_order,
    "delay_supply": _delay_supply,
    "cancel_supply": _cancel_supply,
    "machine_down": _machine_down,
    "change_lead_time": _change_lead_time,
    "set_stock": _set_stock,
}
