"""What a capable-to-promise answer holds besides its shipments: plain, comparable data.

A promise from new supply carries the orders it would need (:class:`SupplyOrder`), the stock
and receipts of components (and of transfer origins) it takes (:class:`Take`) and the
workstation minutes it books per day (:class:`Load`). Reserving the promise takes exactly
those; releasing it gives exactly those back. They are plain data, so any promiser of the same
dataset can reserve a quote made by another.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

#: How a planned order brings the item: production, purchase, or a move between locations.
Method = Literal["make", "buy", "transfer"]


@dataclass(frozen=True, slots=True)
class SupplyOrder:
    """A new order a capable-to-promise answer relies on (as a ``planned_orders`` row).

    Attributes
    ----------
    method
        ``make``, ``buy`` or ``transfer``.
    item, location
        What is made, bought or received, and where.
    from_location
        A transfer's origin (``None`` otherwise).
    quantity
        Order quantity (a make order follows the item's lot rules, so it may exceed the need).
    release_date, due_date
        Release (components issued, minutes start) and completion (or arrival).

    """

    method: Method
    item: str
    location: str
    from_location: str | None
    quantity: float
    release_date: dt.date
    due_date: dt.date

    def to_dict(self) -> dict[str, Any]:
        """The order as JSON-ready values (dates as ISO strings)."""
        return {
            "method": self.method,
            "item": self.item,
            "location": self.location,
            "from_location": self.from_location,
            "quantity": self.quantity,
            "release_date": self.release_date.isoformat(),
            "due_date": self.due_date.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Take:
    """Stock or receipts of ``item`` at ``location`` taken on ``date``.

    A component issued to a make order, or the quantity a transfer moves out.
    """

    item: str
    location: str
    date: dt.date
    quantity: float


@dataclass(frozen=True, slots=True)
class Load:
    """Minutes booked on ``workstation`` on ``date`` by new make orders."""

    workstation: str
    date: dt.date
    minutes: float
