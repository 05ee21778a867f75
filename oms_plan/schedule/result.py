"""What users get from scheduling (:class:`ScheduleResult`), and how it is assembled.

The back-end's :class:`~oms_plan.schedule.solution.Solution` and the objectives live in
:mod:`oms_plan.schedule.solution`, the result's rows in :mod:`oms_plan.schedule.records`;
both are re-exported here, where they were first defined.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from oms_plan.kpis import orders_on_time_pct
from oms_plan.outputs import ExceptionRow, exceptions_frame, kpis_frame, output_frame
from oms_plan.results import SolverStats, SolveStatus, kpi_value
from oms_plan.schedule.problem import SchedulingProblem, SetAside
from oms_plan.schedule.records import OrderOutcome, PartReport, ScheduledOperation, WorkstationLoad
from oms_plan.schedule.solution import (
    OBJECTIVES,
    Solution,
    objective_values,
    order_completions,
    parse_objective,
)

__all__ = [
    "OBJECTIVES",
    "OrderOutcome",
    "PartReport",
    "ScheduleResult",
    "ScheduledOperation",
    "Solution",
    "WorkstationLoad",
    "build_result",
    "objective_values",
    "order_completions",
    "parse_objective",
]


@dataclass(frozen=True)
class ScheduleResult:
    """The outcome of :func:`oms_plan.schedule_orders`: status, schedule, lateness, loads.

    Attributes
    ----------
    start
        Plan start (minute 0 = its 00:00).
    objective
        The objective names, in lexicographic order.
    stats
        Overall status, objective (first objective's value), bound, runtime.
    stages
        One :class:`SolverStats` per lexicographic stage.
    values
        Every objective recomputed from the schedule (empty without a schedule).
    operations
        The schedule (empty without one).
    orders
        Per order, completion and lateness.
    loads
        Per workstation, busy and available working minutes.
    diagnostics
        Infeasibility reasons (severity ``error``), set-aside orders (kind ``infeasible``)
        and other findings.
    set_aside
        Orders that could not be scheduled, with the step, workstation and reason; every
        other order is scheduled without them.
    parts
        How each independently solved part ended (status, objective, bound, gap).
    fallback
        True when the back-end found no schedule in its limit for some part and the greedy
        schedule is the answer there.

    """

    start: dt.date
    objective: tuple[str, ...]
    stats: SolverStats
    stages: tuple[SolverStats, ...] = ()
    values: Mapping[str, int] = field(default_factory=dict)
    operations: tuple[ScheduledOperation, ...] = ()
    orders: tuple[OrderOutcome, ...] = ()
    loads: tuple[WorkstationLoad, ...] = ()
    diagnostics: tuple[ExceptionRow, ...] = ()
    set_aside: tuple[SetAside, ...] = ()
    parts: tuple[PartReport, ...] = ()
    fallback: bool = False

    # -- status ---------------------------------------------------------------------------
    @property
    def status(self) -> SolveStatus:
        """How the solve ended."""
        return self.stats.status

    @property
    def has_schedule(self) -> bool:
        """Whether the solve found a schedule: optimal or feasible (not empty or infeasible)."""
        return self.stats.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)

    @property
    def bottleneck(self) -> str | None:
        """The workstation with the highest utilisation (``None`` without a schedule)."""
        busy = [w for w in self.loads if w.busy > 0]
        if not busy:
            return None
        return max(busy, key=lambda w: (w.utilisation, w.busy)).workstation

    @property
    def orders_scheduled(self) -> int:
        """Number of orders in the schedule."""
        return len({op.order for op in self.operations})

    @property
    def orders_set_aside(self) -> int:
        """Number of orders set aside as unschedulable."""
        return len(self.set_aside)

    @property
    def late_orders(self) -> list[str]:
        """Ids of orders that complete after their due time."""
        return [o.order for o in self.orders if o.tardiness]

    # -- tables ---------------------------------------------------------------------------
    def _time(self, minute: int | None) -> str | None:
        if minute is None:
            return None
        moment = dt.datetime.combine(self.start, dt.time()) + dt.timedelta(minutes=int(minute))
        return moment.strftime("%Y-%m-%dT%H:%M")

    def to_frame(self) -> pd.DataFrame:
        """The ``schedule`` table of docs/outputs.md (ISO times)."""
        rows = [
            {
                "order": op.order,
                "item": op.item,
                "step": op.step,
                "workstation": op.workstation,
                "unit": op.unit,
                "start": self._time(op.start),
                "end": self._time(op.end),
            }
            for op in self.operations
        ]
        return output_frame("schedule", rows)

    def orders_frame(self) -> pd.DataFrame:
        """Per order: release, due, completion (ISO), lateness and tardiness in minutes."""
        return pd.DataFrame(
            [
                {
                    "order": o.order,
                    "item": o.item,
                    "location": o.location,
                    "quantity": o.quantity,
                    "priority": o.priority,
                    "weight": o.weight,
                    "release": self._time(o.release),
                    "due": self._time(o.due),
                    "completion": self._time(o.completion),
                    "lateness_minutes": o.lateness,
                    "tardiness_minutes": o.tardiness,
                    "days_late": None if o.tardiness is None else math.ceil(o.tardiness / 1440),
                }
                for o in self.orders
            ],
            columns=[
                "order",
                "item",
                "location",
                "quantity",
                "priority",
                "weight",
                "release",
                "due",
                "completion",
                "lateness_minutes",
                "tardiness_minutes",
                "days_late",
            ],
        )

    def utilisation_frame(self) -> pd.DataFrame:
        """Per workstation: units, busy and available working minutes, utilisation."""
        return pd.DataFrame(
            [
                {
                    "workstation": w.workstation,
                    "units": w.units,
                    "busy_minutes": w.busy,
                    "available_minutes": w.available,
                    "utilisation": round(w.utilisation, 4),
                    "bottleneck": w.workstation == self.bottleneck,
                }
                for w in self.loads
            ],
            columns=[
                "workstation",
                "units",
                "busy_minutes",
                "available_minutes",
                "utilisation",
                "bottleneck",
            ],
        )

    def parts_frame(self) -> pd.DataFrame:
        """Per part: size, windows, solver, status, objective, bound, gap, runtime."""
        columns = [
            "part",
            "orders",
            "operations",
            "windows",
            "solver",
            "status",
            "objective",
            "bound",
            "gap",
            "runtime_seconds",
        ]
        return pd.DataFrame(
            [
                {
                    "part": p.name,
                    "orders": p.orders,
                    "operations": p.operations,
                    "windows": p.windows,
                    "solver": p.solver,
                    "status": p.status.value,
                    "objective": p.objective,
                    "bound": p.bound,
                    "gap": round(p.gap, 6),
                    "runtime_seconds": round(p.runtime, 3),
                }
                for p in self.parts
            ],
            columns=columns,
        )

    def set_aside_frame(self) -> pd.DataFrame:
        """Per set-aside order: order, item, location, step, workstation, reason."""
        columns = ["order", "item", "location", "step", "workstation", "reason"]
        return pd.DataFrame(
            [
                {
                    "order": a.order,
                    "item": a.item,
                    "location": a.location,
                    "step": a.step,
                    "workstation": a.workstation,
                    "reason": a.reason,
                }
                for a in self.set_aside
            ],
            columns=columns,
        )

    @property
    def kpis(self) -> dict[str, object]:
        """KPI name → value (status, objective, bound, gap, runtime, lateness, utilisation)."""
        s = self.stats
        out: dict[str, object] = {
            "solver": s.solver,
            "solver_status": s.status.value,
            "objective_name": ",".join(self.objective),
            "objective": s.objective,
            "bound": s.bound,
            "gap": s.gap,
            "runtime_seconds": round(s.runtime, 3),
            "deterministic": s.deterministic,
            "orders": len(self.orders) + len(self.set_aside),
            "orders_scheduled": self.orders_scheduled,
            "orders_set_aside": self.orders_set_aside,
            "operations": len(self.operations),
            "fallback": self.fallback,
            "schedule_parts": len(self.parts),
        }
        if self.has_schedule:
            out.update(
                {
                    name: self.values.get(name)
                    for name in ("makespan", "weighted_tardiness", "flow_time")
                }
            )
            late = self.late_orders
            out["orders_late"] = len(late)
            out["orders_on_time_pct"] = orders_on_time_pct(len(late), len(self.orders))
            out["total_days_late"] = sum(math.ceil((o.tardiness or 0) / 1440) for o in self.orders)
            for w in self.loads:
                out[f"utilisation:{w.workstation}"] = round(w.utilisation, 4)
            out["bottleneck"] = self.bottleneck
        return out

    def kpi(self, name: str) -> object:
        """The value of KPI ``name`` (``KeyError`` naming the known KPIs when unknown)."""
        return kpi_value(self.kpis, name)

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """Every table: ``schedule``, ``kpis``, ``exceptions`` (docs/outputs.md) and more.

        Also ``orders``, ``utilisation``, ``parts`` and ``set_aside``.
        """
        return {
            "schedule": self.to_frame(),
            # Text values: one column type, so the table also writes to Parquet.
            "kpis": kpis_frame({k: "" if v is None else str(v) for k, v in self.kpis.items()}),
            "exceptions": exceptions_frame(self.diagnostics),
            "orders": self.orders_frame(),
            "utilisation": self.utilisation_frame(),
            "parts": self.parts_frame(),
            "set_aside": self.set_aside_frame(),
        }

    def summary(self) -> str:
        """A few readable lines: status, objective and gap, late orders, bottleneck."""
        s = self.stats
        lines = [
            f"schedule ({s.solver}): {s.status.value}, {len(self.operations)} operations of "
            f"{self.orders_scheduled} orders in {s.runtime:.2f}s"
            + (f"; {len(self.set_aside)} order(s) set aside" if self.set_aside else ""),
            f"objective {','.join(self.objective)} = {s.objective:g} "
            f"(bound {s.bound:g}, gap {s.gap:.2%})",
        ]
        if self.fallback:
            lines.append("CP-SAT found no schedule in its limit somewhere: the greedy one is used")
        if self.has_schedule and self.values:
            late = self.late_orders
            lines.append(
                f"makespan {self._time(self.values['makespan'])}; {len(late)} late order(s)"
                + (f": {', '.join(late[:10])}" + (" ..." if len(late) > 10 else "") if late else "")
            )
            if self.bottleneck is not None:
                load = next(w for w in self.loads if w.workstation == self.bottleneck)
                lines.append(f"bottleneck {self.bottleneck} ({load.utilisation:.0%} busy)")
        errors = [d for d in self.diagnostics if d.severity == "error"]
        for d in errors[:10]:
            lines.append(f"infeasible: {d.message}")
        if len(errors) > 10:
            lines.append(f"... and {len(errors) - 10} more (see exceptions)")
        return "\n".join(lines)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Gantt chart (matplotlib, imported on use); see :func:`oms_plan.schedule.plot.gantt`."""
        from oms_plan.schedule.plot import gantt

        return gantt(self, ax=ax, **kwargs)

    # -- JSON -----------------------------------------------------------------------------
    def to_json(self) -> str:
        """Serialize to JSON (:meth:`from_json` reads it back)."""
        payload = {
            "start": self.start.isoformat(),
            "objective": list(self.objective),
            "stats": self.stats.to_dict(),
            "stages": [s.to_dict() for s in self.stages],
            "values": dict(self.values),
            "operations": [asdict(op) for op in self.operations],
            "orders": [asdict(o) for o in self.orders],
            "loads": [asdict(w) for w in self.loads],
            "diagnostics": [asdict(d) for d in self.diagnostics],
            "set_aside": [asdict(a) for a in self.set_aside],
            "parts": [{**asdict(p), "status": p.status.value} for p in self.parts],
            "fallback": self.fallback,
        }
        return json.dumps(payload, separators=(",", ":"), allow_nan=True)

    @classmethod
    def from_json(cls, text: str) -> ScheduleResult:
        """Rebuild a result written by :meth:`to_json`."""
        p = json.loads(text)
        return cls(
            start=dt.date.fromisoformat(p["start"]),
            objective=tuple(p["objective"]),
            stats=SolverStats.from_dict(p["stats"]),
            stages=tuple(SolverStats.from_dict(s) for s in p["stages"]),
            values=dict(p["values"]),
            operations=tuple(ScheduledOperation(**op) for op in p["operations"]),
            orders=tuple(OrderOutcome(**o) for o in p["orders"]),
            loads=tuple(WorkstationLoad(**w) for w in p["loads"]),
            diagnostics=tuple(ExceptionRow(**d) for d in p["diagnostics"]),
            set_aside=tuple(SetAside(**a) for a in p.get("set_aside", [])),
            parts=tuple(
                PartReport(**{**x, "status": SolveStatus(x["status"])}) for x in p.get("parts", [])
            ),
            fallback=bool(p.get("fallback", False)),
        )


def build_result(
    problem: SchedulingProblem,
    objective: tuple[str, ...],
    stats: SolverStats,
    solution: Solution | None,
    *,
    stages: Sequence[SolverStats] = (),
    parts: Sequence[PartReport] = (),
    fallback: bool = False,
) -> ScheduleResult:
    """Assemble a :class:`ScheduleResult` from a back-end's :class:`Solution`."""
    diagnostics = [ExceptionRow("infeasible", "error", m) for m in problem.infeasible]
    diagnostics += [
        ExceptionRow(
            "infeasible",
            "error",
            f"{a.message}; set aside, the other orders are scheduled without it",
            item=a.item,
            location=a.location,
            order=a.order,
        )
        for a in problem.set_aside
    ]
    diagnostics += list(problem.diagnostics)
    orders_done: list[int | None] = [None] * problem.num_orders
    rows: list[ScheduledOperation] = []
    busy = [0] * len(problem.workstations)
    values: dict[str, int] = {}
    if solution is not None:
        orders_done = list(order_completions(problem, solution))
        values = objective_values(problem, solution)
        for o, op in enumerate(problem.operations):
            alt = op.alternatives[solution.alternative[o]]
            order = problem.orders[op.order]
            busy[alt.workstation] += alt.duration
            rows.append(
                ScheduledOperation(
                    order.id,
                    order.item,
                    op.step,
                    problem.workstations[alt.workstation].id,
                    solution.unit[o],
                    solution.start[o],
                    solution.end[o],
                    alt.duration,
                )
            )
        rows.sort(key=lambda r: (r.start, r.workstation, r.unit, r.order, r.step))
    end = values.get("makespan", 0)
    loads = tuple(
        WorkstationLoad(
            ws.id, ws.units, busy[m], ws.units * problem.working[m].worked(min(end, problem.window))
        )
        for m, ws in enumerate(problem.workstations)
    )
    outcomes = tuple(
        OrderOutcome(
            o.id, o.item, o.location, o.quantity, o.priority, o.weight, o.release, o.due, done
        )
        for o, done in zip(problem.orders, orders_done, strict=True)
    )
    return ScheduleResult(
        start=problem.start,
        objective=objective,
        stats=stats,
        stages=tuple(stages),
        values=values,
        operations=tuple(rows),
        orders=outcomes,
        loads=loads,
        diagnostics=tuple(diagnostics),
        set_aside=problem.set_aside,
        parts=tuple(parts),
        fallback=fallback,
    )
