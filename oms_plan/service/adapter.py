"""The one place that talks to the :class:`~oms_plan.Promiser` (its public API only).

The promiser is changing under the service (hardening, capable-to-promise): keyword options
it does not know yet are left out here, and stored quotes go through
:meth:`Promise.to_record` / :meth:`Promise.from_dict`, so a reservation of any kind the
promiser makes is durable as long as its quotes are plain data.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from oms_plan.atp import Promise, Promiser
from oms_plan.atp.ledger import EPS
from oms_plan.dataset import Dataset

#: Request fields passed to ``Promiser.promise`` as keywords (when it accepts them).
OPTIONS = (
    "partial_ok",
    "max_shipments",
    "min_shipment",
    "max_days_late",
    "location",
    "ctp",
    "order",
    "line",
)


class PromiserAdapter:
    """Promise, reserve and release through one :class:`~oms_plan.Promiser` of a dataset.

    Not thread-safe by itself: the service calls it under its state lock.

    Parameters
    ----------
    dataset
        The dataset to promise from.

    """

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self.promiser = Promiser(dataset)
        accepted = inspect.signature(self.promiser.promise).parameters
        self._options = tuple(o for o in OPTIONS if o in accepted)
        self.items = frozenset(dataset.item_ids)
        self.regions = frozenset(dataset.region_ids)
        self.locations = frozenset(dataset.location_ids)
        orders = dataset.orders
        self.open_lines = frozenset(
            zip(orders["order"].astype(str), orders["line"].astype(str), strict=True)
        )

    def promise(self, body: Mapping[str, Any]) -> Promise:
        """Quote a request body (``item``, ``quantity``, ``ship_to``, ``requested_date`` + options).

        Options that are ``None`` take the promiser's defaults; ``ctp`` is dropped while the
        promiser has no capable-to-promise (it then answers from ATP alone either way).
        """
        kwargs = {o: body[o] for o in self._options if body.get(o) is not None}
        return self.promiser.promise(
            body["item"], body["quantity"], body["ship_to"], body["requested_date"], **kwargs
        )

    def reserve(self, promise: Promise) -> str:
        """Hold ``promise``; return the promiser's own reservation id."""
        return self.promiser.reserve(promise)

    def release(self, promiser_id: str) -> None:
        """Give back a reservation made by :meth:`reserve`."""
        self.promiser.release(promiser_id)

    def atp(self, item: str, location: str) -> list[dict[str, Any]]:
        """The ``oms-plan atp --json`` rows of ``item`` at ``location``."""
        frame = self.promiser.atp(item, location)
        return [
            {"date": d.date().isoformat(), "on_hand": _number(oh), "atp": _number(a)}
            for d, oh, a in zip(frame["date"], frame["on_hand"], frame["atp"], strict=True)
        ]


def wholly_short(promise: Promise) -> bool:
    """True when nothing of ``promise`` ships (a reservation of it would hold nothing)."""
    return promise.promised_quantity <= EPS


def _number(value: float) -> float | int:
    """Whole values as ints (12, not 12.0), as ``oms-plan atp --json`` prints them."""
    as_int = round(float(value))
    return int(as_int) if abs(float(value) - as_int) < 1e-9 else float(value)
