"""What back-ends return (:data:`AllocationOutcome`) and users get (:class:`AllocationResult`)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from oms_plan.outputs import kpis_frame
from oms_plan.results import BackendOutcome, SolverStats, SolveStatus, kpi_value
from oms_plan.serialization import decode_frames, encode_frames

#: How bad a status is, to combine the statuses of several stages or back-ends.
_RANK = {
    SolveStatus.EMPTY: 0,
    SolveStatus.OPTIMAL: 1,
    SolveStatus.FEASIBLE: 2,
    SolveStatus.NO_SOLUTION: 3,
    SolveStatus.INFEASIBLE: 4,
}


def worst_status(statuses: list[SolveStatus]) -> SolveStatus:
    """The least good of several statuses (``empty`` when there are none)."""
    return max(statuses, key=_RANK.__getitem__, default=SolveStatus.EMPTY)


@dataclass(frozen=True, slots=True)
class StageOutcome:
    """The value of one policy stage (see :mod:`oms_plan.allocate.policies`).

    Attributes
    ----------
    name
        Stage name (``on_time:1``, ``cost``, …).
    sense
        ``"max"`` or ``"min"``.
    value
        Value reached (real units).
    bound
        Best proven bound on the value given the earlier stages (equal when optimal).
    status
        :class:`SolveStatus` of this stage.

    """

    name: str
    sense: str
    value: float
    bound: float
    status: SolveStatus

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StageOutcome:
        """The stage outcome of :meth:`to_dict`."""
        return cls(
            str(data["name"]),
            str(data["sense"]),
            float(data["value"]),
            float(data["bound"]),
            SolveStatus(data["status"]),
        )

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {
            "name": self.name,
            "sense": self.sense,
            "value": self.value,
            "bound": self.bound,
            "status": self.status.value,
        }


#: An allocation back-end's answer: scaled quantity per option of the whole problem (0 outside
#: the solved components) and one outcome per policy stage, summed over those components.
AllocationOutcome = BackendOutcome[np.ndarray, StageOutcome]


def allocation_outcome(
    solver: str,
    flows: np.ndarray,
    stages: tuple[StageOutcome, ...],
    status: SolveStatus,
    runtime: float,
    *,
    deterministic: bool = True,
) -> AllocationOutcome:
    """An :data:`AllocationOutcome`; its headline is the first stage not proven optimal.

    Parameters
    ----------
    solver
        Back-end name.
    flows
        Scaled quantity per option of the whole problem.
    stages
        One outcome per stage.
    status
        Worst stage status.
    runtime
        Seconds.
    deterministic
        Whether the same input reproduces the answer exactly.

    Returns
    -------
    AllocationOutcome
        Statistics whose objective and bound are the headline stage's.

    """
    headline = next(
        (o for o in stages if o.status is not SolveStatus.OPTIMAL), stages[-1] if stages else None
    )
    stats = SolverStats(
        solver,
        status,
        headline.value if headline else math.nan,
        headline.bound if headline else math.nan,
        runtime,
        deterministic,
    )
    return BackendOutcome(stats, flows, stages)


@dataclass(frozen=True, eq=False)
class AllocationResult:
    """The allocation of scarce stock to order lines, with its explanation.

    Attributes
    ----------
    policy
        Policy used.
    protect_commitments
        Whether promised dates were protected.
    stats
        Solver status, objective, bound, gap and runtime (:class:`SolverStats`). For a
        lexicographic policy, objective and bound are those of the last stage that was not
        proven optimal (else of the last stage).
    stages
        Every stage's value and bound.
    promises
        SCHEMA ``promises`` table: one row per shipment, short quantities as own rows.
    exceptions
        SCHEMA ``exceptions`` table.
    kpis
        KPI name → value, in a stable order.
    flows
        Scaled quantity per option of the problem (for comparing answers).
    backends
        Back-end used per component group (``{"flow": 12, "cpsat": 3}``: components).

    """

    policy: str
    protect_commitments: bool
    stats: SolverStats
    stages: tuple[StageOutcome, ...]
    promises: pd.DataFrame
    exceptions: pd.DataFrame
    kpis: Mapping[str, object]
    flows: np.ndarray = field(repr=False)
    backends: Mapping[str, int] = field(default_factory=dict)

    @property
    def status(self) -> SolveStatus:
        """Solve status."""
        return self.stats.status

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """The plan tables: ``promises``, ``exceptions``, ``kpis``."""
        return {
            "promises": self.promises.copy(),
            "exceptions": self.exceptions.copy(),
            # One text column: KPIs mix numbers and words (status, solver), and Parquet
            # needs a single type per column.
            "kpis": kpis_frame({k: _kpi_text(v) for k, v in self.kpis.items()}),
        }

    def kpi(self, name: str) -> object:
        """The value of KPI ``name`` (see :data:`oms_plan.kpis.KPI_DEFINITIONS`).

        Raises
        ------
        KeyError
            Naming the known KPIs when ``name`` is not one.

        """
        return kpi_value(self.kpis, name)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: options, statistics, KPIs, flows and the exact tables."""
        return {
            "policy": self.policy,
            "protect_commitments": self.protect_commitments,
            "stats": self.stats.to_dict(),
            "stages": [s.to_dict() for s in self.stages],
            "backends": dict(self.backends),
            "kpis": {k: _json_value(v) for k, v in self.kpis.items()},
            "flows": np.asarray(self.flows, dtype=np.int64).tolist(),
            "tables": encode_frames({"promises": self.promises, "exceptions": self.exceptions}),
        }

    def to_json(self) -> str:
        """The result as JSON (see :meth:`to_dict`); :meth:`from_json` reads it back."""
        return json.dumps(self.to_dict(), allow_nan=True)

    @classmethod
    def from_json(cls, text: str) -> AllocationResult:
        """Rebuild a result written by :meth:`to_json` (tables equal, dtypes included).

        Parameters
        ----------
        text
            What :meth:`to_json` returned.

        Returns
        -------
        AllocationResult
            The same result.

        """
        payload = json.loads(text)
        tables = decode_frames(payload["tables"])
        return cls(
            policy=payload["policy"],
            protect_commitments=bool(payload["protect_commitments"]),
            stats=SolverStats.from_dict(payload["stats"]),
            stages=tuple(StageOutcome.from_dict(d) for d in payload["stages"]),
            promises=tables["promises"],
            exceptions=tables["exceptions"],
            kpis=dict(payload["kpis"]),
            flows=np.asarray(payload["flows"], dtype=np.int64),
            backends={str(k): int(v) for k, v in payload["backends"].items()},
        )

    def summary(self) -> str:
        """A few readable lines: status, service levels, stages."""
        k = self.kpis
        lines = [
            f"allocation ({self.policy}, commitments "
            f"{'protected' if self.protect_commitments else 'not protected'}): "
            f"{self.stats.status.value} by {self.stats.solver} in {self.stats.runtime:.2f}s, "
            f"gap {_fmt(self.stats.gap)}",
            f"on time {_fmt(k.get('on_time_pct'))}%, fill rate {_fmt(k.get('fill_rate_pct'))}%, "
            f"{k.get('lines_late')} lines late, {k.get('lines_short')} short, "
            f"{k.get('broken_commitments')} broken commitments, "
            f"shipping cost {_fmt(k.get('shipping_cost'))}",
        ]
        for s in self.stages:
            bound = f"bound {_fmt(s.bound)}, {s.status.value}"
            lines.append(f"  {s.name:<14} {s.sense} {_fmt(s.value)} ({bound})")
        return "\n".join(lines)


def _kpi_text(value: object) -> str:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        return "nan" if math.isnan(value) else repr(round(float(value), 6))
    return str(value)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:,.4g}"
    return str(value)


def _json_value(value: object) -> object:
    """A KPI value as its plain Python type (numpy scalars unwrapped)."""
    return value.item() if isinstance(value, np.generic) else value
