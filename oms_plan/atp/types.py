"""What a promise is: shipments, a short quantity, and what bound the date."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import os
import typing
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import pandas as pd

from oms_plan.ctp.types import Load, SupplyOrder, Take
from oms_plan.errors import PlanningError
from oms_plan.outputs import output_frame

if TYPE_CHECKING:
    from oms_plan.atp.promiser import Promiser

#: How a shipment's quantity is sourced.
ShipmentKind = Literal["direct", "transfer", "replenishment"]
#: Where a shipment's quantity comes from originally (``promise --json`` "source").
ShipmentSource = Literal["stock", "supply", "transfer", "make", "buy"]


class QuoteExpiredError(PlanningError):
    """A promise can no longer be reserved: the ATP it was quoted from has been taken since."""


class UnknownReservationError(PlanningError):
    """A reservation id that this promiser never issued, or one already released."""


class DuplicateReservationError(PlanningError):
    """A quote already reserved (and not released) was reserved again without its key."""


# Quote ids: a random prefix per process and a counter (a UUID per quote would cost more
# than the rest of a quick promise). A forked child draws a new prefix, so ids made in
# worker processes never collide with each other or with the parent's.
_QUOTE_PREFIX = uuid.uuid4().hex[:16]
_QUOTE_COUNTER = itertools.count(1)


def _new_quote_prefix() -> None:
    global _QUOTE_PREFIX, _QUOTE_COUNTER
    _QUOTE_PREFIX = uuid.uuid4().hex[:16]
    _QUOTE_COUNTER = itertools.count(1)


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_new_quote_prefix)


def new_quote_id() -> str:
    """A quote id unique across promisers and processes (``"Q-"`` + hex digits)."""
    return f"Q-{_QUOTE_PREFIX}{next(_QUOTE_COUNTER):x}"


@dataclass(frozen=True, slots=True)
class Shipment:
    """One shipment of a promise.

    Attributes
    ----------
    location
        Where the shipment leaves for the customer.
    quantity
        Quantity shipped.
    ship_date
        Date it leaves ``location``.
    delivery_date
        ``ship_date`` plus the lane's transit days.
    binding
        What set its date (SCHEMA.md promises.binding): ``stock``, ``supply:<id>`` (the
        receipt that makes the quantity available), ``transit`` (shipping on plan start is
        already late) or ``lead_time`` (a transfer's or replenishment's lead days).
    kind
        ``direct`` (ATP at ``location``), ``transfer`` (ATP at ``source_location`` moved to
        ``location`` by a sourcing ``transfer`` row) or ``replenishment`` (new ``buy`` supply).
    source_location
        Where the quantity is taken from (``location`` unless ``kind == "transfer"``); for
        new supply, the plant that makes it or the location that buys it.
    source_date
        The day it is taken there (the transfer's release date for transfers; the day new
        supply is complete there).
    source
        Where the quantity comes from originally (SCHEMA.md ``promise --json``): ``stock``,
        ``supply`` (a scheduled receipt), ``transfer`` (stock or receipts moved from another
        location), ``make`` (new production, possibly transferred) or ``buy`` (a new
        purchase). Empty in shipments built by hand: :attr:`origin` derives it then.

    """

    location: str
    quantity: float
    ship_date: dt.date
    delivery_date: dt.date
    binding: str
    kind: ShipmentKind = "direct"
    source_location: str = ""
    source_date: dt.date | None = None
    source: ShipmentSource | Literal[""] = ""

    @property
    def origin(self) -> ShipmentSource:
        """:attr:`source`, or what the other fields imply when it is empty."""
        if self.source:
            return self.source
        if self.kind == "transfer":
            return "transfer"
        if self.kind == "replenishment":
            return "buy"
        return "supply" if self.binding.startswith("supply:") else "stock"

    @property
    def is_new_supply(self) -> bool:
        """Whether the quantity is new production or purchase (it takes no stock)."""
        return self.kind == "replenishment" or self.source in ("make", "buy")

    def to_dict(self) -> dict[str, Any]:
        """The shipment as in SCHEMA.md's ``promise --json`` output."""
        return {
            "location": self.location,
            "quantity": _number(self.quantity),
            "ship_date": self.ship_date.isoformat(),
            "delivery_date": self.delivery_date.isoformat(),
            "source": self.origin,
        }

    def to_record(self) -> dict[str, Any]:
        """Every public field as JSON-ready data (dates ISO); :meth:`from_dict` reads it back."""
        return _record(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Shipment:
        """A shipment from :meth:`to_record` (or :meth:`to_dict`) output.

        Parameters
        ----------
        data
            At least ``location``, ``quantity``, ``ship_date`` and ``delivery_date``;
            ``binding`` defaults to ``stock``, the other fields to their defaults.

        Returns
        -------
        Shipment
            The shipment.

        Raises
        ------
        PlanningError
            A required field is missing or a value has the wrong form.

        """
        return _from_record(cls, {"binding": "stock", **data}, "shipment")


@dataclass(frozen=True, slots=True)
class Promise:
    """The answer to *when, and from where, can this line be delivered?* (a quote).

    A quote: nothing is held until :meth:`oms_plan.Promiser.reserve` is called with it.

    Attributes
    ----------
    item, quantity, ship_to, requested_date
        The request.
    shipments
        Shipments in delivery-date order (empty when nothing can be promised).
    short
        Quantity that cannot be promised within the options (0 when fully promised).
    binding
        What bound the promise: the short part's reason when ``short > 0``, else the binding
        of the last shipment to arrive.
    short_binding
        Why ``short`` could not be served: ``stock`` (stock and receipts run out within the
        allowed lateness) or ``transit``/``lead_time`` (no route reaches the region in time).
    order, line
        The order line promised, when known (batch promising and ``promise_order``).
    quote_id
        Identifies this quote (``None`` for a promise built by hand): a quote held by a
        reservation cannot be reserved again until it is released. Not compared: two quotes
        with the same content are equal.
    supplies
        New orders a capable-to-promise answer relies on (make, buy, transfer), as
        ``planned_orders`` rows; empty for an answer from stock and receipts.
    takes
        Stock and receipts of components (and of transfer origins) those orders take.
    loads
        Workstation minutes those orders book, per day. :meth:`~oms_plan.Promiser.reserve`
        takes the shipments' quantities, ``takes`` and ``loads``; ``release`` gives them back.

    """

    item: str
    quantity: float
    ship_to: str
    requested_date: dt.date
    shipments: tuple[Shipment, ...]
    short: float
    binding: str
    short_binding: str | None = None
    order: str | None = None
    line: str | None = None
    quote_id: str | None = field(default=None, repr=False, compare=False)
    supplies: tuple[SupplyOrder, ...] = field(default=(), repr=False)
    takes: tuple[Take, ...] = field(default=(), repr=False)
    loads: tuple[Load, ...] = field(default=(), repr=False)
    # (buffer, day, quantity) per ATP leg and the ledger identity; for reserve().
    _legs: tuple[tuple[int, int, float], ...] = field(default=(), repr=False, compare=False)
    # (workstation, day, minutes) booked by new supply; for promise_order().
    _loads: tuple[tuple[int, int, float], ...] = field(default=(), repr=False, compare=False)
    _ledger: int = field(default=0, repr=False, compare=False)

    @property
    def promised_quantity(self) -> float:
        """Quantity in shipments."""
        return float(sum(s.quantity for s in self.shipments))

    @property
    def delivery_date(self) -> dt.date | None:
        """Delivery date of the last shipment (``None`` when nothing ships)."""
        return max((s.delivery_date for s in self.shipments), default=None)

    @property
    def days_late(self) -> int:
        """Days the last shipment arrives after the requested date (0 when on time)."""
        last = self.delivery_date
        return max((last - self.requested_date).days, 0) if last else 0

    @property
    def on_time(self) -> bool:
        """True when everything is promised by the requested date."""
        return self.short <= 0 and self.days_late == 0

    def to_dict(self) -> dict[str, Any]:
        """The promise as SCHEMA.md's ``promise --json`` object."""
        return {
            "item": self.item,
            "quantity": _number(self.quantity),
            "shipments": [s.to_dict() for s in self.shipments],
            "short": _number(self.short),
            "binding": self.binding,
        }

    def to_record(self) -> dict[str, Any]:
        """Every public field as JSON-ready data, for storing a quote (a service's ledger).

        Unlike :meth:`to_dict` it keeps what a promiser needs to reserve the quote again
        (the request, and per shipment its kind, source location and date);
        ``Promise.from_dict(p.to_record()) == p``.
        """
        return _record(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Promise:
        """A promise from :meth:`to_record` output (quotes are plain data).

        Any promiser of the same dataset accepts the result in ``reserve``.

        Parameters
        ----------
        data
            The fields of :meth:`to_record`; ``short_binding``, ``order`` and ``line`` may be
            absent; keys that are not fields are ignored (output of a newer version).

        Returns
        -------
        Promise
            The promise.

        Raises
        ------
        PlanningError
            A required field is missing or a value has the wrong form.

        """
        return _from_record(cls, data, "promise")

    def to_frame(self) -> pd.DataFrame:
        """The promise as rows of SCHEMA.md's ``promises`` table (one per shipment + short)."""
        return promises_frame([self])

    def rows(self) -> list[dict[str, object]]:
        """The ``promises`` rows as dicts (see :meth:`to_frame`)."""
        requested = pd.Timestamp(self.requested_date)
        rows: list[dict[str, object]] = []
        for s in self.shipments:
            late = (s.delivery_date - self.requested_date).days
            rows.append(
                {
                    "order": self.order,
                    "line": self.line,
                    "item": self.item,
                    "quantity": s.quantity,
                    "location": s.location,
                    "ship_date": pd.Timestamp(s.ship_date),
                    "delivery_date": pd.Timestamp(s.delivery_date),
                    "requested_date": requested,
                    "days_late": max(late, 0),
                    "status": "late" if late > 0 else "on_time",
                    "binding": s.binding,
                    "source": s.origin,
                }
            )
        if self.short > 0:
            rows.append(
                {
                    "order": self.order,
                    "line": self.line,
                    "item": self.item,
                    "quantity": self.short,
                    "location": None,
                    "ship_date": pd.NaT,
                    "delivery_date": pd.NaT,
                    "requested_date": requested,
                    "days_late": None,
                    "status": "short",
                    "binding": self.short_binding,
                    "source": None,
                }
            )
        return rows

    def explain(self, promiser: Promiser, **options: Any) -> pd.DataFrame:
        """Why this quote is late or short: counterfactuals, one lever changed at a time.

        Re-solves the line against ``promiser``'s current state with each lever changed
        (expedite a receipt, more minutes on a workstation, more of a component, more
        stock, or a held reservation given back); see
        :func:`oms_plan.explain.explain_promise`, whose keyword arguments ``options`` are
        (the options the quote was made with, and the re-solve cap).

        Returns
        -------
        pandas.DataFrame
            SCHEMA.md's ``explanations`` columns, best lever first; empty when on time.

        """
        from oms_plan.explain.api import explain_promise

        return explain_promise(promiser, self, **options)

    def summary(self) -> str:
        """One readable line per shipment and for the short quantity."""
        who = f"order {self.order!r} line {self.line!r}: " if self.order is not None else ""
        head = (
            f"{who}{_number(self.quantity)} x {self.item!r} to {self.ship_to!r}, "
            f"requested {self.requested_date}"
        )
        lines = [head]
        for s in self.shipments:
            via = f" (transfer from {s.source_location})" if s.kind == "transfer" else ""
            if s.is_new_supply:
                how = "made" if s.origin == "make" else "bought"
                via = f" ({how} at {s.source_location}, ready {s.source_date})"
            late = (s.delivery_date - self.requested_date).days
            when = f"{late} day(s) late" if late > 0 else "on time"
            lines.append(
                f"  {_number(s.quantity)} from {s.location}{via}: ships {s.ship_date}, "
                f"delivered {s.delivery_date} ({when}; bound by {s.binding})"
            )
        if self.short > 0:
            lines.append(f"  {_number(self.short)} short (bound by {self.short_binding})")
        return "\n".join(lines)


def promises_frame(promises: Iterable[Promise]) -> pd.DataFrame:
    """SCHEMA.md's ``promises`` table of several promises, in order.

    Parameters
    ----------
    promises
        Promises (typically one per order line).

    Returns
    -------
    pandas.DataFrame
        One row per shipment and per short quantity; dates as Timestamps, ``days_late`` as
        a nullable integer (empty on short rows).

    """
    frame = output_frame("promises", [row for p in promises for row in p.rows()])
    frame["days_late"] = frame["days_late"].astype("Int64")
    frame["quantity"] = frame["quantity"].astype(float)
    for col in ("ship_date", "delivery_date", "requested_date"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


_T = TypeVar("_T")


def _record(obj: Any) -> dict[str, Any]:
    """Public dataclass fields of ``obj`` as JSON-ready values (nested dataclasses too)."""
    return {
        f.name: _encode(getattr(obj, f.name))
        for f in dataclasses.fields(obj)
        if not f.name.startswith("_")
    }


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _record(value)
    if isinstance(value, dt.date):  # datetimes too: isoformat keeps the time
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return value.item()  # numpy scalars: json knows no int64
    return value


def _from_record(cls: type[_T], data: Mapping[str, Any], what: str) -> _T:
    """Build the dataclass ``cls`` from a record, converting each field by its annotation."""
    if not isinstance(data, Mapping):
        raise PlanningError(f"{what}: expected an object, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name.startswith("_"):
            continue
        if f.name not in data:
            has_default = (
                f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
            )
            if has_default:
                continue
            raise PlanningError(f"{what}: missing field {f.name!r}")
        kwargs[f.name] = _decode(data[f.name], hints[f.name], f"{what} field {f.name!r}")
    return cls(**kwargs)


def _decode(value: Any, hint: Any, where: str) -> Any:
    """``value`` converted to the annotated type ``hint`` (dates, numbers, dataclasses, tuples)."""
    args = typing.get_args(hint)
    if type(None) in args:  # Optional[X]: None, or an X
        if value is None:
            return None
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return _decode(value, rest[0], where)
    origin = typing.get_origin(hint)
    try:
        if hint is dt.datetime:
            return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
        if hint is dt.date:
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
        if hint is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"not a number: {value!r}")
            return float(value)
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            if hint is Shipment:
                return Shipment.from_dict(value)
            return _from_record(hint, value, where)
        if origin is tuple and args:
            if len(args) == 2 and args[1] is Ellipsis:
                return tuple(_decode(v, args[0], where) for v in value)
            return tuple(_decode(v, a, where) for v, a in zip(value, args, strict=True))
        if origin is list and args:
            return [_decode(v, args[0], where) for v in value]
    except (TypeError, ValueError) as exc:
        raise PlanningError(f"{where}: {exc}") from None
    return value


def _number(value: float) -> float | int:
    """Whole quantities as ints in JSON (12, not 12.0); fractional ones as floats."""
    as_int = round(value)
    return int(as_int) if abs(value - as_int) < 1e-9 else float(value)
