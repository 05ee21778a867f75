"""``Plan``: every table of the nightly replan, with its KPIs and solver outcomes."""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from oms_plan.errors import PlanningError
from oms_plan.outputs import kpis_frame, write_outputs
from oms_plan.results import SolverStats, SolveStatus, kpi_value, worst_status
from oms_plan.serialization import decode_frames, encode_frames
from oms_plan.writing import TableFormat

if TYPE_CHECKING:
    from oms_plan.dataset import Dataset

#: Tables the planning engines make (part by part, merged), in the order they are written.
PLAN_TABLES = (
    "promises",
    "planned_orders",
    "pegging",
    "schedule",
    "projection",
    "exceptions",
    "kpis",
)
#: Every table of a plan folder (SCHEMA.md "Plan outputs"): the engines' tables, then the
#: ``explanations`` of late and short lines, made once the promises are final.
FOLDER_TABLES = (*PLAN_TABLES, "explanations")

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
    dataset
        The planned dataset, when the plan was made in this process (what
        :meth:`explain` re-solves against); ``None`` for a plan read from a folder.

    """

    tables: Mapping[str, pd.DataFrame]
    part_stats: Mapping[str, SolverStats] = field(default_factory=dict)
    parts: int = 1
    runtime: float = 0.0
    dataset: Dataset | None = field(default=None, repr=False, compare=False)

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

    @property
    def explanations(self) -> pd.DataFrame:
        """The ``explanations`` table (empty when the plan was made without them)."""
        from oms_plan.explain import explanations_frame

        frame = self.tables.get("explanations")
        return explanations_frame([]) if frame is None else frame.copy(deep=False)

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """Every table (copies), keyed by table name, in :data:`FOLDER_TABLES` order."""
        frames = {name: self.tables[name].copy() for name in PLAN_TABLES}
        frames["explanations"] = self.explanations.copy()
        return frames

    def explain(
        self,
        order: str,
        line: str,
        *,
        dataset: Dataset | None = None,
        resolves: int | None = None,
    ) -> pd.DataFrame:
        """Why a line of this plan is late or short: its rows of the ``explanations`` table.

        Parameters
        ----------
        order, line
            The order line.
        dataset
            The planned dataset, to compute the explanation when the plan has none for the
            line (a plan read from a folder, or planned with ``explain=False``); default:
            the plan's own.
        resolves
            Re-solves the line may spend; when given, the explanation is computed again
            with this cap instead of read from the table.

        Returns
        -------
        pandas.DataFrame
            The ``explanations`` columns, best lever first; empty when the line is on time
            or no single lever helps.

        Raises
        ------
        PlanningError
            The line is not in the plan, or there is nothing to compute the explanation
            from (no table rows and no dataset).

        """
        from oms_plan.explain import DEFAULT_RESOLVES, explain_plan, late_lines

        key = (str(order), str(line))
        promises = self.tables["promises"]
        mine = (promises["order"].astype(str) == key[0]) & (promises["line"].astype(str) == key[1])
        if not mine.any():
            raise PlanningError(f"order line {key[0]!r}/{key[1]!r} is not in this plan")
        if key not in late_lines(promises.loc[mine]):
            return self.explanations.iloc[0:0]
        # A plan that has the table explained every late and short line: no rows = no lever.
        table = self.tables.get("explanations")
        if table is not None and resolves is None:
            rows = (table["order"].astype(str) == key[0]) & (table["line"].astype(str) == key[1])
            return table.loc[rows].reset_index(drop=True)
        ds = dataset if dataset is not None else self.dataset
        if ds is None:
            raise PlanningError(
                f"this plan has no explanation of {key[0]!r}/{key[1]!r}: pass dataset= "
                "(the planned dataset) to compute it"
            )
        return explain_plan(
            ds,
            promises,
            planned_orders=self.tables["planned_orders"],
            schedule=self.tables["schedule"],
            lines=[key],
            resolves=resolves or DEFAULT_RESOLVES,
        )

    def with_explanations(
        self,
        dataset: Dataset,
        *,
        explain: bool = True,
        resolves: int | None = None,
        total: int | None = None,
    ) -> Plan:
        """A copy of the plan with its ``explanations`` table computed (and the dataset kept).

        Parameters
        ----------
        dataset
            The planned dataset.
        explain
            Compute the table (else only keep the dataset, for :meth:`explain`).
        resolves
            Re-solves each late or short line may spend (default
            :data:`oms_plan.explain.DEFAULT_RESOLVES`).
        total
            Re-solves the whole table may spend, shared among the lines (default
            :data:`oms_plan.explain.DEFAULT_TOTAL`).

        Returns
        -------
        Plan
            A new plan; when the table is computed its KPIs gain ``lines_explained`` (lines
            with at least one row), and its runtime (``runtime_seconds``) includes the table.

        """
        from oms_plan.explain import DEFAULT_RESOLVES, DEFAULT_TOTAL, explain_plan

        if not explain:
            return dataclasses.replace(self, dataset=dataset)
        began = time.perf_counter()
        table = explain_plan(
            dataset,
            self.tables["promises"],
            planned_orders=self.tables["planned_orders"],
            schedule=self.tables["schedule"],
            resolves=resolves or DEFAULT_RESOLVES,
            total=total or DEFAULT_TOTAL,
        )
        seconds = time.perf_counter() - began
        kpis = self.tables["kpis"]
        values = dict(zip(kpis["kpi"], kpis["value"], strict=True))
        values["lines_explained"] = int(table[["order", "line"]].drop_duplicates().shape[0])
        runtime = self.runtime + seconds
        if "runtime_seconds" in values:  # the whole replan, its explanations included
            values["runtime_seconds"] = round(runtime, 3)
        tables = {**self.tables, "explanations": table, "kpis": kpis_frame(values)}
        return dataclasses.replace(self, tables=tables, dataset=dataset, runtime=runtime)

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
