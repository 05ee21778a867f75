"""CP-SAT back-end for finite-capacity scheduling.

The model lives in each workstation's *working-time space* (``W(t)`` = working minutes before
clock minute ``t``, see :mod:`oms_plan.schedule.calendar`): an operation of ``d`` working
minutes on workstation ``m`` is an interval ``[w, w + d)`` in ``m``'s working time, so units
need only plain no-overlap / cumulative constraints on fixed-size intervals, whatever the
calendar. A small table constraint per alternative maps ``w`` back to clock minutes (for
precedence, release and due dates) when the workstation has a calendar or downtime.
Constraint families, in the order they are added (each a method below):

1. alternatives: exactly one alternative per operation (optional intervals);
2. calendars: start/end clock minutes from working positions (tables over stretches);
3. precedence and release dates: steps in order, first step after release;
4. capacity: no-overlap (1 unit), cumulative (several identical units), or one optional
   interval per unit with a circuit of changeovers where sequence-dependent setups apply;
5. objectives: weighted tardiness, makespan, flow time; several = lexicographic stages.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from oms_plan.results import SolverStats, SolveStatus
from oms_plan.schedule.calendar import WorkingTime
from oms_plan.schedule.checker import check_schedule
from oms_plan.schedule.compact import left_shift
from oms_plan.schedule.options import BackendOutcome, ScheduleOptions
from oms_plan.schedule.problem import SchedulingProblem
from oms_plan.schedule.result import Solution, objective_values

NAME = "cpsat"
_log = logging.getLogger("oms_plan")

IntVar = cp_model.IntVar
LinearExpr = cp_model.LinearExprT


@dataclass
class _Alt:
    """Variables of one alternative (operation ``op`` on workstation ``m``)."""

    op: int
    index: int
    m: int
    duration: int
    family: int
    present: cp_model.IntVar | int  # 1 when the operation has only this alternative
    w: cp_model.IntVar  # start position in the workstation's working time
    start: LinearExpr
    end: LinearExpr
    interval: cp_model.IntervalVar
    w_min: int = 0
    units: list[cp_model.IntVar] = field(default_factory=list)  # one literal per unit (setups)
    aux: list[_Clock] = field(default_factory=list)


@dataclass(frozen=True)
class _Clock:
    """Variables mapping a working position to a clock minute (one stretch-table row)."""

    lo: cp_model.IntVar
    hi: cp_model.IntVar
    offset: cp_model.IntVar
    clock: cp_model.IntVar
    is_end: bool


class ScheduleModel:
    """The CP-SAT model of a :class:`SchedulingProblem` (built once, solved in stages).

    Parameters
    ----------
    problem
        The problem (must not be known infeasible and must have operations).
    horizon
        Latest clock minute any operation may end.

    """

    def __init__(self, problem: SchedulingProblem, horizon: int) -> None:
        self.problem = problem
        self.horizon = horizon
        self.model = cp_model.CpModel()
        self.alts: list[list[_Alt]] = []
        self.op_start: list[LinearExpr] = []
        self.op_end: list[LinearExpr] = []
        self.op_vars: dict[int, tuple[cp_model.IntVar, cp_model.IntVar]] = {}
        self.arcs: dict[tuple[int, int], list[tuple[int, int, Any]]] = {}
        self.tardiness: list[cp_model.IntVar] = []
        self.makespan: cp_model.IntVar | None = None
        self._alternatives()
        self._precedence_and_release()
        self._capacity()
        self.objectives = self._objectives()

    # -- 1 + 2: alternatives and calendars --------------------------------------------------
    def _alternatives(self) -> None:
        """Σ_j present[o, j] = 1; start/end of the operation = those of the present one."""
        p, m = self.problem, self.model
        for o, op in enumerate(p.operations):
            alts = []
            single = len(op.alternatives) == 1
            for j, alt in enumerate(op.alternatives):
                present: cp_model.IntVar | int = 1 if single else m.new_bool_var(f"use_o{o}_a{j}")
                alts.append(
                    self._alternative(o, j, alt.workstation, alt.duration, alt.family, present)
                )
            self.alts.append(alts)
            if single:
                self.op_start.append(alts[0].start)
                self.op_end.append(alts[0].end)
                continue
            m.add_exactly_one(a.present for a in alts)
            s = m.new_int_var(0, self.horizon, f"start_o{o}")
            e = m.new_int_var(0, self.horizon, f"end_o{o}")
            for a in alts:
                m.add(s == a.start).only_enforce_if(a.present)
                m.add(e == a.end).only_enforce_if(a.present)
            self.op_start.append(s)
            self.op_end.append(e)
            self.op_vars[o] = (s, e)

    def _alternative(
        self, o: int, j: int, ws_index: int, d: int, family: int, present: cp_model.IntVar | int
    ) -> _Alt:
        """Working-time interval of one alternative, mapped to clock minutes.

        Pausable: ``start = starts[k] + (w − cum[k])`` for the stretch ``k`` holding ``w``,
        ``end = starts[k'] + (w + d − cum[k'])`` for the stretch ``k'`` where the ``d``-th
        minute falls. Non-pausable: ``w ∈ ∪_k [cum[k], cum_end[k] − d]``, ``end = start + d``.
        """
        p, m = self.problem, self.model
        ws, wt = p.workstations[ws_index], p.working[ws_index]
        need = max(d, 1)
        limit = wt.worked(self.horizon)  # working minutes before the model horizon
        tag = f"o{o}_a{j}"
        if ws.pausable or wt.always_open:
            dom = (
                cp_model.Domain(0, limit - need)
                if limit >= need
                else cp_model.Domain.from_values([])
            )
        else:
            pieces = [
                [int(a), int(b) - need]
                for a, b in zip(wt.cum, wt.cum_end, strict=True)
                if b - a >= need and a <= limit - need
            ]
            dom = cp_model.Domain.from_intervals([[a, min(b, limit - need)] for a, b in pieces])
        if dom.is_empty():
            # Cannot run before the horizon, so absent. The horizon is at least the serial
            # bound, where every usable alternative fits: an operation always keeps one.
            dom = cp_model.Domain(0, 0)
            if isinstance(present, int):
                raise RuntimeError(
                    f"oms_plan bug: operation {o} does not fit before {self.horizon}"
                )
            m.add(present == 0)
        w = m.new_int_var_from_domain(dom, f"w_{tag}")
        aux: list[_Clock] = []
        start: LinearExpr
        end: LinearExpr
        if wt.always_open:
            start, end = w, w + d
        else:
            start = self._clock(w, wt, tag + "_s", end=False, aux=aux)
            if d == 0:
                end = start
            elif ws.pausable:
                end = self._clock(w + d, wt, tag + "_e", end=True, aux=aux)
            else:
                end = start + d
        if isinstance(present, int):
            interval = m.new_fixed_size_interval_var(w, d, f"iv_{tag}")
        else:
            interval = m.new_optional_fixed_size_interval_var(w, d, present, f"iv_{tag}")
        return _Alt(
            o,
            j,
            ws_index,
            d,
            family,
            present,
            w,
            start,
            end,
            interval,
            w_min=int(dom.min()),
            aux=aux,
        )

    def _clock(
        self, pos: LinearExpr, wt: WorkingTime, tag: str, *, end: bool, aux: list[_Clock]
    ) -> cp_model.IntVar:
        """Clock minute of working position ``pos`` (start: minute ``pos``; end: after it).

        One table row per stretch ``k``: ``(lo_k, hi_k, offset_k)`` with ``lo ≤ pos ≤ hi`` and
        clock = ``pos + offset``; for a start ``lo = cum[k]``, ``hi = cum_end[k] − 1``, for an
        end ``lo = cum[k] + 1``, ``hi = cum_end[k]``.
        """
        m = self.model
        last = int((wt.starts < self.horizon).sum())
        rows = []
        for k in range(last):
            lo, hi = int(wt.cum[k]), int(wt.cum_end[k])
            rows.append(
                (lo + 1, hi, int(wt.starts[k]) - lo)
                if end
                else (lo, hi - 1, int(wt.starts[k]) - lo)
            )
        lo_v = m.new_int_var(min(r[0] for r in rows), max(r[0] for r in rows), f"lo_{tag}")
        hi_v = m.new_int_var(min(r[1] for r in rows), max(r[1] for r in rows), f"hi_{tag}")
        off = m.new_int_var(min(r[2] for r in rows), max(r[2] for r in rows), f"off_{tag}")
        m.add_allowed_assignments([lo_v, hi_v, off], rows)
        m.add(lo_v <= pos)
        m.add(pos <= hi_v)
        clock = m.new_int_var(0, self.horizon, f"clock_{tag}")
        m.add(clock - off == pos)
        aux.append(_Clock(lo_v, hi_v, off, clock, end))
        return clock

    # -- 3: precedence and release ----------------------------------------------------------
    def _precedence_and_release(self) -> None:
        """start[first] ≥ release; start[o_{k+1}] ≥ end[o_k] within an order."""
        for order in self.problem.orders:
            first = order.operations[0]
            if order.release > 0:
                self.model.add(self.op_start[first] >= order.release)
            for a, b in zip(order.operations, order.operations[1:], strict=False):
                self.model.add(self.op_start[b] >= self.op_end[a])

    # -- 4: capacity ------------------------------------------------------------------------
    def _capacity(self) -> None:
        """Per workstation: no-overlap, cumulative, or per-unit sequences with changeovers."""
        p = self.problem
        for mi, ws in enumerate(p.workstations):
            alts = [self.alts[o][j] for o, j in p.alternatives_on[mi]]
            if not alts:
                continue
            if p.has_changeovers(mi):
                self._sequences(mi, alts)
            elif ws.units == 1:
                self.model.add_no_overlap([a.interval for a in alts])
            else:
                # Identical units and no sequence to care about: units are assigned afterwards.
                self.model.add_cumulative([a.interval for a in alts], [1] * len(alts), ws.units)

    def _sequences(self, mi: int, alts: list[_Alt]) -> None:
        """One optional interval per unit; a circuit per unit whose arcs carry changeovers.

        Arc ``a → b`` on unit ``u`` ⇒ ``w_b ≥ w_a + d_a + changeover(f_a, f_b)``
        (working minutes of the workstation).
        """
        p, m = self.problem, self.model
        units = p.workstations[mi].units
        for a in alts:
            if units == 1:
                lit = a.present if not isinstance(a.present, int) else m.new_constant(1)
                a.units = [lit]
            else:
                a.units = [
                    m.new_bool_var(f"unit_o{a.op}_a{a.index}_u{u + 1}") for u in range(units)
                ]
                m.add(sum(a.units) == a.present)
        for u in range(units):
            ivs = [
                m.new_optional_fixed_size_interval_var(
                    a.w, a.duration, a.units[u], f"iv_o{a.op}_a{a.index}_u{u + 1}"
                )
                for a in alts
            ]
            m.add_no_overlap(ivs)
            arcs: list[tuple[int, int, Any]] = [(0, 0, m.new_bool_var(f"idle_m{mi}_u{u + 1}"))]
            for i, a in enumerate(alts, start=1):
                arcs.append((0, i, m.new_bool_var(f"first_m{mi}_u{u + 1}_{i}")))
                arcs.append((i, 0, m.new_bool_var(f"last_m{mi}_u{u + 1}_{i}")))
                arcs.append((i, i, ~a.units[u]))
            for i, a in enumerate(alts, start=1):
                for k, b in enumerate(alts, start=1):
                    if a is b or a.op == b.op:
                        continue
                    if (
                        p.operations[a.op].order == p.operations[b.op].order
                        and p.operations[b.op].step < p.operations[a.op].step
                    ):
                        continue  # b is an earlier step of the same order: it cannot follow a
                    lit = m.new_bool_var(f"next_m{mi}_u{u + 1}_{i}_{k}")
                    gap = a.duration + p.changeover(mi, a.family, b.family)
                    m.add(b.w >= a.w + gap).only_enforce_if(lit)
                    arcs.append((i, k, lit))
            m.add_circuit(arcs)
            self.arcs[(mi, u)] = arcs

    # -- 5: objectives ----------------------------------------------------------------------
    def _objectives(self) -> dict[str, LinearExpr]:
        """Σ w_i·T_i with T_i ≥ C_i − due_i, T_i ≥ 0; C_max ≥ C_i; Σ (C_i − r_i)."""
        p, m = self.problem, self.model
        completion = [self.op_end[o.operations[-1]] for o in p.orders]
        for i, (order, c) in enumerate(zip(p.orders, completion, strict=True)):
            t = m.new_int_var(0, max(0, self.horizon - order.due), f"tardy_{i}")
            m.add(t >= c - order.due)
            self.tardiness.append(t)
        self.makespan = m.new_int_var(0, self.horizon, "makespan")
        m.add_max_equality(self.makespan, completion)
        return {
            "weighted_tardiness": sum(
                o.weight * t for o, t in zip(p.orders, self.tardiness, strict=True)
            ),
            "makespan": self.makespan,
            "flow_time": sum(completion) - sum(o.release for o in p.orders),
        }

    # -- hints and reading back -------------------------------------------------------------
    def hint(self, solution: Solution) -> None:
        """Replace the model's hints by ``solution`` (every decision variable hinted)."""
        p, m = self.problem, self.model
        m.clear_hints()  # type: ignore[no-untyped-call]
        for o, alts in enumerate(self.alts):
            chosen = solution.alternative[o]
            for a in alts:
                on = a.index == chosen
                if not isinstance(a.present, int):
                    m.add_hint(a.present, on)
                wt = p.working[a.m]
                w = wt.worked(solution.start[o]) if on else a.w_min
                m.add_hint(a.w, w)
                for u, lit in enumerate(a.units):
                    if not isinstance(a.present, int) or len(a.units) > 1:
                        m.add_hint(lit, on and solution.unit[o] == u + 1)
                for aux in a.aux:
                    pos = w + a.duration if aux.is_end else w
                    k = _stretch(wt, pos, aux.is_end)
                    lo, hi = int(wt.cum[k]), int(wt.cum_end[k])
                    m.add_hint(aux.lo, lo + 1 if aux.is_end else lo)
                    m.add_hint(aux.hi, hi if aux.is_end else hi - 1)
                    m.add_hint(aux.offset, int(wt.starts[k]) - lo)
                    m.add_hint(aux.clock, pos + int(wt.starts[k]) - lo)
            if o in self.op_vars:
                m.add_hint(self.op_vars[o][0], solution.start[o])
                m.add_hint(self.op_vars[o][1], solution.end[o])
        for (mi, u), arcs in self.arcs.items():
            seq = sorted(
                (solution.start[a.op], solution.end[a.op], i)
                for i, a in enumerate((self.alts[o][j] for o, j in p.alternatives_on[mi]), start=1)
                if solution.alternative[a.op] == a.index and solution.unit[a.op] == u + 1
            )
            nodes = [i for _, _, i in seq]
            chosen_arcs = {(0, nodes[0]), (nodes[-1], 0)} if nodes else {(0, 0)}
            chosen_arcs |= set(itertools.pairwise(nodes))
            for i, k, lit in arcs:
                if i != k or i == 0:
                    m.add_hint(lit, (i, k) in chosen_arcs)
        values = objective_values(p, solution)
        done = [solution.end[o.operations[-1]] for o in p.orders]
        for order, t, c in zip(p.orders, self.tardiness, done, strict=True):
            m.add_hint(t, max(0, c - order.due))
        if self.makespan is not None:
            m.add_hint(self.makespan, values["makespan"])

    def read(self, solver: cp_model.CpSolver) -> Solution:
        """The schedule of the solver's best solution (units assigned where cumulative)."""
        p = self.problem
        n = p.num_operations
        alternative, unit = [0] * n, [1] * n
        start = [int(solver.value(self.op_start[o])) for o in range(n)]
        end = [int(solver.value(self.op_end[o])) for o in range(n)]
        w_of = [0] * n
        for o, alts in enumerate(self.alts):
            for a in alts:
                if isinstance(a.present, int) or solver.boolean_value(a.present):
                    alternative[o] = a.index
                    w_of[o] = int(solver.value(a.w))
                    for u, lit in enumerate(a.units):
                        if solver.boolean_value(lit):
                            unit[o] = u + 1
        for mi, ws in enumerate(p.workstations):
            if ws.units == 1 or p.has_changeovers(mi):
                continue
            # Cumulative ≤ units at every point ⇒ greedy colouring by start uses ≤ units units.
            ops = sorted(
                (w_of[o], w_of[o] + p.operations[o].alternatives[alternative[o]].duration, o)
                for o, j in p.alternatives_on[mi]
                if alternative[o] == j
            )
            free = [0] * ws.units
            for w, w_end, o in ops:
                found = next((u for u in range(ws.units) if free[u] <= w), None)
                # A zero-length operation occupies nothing: any unit will do.
                u = found if found is not None else (0 if w == w_end else -1)
                if u < 0:
                    raise RuntimeError(f"oms_plan bug: cumulative on {ws.id!r} exceeded at {w}")
                if w_end > w:
                    free[u] = w_end
                unit[o] = u + 1
        return Solution(tuple(alternative), tuple(unit), tuple(start), tuple(end))


def _stretch(wt: WorkingTime, pos: int, is_end: bool) -> int:
    """Index of the stretch holding working position ``pos`` (as a start, or as an end)."""
    import numpy as np

    return int(np.searchsorted(wt.cum_end, pos, side="left" if is_end else "right"))


_STATUS = {
    cp_model.OPTIMAL: SolveStatus.OPTIMAL,
    cp_model.FEASIBLE: SolveStatus.FEASIBLE,
    cp_model.INFEASIBLE: SolveStatus.INFEASIBLE,
    cp_model.UNKNOWN: SolveStatus.NO_SOLUTION,
}


def _lex_key(
    problem: SchedulingProblem, solution: Solution, objective: tuple[str, ...]
) -> tuple[int, ...]:
    values = objective_values(problem, solution)
    return tuple(values[name] for name in objective)


def solve(problem: SchedulingProblem, options: ScheduleOptions) -> BackendOutcome:
    """Solve ``problem`` with CP-SAT, one stage per objective (lexicographic).

    Each stage minimizes its objective under the time left divided by the stages left, then
    fixes ``objective ≤ value found`` for the next ones and hints the next stage with its
    schedule (hints are cleared first). A valid hint is never lost: when CP-SAT ends with a
    worse schedule (or none), the hint is returned instead.

    Parameters
    ----------
    problem
        The scheduling problem.
    options
        Objective, time limit, workers, seed, determinism, hint, logging.

    Returns
    -------
    BackendOutcome
        Overall stats (status, first objective's value and bound), per-stage stats and the
        schedule.

    Raises
    ------
    RuntimeError
        When CP-SAT reports MODEL_INVALID (a bug in this back-end), with the model's
        validation text.

    """
    began = time.perf_counter()
    deterministic = options.deterministic
    if problem.infeasible:
        stats = SolverStats(
            NAME, SolveStatus.INFEASIBLE, runtime=time.perf_counter() - began, deterministic=True
        )
        return BackendOutcome(stats, None, (stats,))
    if problem.num_operations == 0:
        stats = SolverStats(NAME, SolveStatus.EMPTY, 0.0, 0.0, time.perf_counter() - began)
        return BackendOutcome(stats, None, (stats,))
    hint = options.hint
    if hint is not None and check_schedule(problem, hint):
        _log.warning("ignoring a hint that is not a valid schedule of this problem")
        hint = None
    horizon = problem.serial_bound
    if hint is not None:
        horizon = max(horizon, max(hint.end, default=0))
    built = ScheduleModel(problem, horizon)
    model = built.model
    best: Solution | None = None
    stages: list[SolverStats] = []
    for k, name in enumerate(options.objective):
        expr = built.objectives[name]
        model.minimize(expr)
        if best is not None:
            built.hint(best)
        elif hint is not None:
            built.hint(hint)
        else:
            model.clear_hints()  # type: ignore[no-untyped-call]
        left = max(0.05, options.time_limit - (time.perf_counter() - began))
        solver = cp_model.CpSolver()
        params = solver.parameters
        params.random_seed = options.seed
        params.log_search_progress = options.log
        if options.deterministic:
            params.num_workers = 1
            params.max_deterministic_time = options.time_limit / len(options.objective)
        else:
            params.num_workers = max(1, options.workers)
            params.max_time_in_seconds = left / (len(options.objective) - k)
        t0 = time.perf_counter()
        code = solver.solve(model)
        if code == cp_model.MODEL_INVALID:
            raise RuntimeError(f"oms_plan bug: CP-SAT model invalid: {model.validate()}")
        status = _STATUS[code]
        found = None
        if status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
            found = left_shift(problem, built.read(solver))
        objective = math.nan
        if found is not None:
            value = objective_values(problem, found)[name]
            objective = float(value)
            best = found
            model.add(expr <= value)
        elif best is not None:
            objective = float(objective_values(problem, best)[name])
        bound = float(solver.best_objective_bound) if status != SolveStatus.INFEASIBLE else math.nan
        if status == SolveStatus.OPTIMAL:
            bound = objective
        stages.append(
            SolverStats(NAME, status, objective, bound, time.perf_counter() - t0, deterministic)
        )
        if best is None:
            break  # nothing to fix for later stages
    # A valid hint is never lost: keep it when CP-SAT ended with something worse or nothing.
    if hint is not None and (
        best is None
        or _lex_key(problem, hint, options.objective) < _lex_key(problem, best, options.objective)
    ):
        best = hint
    runtime = time.perf_counter() - began
    first = stages[0]
    if best is None:
        status = first.status
    elif all(s.status == SolveStatus.OPTIMAL for s in stages) and len(stages) == len(
        options.objective
    ):
        status = SolveStatus.OPTIMAL
    else:
        status = SolveStatus.FEASIBLE
    objective = (
        float(objective_values(problem, best)[options.objective[0]])
        if best is not None
        else math.nan
    )
    overall = SolverStats(NAME, status, objective, first.bound, runtime, deterministic)
    return BackendOutcome(overall, best, tuple(stages))
