"""The scheduling problem, solver-free: orders, operations, alternatives, units, working time.

Built once from a :class:`~oms_plan.dataset.Dataset` (plus, optionally, planned make orders)
by :meth:`SchedulingProblem.from_dataset`. Everything is in integer minutes from plan start
00:00; entities refer to each other by index. An order that cannot be scheduled (an
operation that fits on none of its workstations, a release after the horizon) is found here,
before any solver runs, and set aside (:attr:`SchedulingProblem.set_aside`): the problem
holds the other orders. :attr:`SchedulingProblem.infeasible` is left for what makes every
schedule impossible.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from oms_plan.dataset import Dataset
from oms_plan.errors import PlanningError
from oms_plan.outputs import ExceptionRow
from oms_plan.schedule.calendar import MINUTES_PER_DAY, WorkingTime, working_time
from oms_plan.schedule.entities import (
    Alternative,
    ManufacturingOrder,
    Operation,
    SetAside,
    Workstation,
)
from oms_plan.schedule.orders import OrderWeights, default_weight, order_rows, order_weight
from oms_plan.schedule.screening import list_bound, too_long, why_not, without
from oms_plan.schedule.shop import (
    ceil_minutes,
    changeover_matrices,
    setup_families,
    shop_downtime,
    shop_routes,
    shop_shifts,
    shop_workstations,
)

# The entities, weights and shop readers live in their own modules; imported from here too.
__all__ = [
    "MAX_MINUTES",
    "MAX_WINDOW",
    "Alternative",
    "ManufacturingOrder",
    "Operation",
    "OrderWeights",
    "SchedulingProblem",
    "SetAside",
    "Workstation",
    "default_weight",
]

#: Longest window the scheduler will consider (about four years), in minutes.
MAX_WINDOW = 4 * 366 * MINUTES_PER_DAY
#: Value of a duration or changeover in minutes that CP-SAT handles comfortably.
MAX_MINUTES = 2**40


@dataclass(frozen=True, eq=False)
class SchedulingProblem:
    """Finite-capacity scheduling problem: immutable, validated, solver-free.

    Attributes
    ----------
    start
        Plan start (minute 0 is its 00:00).
    orders, operations, workstations
        The entities; operations of an order are consecutive and in step order.
    families
        Setup family names (an alternative's ``family`` indexes this).
    changeovers
        Per workstation, a ``families × families`` matrix of changeover minutes, or ``None``
        when no changeover applies there.
    working
        Per workstation, its :class:`~oms_plan.schedule.calendar.WorkingTime`.
    window
        End of the time window the working time covers.
    serial_bound
        Completion time of a simple list schedule (each step appended to the unit where it
        ends first): a horizon that some schedule keeps to.
    infeasible
        Why no schedule exists at all (found before solving); empty when none is known.
        An order that alone cannot be scheduled is not here but in :attr:`set_aside`.
    set_aside
        Orders left out of the problem because they cannot be scheduled (an operation that
        fits on none of its workstations, a release after the horizon), with the reason.
    diagnostics
        Informational findings (orders without routing, alternatives that can never run).

    """

    start: dt.date
    orders: tuple[ManufacturingOrder, ...]
    operations: tuple[Operation, ...]
    workstations: tuple[Workstation, ...]
    families: tuple[str, ...]
    changeovers: tuple[np.ndarray | None, ...]
    working: tuple[WorkingTime, ...]
    window: int
    serial_bound: int
    infeasible: tuple[str, ...] = ()
    diagnostics: tuple[ExceptionRow, ...] = field(default=())
    set_aside: tuple[SetAside, ...] = ()

    # -- sizes and adjacency --------------------------------------------------------------
    @property
    def num_orders(self) -> int:
        """Number of orders."""
        return len(self.orders)

    @property
    def num_operations(self) -> int:
        """Number of operations."""
        return len(self.operations)

    @cached_property
    def workstation_index(self) -> Mapping[str, int]:
        """Workstation id → index."""
        return {w.id: i for i, w in enumerate(self.workstations)}

    @cached_property
    def alternatives_on(self) -> tuple[tuple[tuple[int, int], ...], ...]:
        """Per workstation, the ``(operation, alternative)`` pairs that can run there."""
        out: list[list[tuple[int, int]]] = [[] for _ in self.workstations]
        for o, op in enumerate(self.operations):
            for j, alt in enumerate(op.alternatives):
                out[alt.workstation].append((o, j))
        return tuple(tuple(x) for x in out)

    def changeover(self, workstation: int, before: int, after: int) -> int:
        """Changeover minutes on ``workstation`` from family ``before`` to ``after``."""
        matrix = self.changeovers[workstation]
        if matrix is None or before < 0 or after < 0:
            return 0
        return int(matrix[before, after])

    def has_changeovers(self, workstation: int) -> bool:
        """Whether any two operations that can run on ``workstation`` need a changeover."""
        matrix = self.changeovers[workstation]
        if matrix is None:
            return False
        fams = sorted(
            {
                self.operations[o].alternatives[j].family
                for o, j in self.alternatives_on[workstation]
            }
            - {-1}
        )
        return bool(fams) and bool(matrix[np.ix_(fams, fams)].any())

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def from_dataset(
        cls,
        dataset: Dataset,
        *,
        orders: pd.DataFrame | None = None,
        weights: OrderWeights | None = None,
    ) -> SchedulingProblem:
        """Build the problem of scheduling a dataset's open manufacturing orders.

        Parameters
        ----------
        dataset
            The dataset: ``supply`` rows of kind ``production`` are the open manufacturing
            orders; ``routing``, ``workstations``, ``calendars``, ``downtime`` and ``setups``
            describe the shop.
        orders
            Extra orders to schedule with them, e.g. MRP's ``planned_orders``: an id column
            (``planned_order``, ``order`` or ``supply``), ``item``, ``location``,
            ``quantity``, ``due_date``, optional ``release_date`` (plan start) and
            ``priority`` (3). Rows whose ``method`` is not ``make`` are not manufacturing
            orders and are left out (listed in :attr:`diagnostics`).
        weights
            Tardiness weight per priority: a mapping or a function; default
            :func:`default_weight`. Weights must be positive integers.

        Returns
        -------
        SchedulingProblem
            The problem (possibly with :attr:`infeasible` reasons).

        Raises
        ------
        PlanningError
            When ``orders`` is malformed (missing column, unknown item or location,
            duplicate id, negative quantity) or a weight is not a positive integer.

        """
        return _Builder(dataset, weights).build(orders)


class _Builder:
    """Turns a dataset into a :class:`SchedulingProblem` (one pass, all problems at once)."""

    def __init__(self, ds: Dataset, weights: OrderWeights | None) -> None:
        self.ds = ds
        self.weights = weights
        self.diagnostics: list[ExceptionRow] = []
        self.infeasible: list[str] = []

    # build -------------------------------------------------------------------------------
    def build(self, extra: pd.DataFrame | None) -> SchedulingProblem:
        ds = self.ds
        workstations = shop_workstations(ds)
        ws_index = {w.id: i for i, w in enumerate(workstations)}
        families = setup_families(ds)
        fam = {f: i for i, f in enumerate(families)}
        routing = shop_routes(ds, workstations, ws_index, fam)
        orders: list[ManufacturingOrder] = []
        operations: list[Operation] = []
        aside: dict[int, SetAside] = {}
        last_day = ds.horizon_days
        for r in order_rows(ds, extra, self.diagnostics):
            oid, item, loc = str(r["id"]), str(r["item"]), str(r["location"])
            steps = routing.get((item, loc))
            if steps is None:
                self.diagnostics.append(
                    ExceptionRow(
                        "not_scheduled",
                        "info",
                        f"order {oid!r}: item {item!r} has no routing at {loc!r}; "
                        "nothing to schedule",
                        item=item,
                        location=loc,
                        order=oid,
                    )
                )
                continue
            release_day = max(0, ds.day(r["release_date"]))
            due_day = max(0, ds.day(r["due_date"]))
            qty = float(r["quantity"])  # type: ignore[arg-type]
            op_ids = []
            for step, choices in steps:
                alts = tuple(
                    Alternative(w, ceil_minutes(setup + qty * run), f)
                    for w, setup, run, f in choices
                )
                op_ids.append(len(operations))
                operations.append(Operation(len(orders), step, alts))
            if release_day >= ds.horizon_days:
                # Released after the last plannable day: nothing of it belongs in this plan.
                first = workstations[operations[op_ids[0]].alternatives[0].workstation]
                aside[len(orders)] = SetAside(
                    oid,
                    item,
                    loc,
                    None,
                    first.id,
                    f"released on {ds.date(release_day).isoformat()}, after the last day of "
                    f"the horizon ({ds.date(ds.horizon_days - 1).isoformat()})",
                )
            else:
                last_day = max(last_day, release_day + 1, due_day + 1)
            prio = int(r["priority"])  # type: ignore[call-overload]
            orders.append(
                ManufacturingOrder(
                    oid,
                    item,
                    loc,
                    qty,
                    release_day * MINUTES_PER_DAY,
                    (due_day + 1) * MINUTES_PER_DAY,
                    prio,
                    order_weight(prio, self.weights),
                    tuple(op_ids),
                )
            )

        changeovers = changeover_matrices(ds, fam, ws_index)
        shifts = shop_shifts(ds)
        downtime = shop_downtime(ds, ws_index)
        first_weekday = ds.start.weekday()

        def build_working(window: int) -> tuple[WorkingTime, ...]:
            return tuple(
                working_time(
                    shifts[w.calendar] if w.calendar is not None else None,
                    downtime[i],
                    first_weekday,
                    window,
                )
                for i, w in enumerate(workstations)
            )

        window = (last_day + 14) * MINUTES_PER_DAY
        while True:
            working = build_working(window)
            # A non-pausable operation longer than every stretch never fits, however long
            # the window: set its order aside now so that it does not stretch the window.
            aside.update(too_long(orders, operations, workstations, working, aside))
            bound, stuck = list_bound(orders, operations, workstations, working, changeovers, aside)
            if stuck is None and 2 * bound <= window:
                break
            if window >= MAX_WINDOW:
                break
            window = min(MAX_WINDOW, max(2 * window, 2 * bound))
        operations = self._drop_impossible(orders, operations, workstations, working, aside)
        if stuck is not None:
            bound, stuck = list_bound(orders, operations, workstations, working, changeovers, aside)
        if stuck is not None:
            self.infeasible.append(
                f"the orders do not fit in {MAX_WINDOW // MINUTES_PER_DAY} days of working time"
            )
        if max((a.duration for op in operations for a in op.alternatives), default=0) > MAX_MINUTES:
            raise PlanningError(
                "an operation lasts more than 2**40 minutes: check run_minutes and quantities"
            )
        kept_orders, kept_ops = without(orders, operations, set(aside))
        return SchedulingProblem(
            start=ds.start,
            orders=kept_orders,
            operations=kept_ops,
            workstations=workstations,
            families=families,
            changeovers=changeovers,
            working=working,
            window=window,
            serial_bound=bound,
            infeasible=tuple(self.infeasible),
            diagnostics=tuple(self.diagnostics),
            set_aside=tuple(aside[k] for k in sorted(aside)),
        )

    def _drop_impossible(
        self,
        orders: Sequence[ManufacturingOrder],
        operations: list[Operation],
        workstations: Sequence[Workstation],
        working: Sequence[WorkingTime],
        aside: dict[int, SetAside],
    ) -> list[Operation]:
        """Drop alternatives that never fit; an operation left with none sets its order aside."""
        out = []
        for op in operations:
            order = orders[op.order]
            if op.order in aside:
                out.append(op)
                continue
            keep = []
            reasons = []
            for alt in op.alternatives:
                ws, wt = workstations[alt.workstation], working[alt.workstation]
                if wt.place(0, alt.duration, ws.pausable) is not None:
                    keep.append(alt)
                    continue
                reasons.append(why_not(alt, ws, wt))
            if not keep:
                first = workstations[op.alternatives[0].workstation].id
                reason = (
                    reasons[0]
                    if len(op.alternatives) == 1
                    else "fits on none of its workstations ("
                    + "; ".join(
                        f"{workstations[a.workstation].id}: {why}"
                        for a, why in zip(op.alternatives, reasons, strict=True)
                    )
                    + ")"
                )
                aside[op.order] = SetAside(
                    order.id, order.item, order.location, op.step, first, reason
                )
            elif reasons:
                for why in reasons:
                    self.diagnostics.append(
                        ExceptionRow(
                            "alternative_unusable",
                            "warning",
                            f"order {order.id!r} step {op.step}: {why}",
                            item=order.item,
                            location=order.location,
                            order=order.id,
                        )
                    )
            out.append(Operation(op.order, op.step, tuple(keep) if keep else op.alternatives))
        return out
