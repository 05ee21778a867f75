"""``Plan``: every table of the nightly replan, with its KPIs and solver outcomes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from oms_plan.outputs import write_outputs
from oms_plan.results import SolverStats
from oms_plan.writing import TableFormat

if TYPE_CHECKING:
    from oms_plan.dataset import Dataset

#: Tables of a plan folder, in the order they are written (SCHEMA.md "Plan outputs").
PLAN_TABLES = (
    "promises",
    "planned_orders",
    "pegging",
    "schedule",
    "projection",
    "exceptions",
    "kpis",
)


@dataclass(frozen=True)
class Plan:
    """The outcome of :func:`oms_plan.plan`, the nightly replan.

    Attributes
    ----------
    tables
        Table name → DataFrame for every name of :data:`PLAN_TABLES` (SCHEMA columns first).
    stats
        Solver outcomes by stage and part (``"allocate[0]"``, ``"schedule[0]"``, …).
    parts
        Number of independent parts the dataset was planned in.
    runtime
        Wall-clock seconds of the whole replan.

    """

    tables: Mapping[str, pd.DataFrame]
    stats: Mapping[str, SolverStats] = field(default_factory=dict)
    parts: int = 1
    runtime: float = 0.0

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

    @property
    def kpis(self) -> pd.DataFrame:
        """The ``kpis`` table."""
        return self.tables["kpis"].copy(deep=False)

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """Every table (copies), keyed by table name, in :data:`PLAN_TABLES` order."""
        return {name: self.tables[name].copy() for name in PLAN_TABLES}

    def kpi(self, name: str) -> object:
        """The value of KPI ``name`` (``KeyError`` if there is none)."""
        kpis = self.tables["kpis"]
        match = kpis.loc[kpis["kpi"] == name, "value"]
        if match.empty:
            raise KeyError(f"no KPI {name!r}")
        return match.iloc[0]

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
                f"plan of {get('lines')} order lines in {self.parts} part(s), {self.runtime:.1f}s",
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
