"""What can be scheduled: orders to set aside, and a horizon some schedule keeps to.

Used by :class:`~oms_plan.schedule.problem.SchedulingProblem`'s builder before any solver
runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from oms_plan.schedule.calendar import WorkingTime
from oms_plan.schedule.entities import (
    Alternative,
    ManufacturingOrder,
    Operation,
    SetAside,
    Workstation,
)


def why_not(alt: Alternative, ws: Workstation, wt: WorkingTime) -> str:
    """Why ``alt`` never fits in ``wt``'s window."""
    if ws.pausable:
        return (
            f"needs {alt.duration} working minutes on workstation {ws.id!r}, "
            f"which has only {wt.total} in the window"
        )
    return (
        f"needs {alt.duration} minutes in one stretch on non-pausable "
        f"workstation {ws.id!r}, whose longest stretch of working time is "
        f"{wt.longest} minutes"
    )


def too_long(
    orders: Sequence[ManufacturingOrder],
    operations: Sequence[Operation],
    workstations: Sequence[Workstation],
    working: Sequence[WorkingTime],
    aside: Mapping[int, SetAside],
) -> dict[int, SetAside]:
    """Orders with an operation that no stretch of any of its non-pausable workstations holds."""
    out: dict[int, SetAside] = {}
    longest = [w.longest for w in working]
    for op in operations:
        if op.order in aside or op.order in out:
            continue
        alts = op.alternatives
        if all(
            not workstations[a.workstation].pausable and a.duration > longest[a.workstation]
            for a in alts
        ):
            order = orders[op.order]
            ws = workstations[alts[0].workstation]
            reason = (
                why_not(alts[0], ws, working[alts[0].workstation])
                if len(alts) == 1
                else "fits on none of its workstations ("
                + "; ".join(
                    f"{workstations[a.workstation].id}: "
                    + why_not(a, workstations[a.workstation], working[a.workstation])
                    for a in alts
                )
                + ")"
            )
            out[op.order] = SetAside(order.id, order.item, order.location, op.step, ws.id, reason)
    return out


def without(
    orders: Sequence[ManufacturingOrder], operations: Sequence[Operation], drop: set[int]
) -> tuple[tuple[ManufacturingOrder, ...], tuple[Operation, ...]]:
    """Orders and operations without the orders of ``drop``, re-indexed."""
    if not drop:
        return tuple(orders), tuple(operations)
    new_orders: list[ManufacturingOrder] = []
    new_ops: list[Operation] = []
    for i, order in enumerate(orders):
        if i in drop:
            continue
        ids = []
        for o in order.operations:
            op = operations[o]
            ids.append(len(new_ops))
            new_ops.append(Operation(len(new_orders), op.step, op.alternatives))
        new_orders.append(replace(order, operations=tuple(ids)))
    return tuple(new_orders), tuple(new_ops)


def list_bound(
    orders: Sequence[ManufacturingOrder],
    operations: Sequence[Operation],
    workstations: Sequence[Workstation],
    working: Sequence[WorkingTime],
    changeovers: Sequence[np.ndarray | None],
    skip: Mapping[int, object],
) -> tuple[int, int | None]:
    """End of a simple list schedule: a horizon that some schedule certainly keeps to.

    Orders in ``skip`` (set aside) are left out. Orders are taken by release, each step
    appended to the unit (of any alternative) where it ends first, after the longest
    changeover of that workstation. Running everything one after the other would be valid
    too, but for a shop of hundreds of workstations it is years long.

    Returns the bound and the first operation that did not fit in the window (or ``None``).
    """
    longest_change = [int(m.max()) if m is not None else 0 for m in changeovers]
    free = [[0] * ws.units for ws in workstations]  # working position where a unit is free
    t_end = 0
    ranked = sorted(
        (i for i in range(len(orders)) if i not in skip), key=lambda i: (orders[i].release, i)
    )
    for i in ranked:
        order = orders[i]
        t = order.release
        for o in order.operations:
            best: tuple[int, int, int, int] | None = None  # (end, workstation, unit, position)
            for alt in operations[o].alternatives:
                m = alt.workstation
                wt, ws = working[m], workstations[m]
                if wt.place(0, alt.duration, ws.pausable) is None:
                    continue  # never fits in this window: see below
                w_ready = wt.worked(t)
                for u in range(ws.units):
                    w = wt.place(
                        max(w_ready, free[m][u] + longest_change[m]), alt.duration, ws.pausable
                    )
                    if w is None:
                        continue
                    end = wt.clock(w, alt.duration)[1]
                    if best is None or end < best[0]:
                        best = (end, m, u, w + alt.duration)
            if best is None:
                return max(t_end, t), o  # a larger window may give it room
            t, m, u, free[m][u] = best
            t_end = max(t_end, t)
    return t_end, None
