"""The entities of a scheduling problem: workstations, orders, operations, set-aside orders."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Workstation:
    """A workstation: ``units`` identical machines (numbered from 1)."""

    id: str
    location: str
    units: int
    pausable: bool
    calendar: str | None


@dataclass(frozen=True, slots=True)
class Alternative:
    """One way to run an operation: on ``workstation`` for ``duration`` working minutes."""

    workstation: int
    duration: int
    family: int  # setup family index, -1 = none


@dataclass(frozen=True, slots=True)
class Operation:
    """One routing step of one order, with its eligible workstations."""

    order: int
    step: int
    alternatives: tuple[Alternative, ...]


@dataclass(frozen=True, slots=True)
class ManufacturingOrder:
    """An order to schedule: open production supply or a planned make order.

    Attributes
    ----------
    release, due
        Earliest start and due completion, minutes from plan start (due = end of due day).
    operations
        Indices of its operations, in step order.

    """

    id: str
    item: str
    location: str
    quantity: float
    release: int
    due: int
    priority: int
    weight: int
    operations: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class SetAside:
    """An order that cannot be scheduled, and why; the others are scheduled without it.

    Attributes
    ----------
    order, item, location
        The order.
    step
        The routing step that cannot run (``None`` when the reason concerns the whole order).
    workstation
        The workstation that lacks the capacity (the step's first one when it has several).
    reason
        Why, in words (quantities in minutes).

    """

    order: str
    item: str
    location: str
    step: int | None
    workstation: str
    reason: str

    @property
    def message(self) -> str:
        """The reason, quoting the order (and step): ``order 'MO-1' step 10: needs ...``."""
        where = f"order {self.order!r}" + ("" if self.step is None else f" step {self.step}")
        return f"{where}: {self.reason}"
