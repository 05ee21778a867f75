"""``Plan``: every table of the nightly replan, with its KPIs and solver outcomes."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from oms_plan.outputs import write_outputs
from oms_plan.results import SolverStats, SolveStatus, kpi_value, worst_status
from oms_plan.serialization import decode_frames, encode_frames
from oms_plan.writing import TableFormat

if TYPE_CHECKING:
    from oms_plan.dataset import Dataset

#: Tables of a plan folder, in the order they are written (the plan outputs of
#: ``docs/outputs.md``).
PLAN_TABLES = (
    "promises",
    "planned_orders",
    "pegging",
    "schedule",
    "projection",
    "exceptions",
    "kpis",
)

#: The KPIs that hold the status of a plan's stages (read when its solves are not known).
_STAGE_STATUS = ("allocation_status", "schedule_status")


@dataclass(frozen=True)
class Plan:
    """The outcome of :func:`oms_plan.plan`, the nightly replan.

    A plan offers what every engine's result offers (:class:`~oms_plan.results.EngineResult`):
    :attr:`status`, :attr:`stats`, :attr:`kpis` (a dict) and :meth:`kpi`, :meth:`to_frames`,
    :meth:`summary`, :meth:`to_json` and :meth:`from_json`.

    Attributes
    ----------
    tables
        Table name → DataFrame for every name of :data:`PLAN_TABLES` (contract columns
        first).
    part_stats
        The outcome of each solve, by stage and part of the dataset (``"allocate[0]"``,
        ``"schedule[0]"``, …); :attr:`stats` sums them up. Empty for a plan read back
        from a folder.
    parts
        Number of independent parts the dataset was planned in.
    runtime
        Wall-clock seconds of the whole replan.

    """

    tables: Mapping[str, pd.DataFrame]
    part_stats: Mapping[str, SolverStats] = field(default_factory=dict)
    parts: int = 1
    runtime: float = 0.0

    # -- the shared result contract ---------------------------------------------------
    @property
    def status(self) -> SolveStatus:
        """The worst status of the plan's solves (``empty`` when nothing was solved).

        A plan read back from a folder has no solves: the ``allocation_status`` and
        ``schedule_status`` KPIs it reported stand for them.
        """
        if self.part_stats:
            return worst_status(s.status for s in self.part_stats.values())
        kpis = self.kpis
        known = {s.value for s in SolveStatus}
        return worst_status(
            SolveStatus(str(kpis[name]))
            for name in _STAGE_STATUS
            if name in kpis and str(kpis[name]) in known
        )

    @property
    def stats(self) -> SolverStats:
        """The plan's overall outcome: :attr:`status`, the back-ends that ran, the runtime.

        ``solver`` names the back-ends in the order they first ran (``"flow+cpsat"``,
        ``"replan"`` when none is known); a plan has several objectives, so ``objective``
        and ``bound`` are ``nan`` (the ``allocation_gap`` and ``schedule_gap`` KPIs give
        the stages' gaps, :attr:`part_stats` each solve's). It is deterministic when every
        solve is.
        """
        # "flow+cpsat" from one stage and "cpsat" from another name two back-ends, not three;
        # "none" is what a stage with nothing to solve reports.
        names = (n for s in self.part_stats.values() for n in s.solver.split("+"))
        solvers = [n for n in dict.fromkeys(names) if n != "none"]
        return SolverStats(
            solver="+".join(solvers) or "replan",
            status=self.status,
            objective=math.nan,
            bound=math.nan,
            runtime=self.runtime,
            deterministic=all(s.deterministic for s in self.part_stats.values()),
        )

    @property
    def kpis(self) -> dict[str, object]:
        """KPI name → value, in the order of the ``kpis`` table (see ``oms_plan.kpis``)."""
        table = self.tables["kpis"]
        return dict(zip(table["kpi"].astype(str), table["value"], strict=True))

    def kpi(self, name: str) -> object:
        """The value of KPI ``name`` (``KeyError`` naming the known KPIs when unknown)."""
        return kpi_value(self.kpis, name)

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """Every table (copies), keyed by table name, in :data:`PLAN_TABLES` order."""
        return {name: self.tables[name].copy() for name in PLAN_TABLES}

    def summary(self) -> str:
        """A few lines for a planner: service level, material, capacity, exceptions."""

        def get(name: str) -> object:
            try:
                return self.kpi(name)
            except KeyError:
                return "n/a"

        counts = self.tables["exceptions"]["kind"].value_counts().sort_index()
        exc = ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"
        return "\n".join(
            [
                f"plan ({self.status.value}) of {get('lines')} order lines in {self.parts} "
                f"part(s), {self.runtime:.1f}s",
                f"service: on-time {get('on_time_pct')}%, fill rate {get('fill_rate_pct')}%, "
                f"{get('lines_late')} late, {get('lines_short')} short",
                f"material: {get('planned_orders')} planned orders",
                f"capacity: {get('scheduled_orders')} manufacturing orders, "
                f"{get('manufacturing_orders_late')} late, bottleneck {get('bottleneck')}",
                f"solvers: allocation {get('allocation_status')}, "
                f"schedule {get('schedule_status')}",
                f"exceptions: {exc}",
            ]
        )

    def to_json(self) -> str:
        """The whole plan as JSON (:meth:`from_json` reads it back, tables and dtypes equal)."""
        payload = {
            "tables": encode_frames(self.tables),
            "part_stats": {name: s.to_dict() for name, s in self.part_stats.items()},
            "parts": self.parts,
            "runtime": self.runtime,
        }
        return json.dumps(payload, separators=(",", ":"), allow_nan=True)

    @classmethod
    def from_json(cls, text: str) -> Plan:
        """The plan written by :meth:`to_json`."""
        payload = json.loads(text)
        return cls(
            tables=decode_frames(payload["tables"]),
            part_stats={
                name: SolverStats.from_dict(s) for name, s in payload["part_stats"].items()
            },
            parts=int(payload["parts"]),
            runtime=float(payload["runtime"]),
        )

    # -- the tables by name ---------------------------------------------------------------
    @property
    def promises(self) -> pd.DataFrame:
        """The ``promises`` table."""
        return self.tables["promises"].copy(deep=False)

    @property
    def planned_orders(self) -> pd.DataFrame:
        """The ``planned_orders`` table."""
        return self.tables["planned_orders"].copy(deep=False)

    @property
    def pegging(self) -> pd.DataFrame:
        """The ``pegging`` table."""
        return self.tables["pegging"].copy(deep=False)

    @property
    def schedule(self) -> pd.DataFrame:
        """The ``schedule`` table."""
        return self.tables["schedule"].copy(deep=False)

    @property
    def projection(self) -> pd.DataFrame:
        """The ``projection`` table."""
        return self.tables["projection"].copy(deep=False)

    @property
    def exceptions(self) -> pd.DataFrame:
        """The ``exceptions`` table."""
        return self.tables["exceptions"].copy(deep=False)

    def write(self, out: str | Path, *, format: TableFormat = "csv") -> list[Path]:
        """Write every table into folder ``out``; return the paths."""
        return write_outputs(self.to_frames(), out, format=format)

    def plot_inventory(self, item: str, location: str, **kwargs: Any) -> Any:
        """Projected on-hand and ATP of a buffer (:func:`oms_plan.replan.plots.plot_inventory`)."""
        from oms_plan.replan.plots import plot_inventory

        return plot_inventory(self, item, location, **kwargs)

    def plot_load(self, dataset: Dataset | None = None, **kwargs: Any) -> Any:
        """Workstation load vs capacity; see :func:`oms_plan.replan.plots.plot_load`."""
        from oms_plan.replan.plots import plot_load

        return plot_load(self, dataset, **kwargs)

    def plot_schedule(self, dataset: Dataset | None = None, **kwargs: Any) -> Any:
        """Gantt chart with dates and downtime (:func:`oms_plan.replan.plots.plot_schedule`)."""
        from oms_plan.replan.plots import plot_schedule

        return plot_schedule(self, dataset, **kwargs)
