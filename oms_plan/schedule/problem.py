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
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from oms_plan.dataset import Dataset
from oms_plan.errors import PlanningError
from oms_plan.fields import clock_minutes
from oms_plan.outputs import PlanException
from oms_plan.schedule.calendar import MINUTES_PER_DAY, Shift, WorkingTime, working_time
from oms_plan.schedule.entities import (
    Alternative,
    ManufacturingOrder,
    Operation,
    SetAside,
    Workstation,
)
from oms_plan.schedule.screening import list_bound, too_long, why_not, without

# The entities are defined in their own module; other modules import them from here too.
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

OrderWeights = Mapping[int, int] | Callable[[int], int]


def default_weight(priority: int) -> int:
    """Tardiness weight of an order of ``priority`` (1 = most important): ``max(1, 6 − p)``."""
    return max(1, 6 - int(priority))


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
    diagnostics: tuple[PlanException, ...] = field(default=())
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
        self.diagnostics: list[PlanException] = []
        self.infeasible: list[str] = []

    # orders ------------------------------------------------------------------------------
    def _weight(self, priority: int) -> int:
        w: object
        if self.weights is None:
            w = default_weight(priority)
        elif callable(self.weights):
            w = self.weights(priority)
        else:
            w = self.weights.get(priority, default_weight(priority))
        if isinstance(w, bool) or not isinstance(w, int | np.integer) or int(w) < 1:
            raise PlanningError(
                f"tardiness weight of priority {priority} must be a positive integer, got {w!r}"
            )
        return int(w)

    def _order_rows(self, extra: pd.DataFrame | None) -> list[dict[str, object]]:
        sup = self.ds.supply
        sup = sup.loc[sup["kind"] == "production"]
        rows = [
            {
                "id": str(r.supply),
                "item": r.item,
                "location": r.location,
                "quantity": float(r.quantity),
                "release_date": r.release_date,
                "due_date": r.due_date,
                "priority": int(r.priority),
            }
            for r in sup.itertuples(index=False)
        ]
        if extra is not None:
            rows += self._extra_rows(extra)
        seen: set[str] = set()
        for r in rows:
            if r["id"] in seen:
                raise PlanningError(
                    f"order id {r['id']!r} is used twice "
                    "(ids of supply and planned orders must differ)"
                )
            seen.add(str(r["id"]))
        return rows

    def _extra_rows(self, extra: pd.DataFrame) -> list[dict[str, object]]:
        id_col = next((c for c in ("planned_order", "order", "supply") if c in extra.columns), None)
        missing = [
            c for c in ("item", "location", "quantity", "due_date") if c not in extra.columns
        ]
        if id_col is None or missing:
            need = ["planned_order (or order)"] if id_col is None else []
            raise PlanningError(f"orders: missing column(s) {', '.join(need + missing)}")
        out: list[dict[str, object]] = []
        # Whole columns at once (per-row conversions cost seconds at 20,000 orders); the
        # raw value is kept for messages.
        quantities = pd.to_numeric(extra["quantity"], errors="coerce").tolist()
        for pos, (r, number) in enumerate(
            zip(extra.to_dict("records"), quantities, strict=True), start=1
        ):
            oid = str(r[id_col])
            method = r.get("method")
            if isinstance(method, str) and method != "make":
                self.diagnostics.append(
                    PlanException(
                        "not_scheduled",
                        "info",
                        f"{method} order {oid!r} is not a manufacturing order",
                        item=str(r["item"]),
                        location=str(r["location"]),
                        order=oid,
                    )
                )
                continue
            if r["item"] not in self.ds.item_index:
                raise PlanningError(
                    f"orders row {pos}: order {oid!r} has unknown item {r['item']!r}"
                )
            if r["location"] not in self.ds.location_index:
                raise PlanningError(
                    f"orders row {pos}: order {oid!r} has unknown location {r['location']!r}"
                )
            qty = number
            if pd.isna(qty) or qty < 0:
                raise PlanningError(
                    f"orders row {pos}: order {oid!r} needs a quantity ≥ 0, got {r['quantity']!r}"
                )
            try:
                due = pd.Timestamp(r["due_date"])
                rel_raw = r.get("release_date")
                release = (
                    pd.Timestamp(self.ds.start)
                    if rel_raw is None or pd.isna(rel_raw)
                    else pd.Timestamp(rel_raw)
                )
            except (ValueError, TypeError) as exc:
                raise PlanningError(f"orders row {pos}: order {oid!r}: bad date ({exc})") from exc
            if pd.isna(due):
                raise PlanningError(f"orders row {pos}: order {oid!r} needs a due_date")
            prio = r.get("priority")
            out.append(
                {
                    "id": oid,
                    "item": r["item"],
                    "location": r["location"],
                    "quantity": float(qty),
                    "release_date": release,
                    "due_date": due,
                    "priority": 3 if prio is None or pd.isna(prio) else int(prio),
                }
            )
        return out

    # shop --------------------------------------------------------------------------------
    def _workstations(self) -> tuple[Workstation, ...]:
        loc_cal = dict(
            zip(self.ds.locations["location"], self.ds.locations["calendar"], strict=True)
        )
        out = []
        for r in self.ds.workstations.itertuples(index=False):
            cal = r.calendar if isinstance(r.calendar, str) else loc_cal.get(r.location)
            out.append(
                Workstation(
                    str(r.workstation),
                    str(r.location),
                    int(r.units),
                    bool(r.pausable),
                    cal if isinstance(cal, str) else None,
                )
            )
        return tuple(out)

    def _shifts(self) -> dict[str, list[Shift]]:
        shifts: dict[str, list[Shift]] = {}
        for r in self.ds.calendars.itertuples(index=False):
            a, b = clock_minutes(r.start), clock_minutes(r.end)
            if a is None or b is None:  # the loader rejects these; be explicit anyway
                raise PlanningError(
                    f"calendar {r.calendar!r}: unreadable shift {r.start!r}-{r.end!r}"
                )
            shifts.setdefault(str(r.calendar), []).append((int(r.weekday), a, b))
        return shifts

    def _downtime(self, index: Mapping[str, int]) -> list[list[tuple[int, int]]]:
        out: list[list[tuple[int, int]]] = [[] for _ in index]
        origin = pd.Timestamp(self.ds.start)
        for r in self.ds.downtime.itertuples(index=False):
            a = math.floor((pd.Timestamp(r.start) - origin).total_seconds() / 60)
            b = math.ceil((pd.Timestamp(r.end) - origin).total_seconds() / 60)
            out[index[str(r.workstation)]].append((a, b))
        return out

    def _families(self) -> tuple[str, ...]:
        names = (
            set(self.ds.routing["setup_family"].dropna())
            | set(self.ds.setups["from_family"])
            | set(self.ds.setups["to_family"])
        )
        return tuple(sorted(str(n) for n in names))

    def _changeovers(
        self, fam: Mapping[str, int], index: Mapping[str, int]
    ) -> tuple[np.ndarray | None, ...]:
        setups = self.ds.setups
        if setups.empty:
            return tuple(None for _ in index)
        general = np.zeros((len(fam), len(fam)), dtype=np.int64)
        specific: dict[int, np.ndarray] = {}
        rows = setups.assign(_any=setups["workstation"].isna()).sort_values(
            "_any", ascending=False, kind="stable"
        )
        for r in rows.itertuples(index=False):
            minutes = _ceil_minutes(float(r.minutes))
            i, j = fam[str(r.from_family)], fam[str(r.to_family)]
            if isinstance(r.workstation, str):
                specific.setdefault(
                    index[r.workstation], np.full((len(fam), len(fam)), -1, dtype=np.int64)
                )[i, j] = minutes
            else:
                general[i, j] = minutes
        out: list[np.ndarray | None] = []
        for m in range(len(index)):
            mat = general.copy()
            if m in specific:
                mat = np.where(specific[m] >= 0, specific[m], general)
            out.append(mat if mat.any() else None)
        return tuple(out)

    def _routes(
        self,
        workstations: Sequence[Workstation],
        ws_index: Mapping[str, int],
        fam: Mapping[str, int],
    ) -> dict[tuple[str, str], list[tuple[int, list[tuple[int, float, float, int]]]]]:
        """(item, location) → steps in order, each with its alternatives by workstation id.

        A routing row applies at its workstation's location, if its own location is empty
        or that one. Built once: a scan of the routing table per order costs minutes at
        20,000 orders.
        """
        rows: dict[tuple[str, str], dict[int, list[tuple[str, int, float, float, int]]]] = {}
        for r in self.ds.routing.itertuples(index=False):
            ws = workstations[ws_index[str(r.workstation)]]
            if isinstance(r.location, str) and r.location != ws.location:
                continue
            family = fam[str(r.setup_family)] if isinstance(r.setup_family, str) else -1
            rows.setdefault((str(r.item), ws.location), {}).setdefault(int(r.step), []).append(
                (ws.id, ws_index[ws.id], float(r.setup_minutes), float(r.run_minutes), family)
            )
        return {
            key: [
                (step, [x[1:] for x in sorted(by_step[step], key=lambda x: x[0])])
                for step in sorted(by_step)
            ]
            for key, by_step in rows.items()
        }

    # build -------------------------------------------------------------------------------
    def build(self, extra: pd.DataFrame | None) -> SchedulingProblem:
        ds = self.ds
        workstations = self._workstations()
        ws_index = {w.id: i for i, w in enumerate(workstations)}
        families = self._families()
        fam = {f: i for i, f in enumerate(families)}
        routing = self._routes(workstations, ws_index, fam)
        orders: list[ManufacturingOrder] = []
        operations: list[Operation] = []
        aside: dict[int, SetAside] = {}
        last_day = ds.horizon_days
        for r in self._order_rows(extra):
            oid, item, loc = str(r["id"]), str(r["item"]), str(r["location"])
            steps = routing.get((item, loc))
            if steps is None:
                self.diagnostics.append(
                    PlanException(
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
                    Alternative(w, _ceil_minutes(setup + qty * run), f)
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
                    self._weight(prio),
                    tuple(op_ids),
                )
            )

        changeovers = self._changeovers(fam, ws_index)
        shifts = self._shifts()
        downtime = self._downtime(ws_index)
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
                        PlanException(
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


def _ceil_minutes(value: float) -> int:
    """Fractional minutes round up (a hair of float noise does not)."""
    return max(0, math.ceil(value - 1e-9))
