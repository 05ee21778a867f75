"""The allocation model as integer linear rows, solver-free, for the MIP back-ends.

Variables (all integer; quantities in scaled units):

* ``x_a ∈ [0, q_j]`` per option ``a`` of line ``j``;
* ``s_i ∈ [0, S_b]`` stock carried out of interval ``i`` of buffer ``b``;
* ``y_a ∈ {0, 1}`` "option a is a shipment", for lines with partial_ok = false,
  min_shipment or max_shipments;
* ``w_k ∈ {0, 1}`` per (location, day) key of a ship-complete order;
* ``T_c ∈ [0, F]`` per fair-share stage.

Rows:

* stock balance      ``s_{i-1} + r_i − Σ_{a at i} x_a − s_i = 0``  (no unit before it exists,
  none twice: the time-expanded network of :mod:`oms_plan.allocate.problem`);
* line               ``Σ_{a of j} x_a ≤ q_j``;
* all or nothing     ``x_a = q_j y_a``, ``Σ_a y_a ≤ 1``;
* min / max shipment ``m_j y_a ≤ x_a ≤ q_j y_a``, ``Σ_a y_a ≤ k_j``;
* ship complete      ``x_a = q_j w_{k(a)}``, ``Σ_k w_k ≤ 1`` per order;
* quota              ``Σ_{a: group g, item i, day_a ≤ e} x_a ≤ cap``;
* fair share         ``F · Σ_{a of j on time} x_a − q_j T_c ≥ 0`` for each line j of class c.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from oms_plan.allocate.policies import FAIR_SCALE, Stage
from oms_plan.allocate.problem import AllocationProblem


@dataclass(frozen=True, slots=True)
class Row:
    """``lo ≤ Σ coef · var ≤ hi`` (``None`` = unbounded side)."""

    name: str
    var: np.ndarray
    coef: np.ndarray
    lo: int | None
    hi: int | None


@dataclass(eq=False)
class LinearModel:
    """Integer variables with bounds, rows, and the objective of every stage.

    Attributes
    ----------
    lb, ub
        Bounds per variable.
    names
        Variable names (readable solver logs).
    rows
        Constraints.
    options
        Option index (in the problem) of each ``x`` variable; ``x`` are variables
        ``0 … len(options)-1``.
    objectives
        Per stage: (variable indices, integer coefficients).

    """

    lb: list[int] = field(default_factory=list)
    ub: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    options: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    objectives: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    fair_rows: dict[int, list[tuple[np.ndarray, int]]] = field(default_factory=dict)

    def stage_value(self, k: int, x: np.ndarray) -> int:
        """Integer value of stage ``k``'s objective at option quantities ``x``.

        For a fair-share stage: the largest ``T`` the quantities allow.
        """
        if k in self.fair_rows:
            caps = [FAIR_SCALE * int(x[xs].sum()) // q for xs, q in self.fair_rows[k]]
            return min([FAIR_SCALE, *caps])
        idx, coef = self.objectives[k]
        return int(np.dot(x[idx], coef)) if len(idx) else 0

    def add_var(self, name: str, lb: int, ub: int) -> int:
        """Add one variable; return its index."""
        self.lb.append(int(lb))
        self.ub.append(int(ub))
        self.names.append(name)
        return len(self.lb) - 1

    def add_row(
        self,
        name: str,
        var: list[int] | np.ndarray,
        coef: list[int] | np.ndarray,
        lo: int | None,
        hi: int | None,
    ) -> None:
        """Add ``lo ≤ Σ coef·var ≤ hi``."""
        self.rows.append(Row(name, np.asarray(var, np.int64), np.asarray(coef, np.int64), lo, hi))


def build_model(
    problem: AllocationProblem, stages: list[Stage], options: np.ndarray
) -> LinearModel:
    """The integer model of the given options (a union of whole components).

    Parameters
    ----------
    problem
        The allocation problem.
    stages
        Stages whose objectives to attach (fair stages add their ``T`` variable and rows).
    options
        Sorted option indices; must hold every option of the lines it touches.

    Returns
    -------
    LinearModel

    """
    m = LinearModel(options=options)
    ol = problem.opt_line[options]
    for a, j in zip(options, ol, strict=True):
        m.add_var(f"x[{problem.describe_line(int(j))}@{int(a)}]", 0, int(problem.line_qty[j]))
    _stock_rows(problem, m, options)
    _line_rows(problem, m, options)
    _quota_rows(problem, m, options)
    for k, stage in enumerate(stages):
        if stage.is_fair:
            m.objectives.append(_fair_rows(problem, m, options, stage, k))
        else:
            coef = stage.coef[options]
            nz = np.flatnonzero(coef)
            m.objectives.append((nz.astype(np.int64), coef[nz]))
    return m


def _stock_rows(problem: AllocationProblem, m: LinearModel, options: np.ndarray) -> None:
    """Stock balance per interval with carry variables (no unit before it exists, none twice)."""
    ivs = np.unique(problem.opt_interval[options])
    bufs = np.unique(problem.iv_buffer[ivs])
    by_iv: dict[int, list[int]] = {}
    for x, iv in enumerate(problem.opt_interval[options]):
        by_iv.setdefault(int(iv), []).append(x)
    for b in bufs:
        members = np.flatnonzero(problem.iv_buffer == b)
        total = int(problem.iv_supply[members].sum())
        prev: int | None = None
        for iv in members:
            s = m.add_var(f"stock[{int(iv)}]", 0, total)
            xs = by_iv.get(int(iv), [])
            var = [*xs, s] + ([prev] if prev is not None else [])
            coef = [-1] * len(xs) + [-1] + ([1] if prev is not None else [])
            supply = int(problem.iv_supply[iv])
            m.add_row(f"balance[{int(iv)}]", var, coef, -supply, -supply)
            prev = s


def _line_rows(problem: AllocationProblem, m: LinearModel, options: np.ndarray) -> None:
    """Line quantity, all-or-nothing, shipment counts and ship-complete rows."""
    ol = problem.opt_line[options]
    lines = np.unique(ol)
    starts = np.searchsorted(ol, lines, side="left")
    ends = np.searchsorted(ol, lines, side="right")
    key_var: dict[int, int] = {}
    group_keys: dict[int, list[int]] = {}
    for j, lo, hi in zip(lines, starts, ends, strict=True):
        xs = list(range(lo, hi))
        q = int(problem.line_qty[j])
        label = problem.describe_line(int(j))
        m.add_row(f"line[{label}]", xs, [1] * len(xs), None, q)
        g = int(problem.line_together[j])
        if g >= 0:
            for x in xs:
                key = int(problem.opt_together[options[x]])
                if key not in key_var:
                    key_var[key] = m.add_var(f"together[{g}:{key}]", 0, 1)
                    group_keys.setdefault(g, []).append(key_var[key])
                m.add_row(f"complete[{label}@{x}]", [x, key_var[key]], [1, -q], 0, 0)
            continue
        whole = bool(problem.line_whole[j])
        min_ship = int(problem.line_min_ship[j])
        max_ship = int(problem.line_max_ship[j])
        if not (whole or min_ship > 0 or max_ship > 0):
            continue
        ys = [m.add_var(f"ship[{label}@{x}]", 0, 1) for x in xs]
        for x, y in zip(xs, ys, strict=True):
            if whole:
                m.add_row(f"whole[{label}@{x}]", [x, y], [1, -q], 0, 0)
                continue
            m.add_row(f"upper[{label}@{x}]", [x, y], [1, -q], None, 0)
            if min_ship > 0:
                m.add_row(f"min_ship[{label}@{x}]", [x, y], [1, -min_ship], 0, None)
        limit = 1 if whole else max_ship
        if limit > 0:
            m.add_row(f"shipments[{label}]", ys, [1] * len(ys), None, limit)
    for g, keys in group_keys.items():
        m.add_row(f"one_key[{g}]", keys, [1] * len(keys), None, 1)


def _quota_rows(problem: AllocationProblem, m: LinearModel, options: np.ndarray) -> None:
    """Cumulative customer-group quota rows."""
    if not len(problem.quota_cap):
        return
    ol = problem.opt_line[options]
    grp, item, day = problem.line_group[ol], problem.line_item[ol], problem.opt_day[options]
    for g, i, e, cap in zip(
        problem.quota_group, problem.quota_item, problem.quota_day, problem.quota_cap, strict=True
    ):
        xs = np.flatnonzero((grp == g) & (item == i) & (day <= e))
        if len(xs):
            m.add_row(f"quota[{g},{i},{e}]", xs, np.ones(len(xs), np.int64), None, int(cap))


def _fair_rows(
    problem: AllocationProblem, m: LinearModel, options: np.ndarray, stage: Stage, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """``T`` and its rows ``F·on_time_j ≥ q_j·T`` for the stage's lines in this model."""
    t = m.add_var(f"T[{stage.name}]", 0, FAIR_SCALE)
    ol = problem.opt_line[options]
    lines = stage.fair_lines if stage.fair_lines is not None else np.zeros(0, np.int64)
    lines = lines[np.isin(lines, ol)]
    on_time = problem.opt_on_time[options]
    m.fair_rows[k] = []
    for j in lines:
        xs = np.flatnonzero((ol == j) & on_time)
        m.fair_rows[k].append((xs, int(problem.line_qty[j])))
        var = [*xs.tolist(), t]
        coef = [FAIR_SCALE] * len(xs) + [-int(problem.line_qty[j])]
        m.add_row(f"fair[{problem.describe_line(int(j))}]", var, coef, 0, None)
    if not len(lines):
        # Nothing to share in this model: T is free, pin it to its upper bound.
        m.add_row(f"fair_empty[{stage.name}]", [t], [1], FAIR_SCALE, FAIR_SCALE)
    return np.array([t], np.int64), np.array([1], np.int64)
