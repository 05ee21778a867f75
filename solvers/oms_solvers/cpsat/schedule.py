"""CP-SAT back-end for finite-capacity scheduling.

The model lives in each workstation's *working-time space* (``W(t)`` = working minutes before
clock minute ``t``, see :mod:`oms_plan.schedule.calendar`): an operation of ``d`` working
minutes on workstation ``m`` is an interval ``[w, w + d)`` in ``m``'s working time, so units
need only plain no-overlap / cumulative constraints on fixed-size intervals, whatever the
calendar. Workstations with identical working time form one *class* and share that space:
steps on the same class are chained there directly (``w_next ≥ w_prev + d_prev``). Only
where clock time is needed — a step that changes class, and order completions for the
objectives — a table constraint over the stretches maps a working position back to clock
minutes. Constraint families, in the order they are added (each a method below):

1. alternatives: exactly one alternative per operation (optional intervals); release dates
   as lower bounds of working positions;
2. precedence: steps in order (in working time within a class, in clock time across);
3. capacity: no-overlap (1 unit), cumulative (several identical units), or one optional
   interval per unit with a circuit of changeovers where sequence-dependent setups apply;
4. objectives: weighted tardiness, makespan, flow time; several = lexicographic stages.
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
from oms_plan.schedule.options import BackendOutcome, ScheduleOptions, ScheduleOutcome
from oms_plan.schedule.problem import SchedulingProblem
from oms_plan.schedule.result import Solution, objective_values

NAME = "cpsat"
CAPABILITIES = frozenset({"hint", "bound"})
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
    interval: cp_model.IntervalVar
    w_min: int = 0
    w_max: int = 0
    shared: bool = False  # w is the operation's start position, shared by its alternatives
    units: list[cp_model.IntVar] = field(default_factory=list)  # one literal per unit (setups)
    aux: list[_Clock] = field(default_factory=list)
    clocks: dict[bool, LinearExpr] = field(default_factory=dict)  # is_end → clock minute


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
        # Working-time class of each workstation (identical stretches = same class).
        keys: dict[tuple[bytes, bytes], int] = {}
        self.cls = [
            keys.setdefault((w.starts.tobytes(), w.ends.tobytes()), len(keys))
            for w in problem.working
        ]
        self.op_class: list[int | None] = []
        self.op_w: dict[int, tuple[LinearExpr, LinearExpr]] = {}  # o → (start, end) positions
        self.op_clock: dict[tuple[int, bool], LinearExpr] = {}  # (o, is_end) → clock minute
        self.op_vars: list[tuple[cp_model.IntVar, int, str]] = []  # op-level vars to hint
        self.arcs: dict[tuple[int, int], list[tuple[int, int, Any]]] = {}
        self.tardiness: list[cp_model.IntVar] = []
        self.makespan: cp_model.IntVar | None = None
        self.num_tables = 0
        self._alternatives()
        self._precedence()
        self._capacity()
        self.objectives = self._objectives()

    # -- 1: alternatives --------------------------------------------------------------------
    def _alternatives(self) -> None:
        """Σ_j present[o, j] = 1; working position ≥ W(release) for an order's first step."""
        p, m = self.problem, self.model
        first = {o.operations[0]: o.release for o in p.orders}
        for o, op in enumerate(p.operations):
            single = len(op.alternatives) == 1
            classes = {self.cls[a.workstation] for a in op.alternatives}
            self.op_class.append(classes.pop() if len(classes) == 1 else None)
            shared = None
            if not single and self.op_class[o] is not None:
                # One working-time space for all alternatives: they share start and end
                # positions, as in a plain flexible job-shop model (strong propagation).
                top = p.working[op.alternatives[0].workstation].total
                shared = (
                    m.new_int_var(0, top, f"wstart_o{o}"),
                    m.new_int_var(0, top, f"wend_o{o}"),
                )
                self.op_w[o] = shared
                self.op_vars.append((shared[1], o, "wend"))
            alts = []
            for j, alt in enumerate(op.alternatives):
                present: cp_model.IntVar | int = 1 if single else m.new_bool_var(f"use_o{o}_a{j}")
                alts.append(
                    self._alternative(
                        o,
                        j,
                        alt.workstation,
                        alt.duration,
                        alt.family,
                        present,
                        first.get(o, 0),
                        shared,
                    )
                )
            self.alts.append(alts)
            if not single:
                m.add_exactly_one(a.present for a in alts)
            if single and self.op_class[o] is not None:
                self.op_w[o] = (alts[0].w, alts[0].w + alts[0].duration)

    def _alternative(
        self,
        o: int,
        j: int,
        ws_index: int,
        d: int,
        family: int,
        present: cp_model.IntVar | int,
        release: int,
        shared: tuple[cp_model.IntVar, cp_model.IntVar] | None = None,
    ) -> _Alt:
        """Optional interval ``[w, w + d)`` in the workstation's working time.

        Pausable: ``w ∈ [W(release), W(horizon) − d]``; non-pausable: also
        ``w ∈ ∪_k [cum[k], cum_end[k] − d]`` (inside one stretch).
        """
        p, m = self.problem, self.model
        ws, wt = p.workstations[ws_index], p.working[ws_index]
        need = max(d, 1)
        lo, limit = wt.worked(release), wt.worked(self.horizon) - need
        if ws.pausable or wt.always_open:
            dom = cp_model.Domain(lo, limit) if limit >= lo else cp_model.Domain.from_values([])
        else:
            pieces = [
                [max(lo, int(a)), min(limit, int(b) - need)]
                for a, b in zip(wt.cum, wt.cum_end, strict=True)
                if max(lo, int(a)) <= min(limit, int(b) - need)
            ]
            dom = cp_model.Domain.from_intervals(pieces)
        tag = f"o{o}_a{j}"
        if dom.is_empty():
            # Cannot run before the horizon, so absent. The horizon is at least the serial
            # bound, where every usable alternative fits: an operation always keeps one.
            if isinstance(present, int):
                raise RuntimeError(
                    f"oms_plan bug: operation {o} does not fit before {self.horizon}"
                )
            dom = cp_model.Domain(0, 0)
            m.add(present == 0)
        if shared is not None and not isinstance(present, int):
            w = shared[0]
            m.add_linear_expression_in_domain(w, dom).only_enforce_if(present)
            interval = m.new_optional_interval_var(w, d, shared[1], present, f"iv_{tag}")
            return _Alt(
                o,
                j,
                ws_index,
                d,
                family,
                present,
                w,
                interval,
                int(dom.min()),
                int(dom.max()),
                shared=True,
            )
        w = m.new_int_var_from_domain(dom, f"w_{tag}")
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
            interval,
            w_min=int(dom.min()),
            w_max=int(dom.max()),
        )

    # -- clock minutes, created on demand ---------------------------------------------------
    def clock(self, o: int, is_end: bool) -> LinearExpr:
        """Clock minute of the start (or end) of operation ``o``."""
        key = (o, is_end)
        if key in self.op_clock:
            return self.op_clock[key]
        alts = self.alts[o]
        exprs = [self._alt_clock(a, is_end) for a in alts]
        if len(alts) == 1:
            self.op_clock[key] = exprs[0]
            return exprs[0]
        var = self.model.new_int_var(0, self.horizon, f"{'end' if is_end else 'start'}_o{o}")
        for a, e in zip(alts, exprs, strict=True):
            self.model.add(var == e).only_enforce_if(a.present)
        self.op_clock[key] = var
        self.op_vars.append((var, o, "end" if is_end else "start"))
        return var

    def _alt_clock(self, a: _Alt, is_end: bool) -> LinearExpr:
        if is_end in a.clocks:
            return a.clocks[is_end]
        p = self.problem
        wt, pausable = p.working[a.m], p.workstations[a.m].pausable
        expr: LinearExpr
        if wt.always_open:
            expr = a.w + a.duration if is_end else a.w
        elif not is_end:
            expr = self._clock(
                a.w, wt, f"o{a.op}_a{a.index}_s", end=False, aux=a.aux, low=a.w_min, high=a.w_max
            )
        elif a.duration == 0:
            expr = self._alt_clock(a, False)
        elif pausable:
            d = a.duration
            tag = f"o{a.op}_a{a.index}_e"
            expr = self._clock(
                a.w + d, wt, tag, end=True, aux=a.aux, low=a.w_min + d, high=a.w_max + d
            )
        else:
            expr = self._alt_clock(a, False) + a.duration
        a.clocks[is_end] = expr
        return expr

    def _clock(
        self,
        pos: LinearExpr,
        wt: WorkingTime,
        tag: str,
        *,
        end: bool,
        aux: list[_Clock],
        low: int,
        high: int,
    ) -> cp_model.IntVar:
        """Clock minute of working position ``pos`` (start: minute ``pos``; end: after it).

        One table row per stretch ``k``: ``(lo_k, hi_k, offset_k)`` with ``lo ≤ pos ≤ hi`` and
        clock = ``pos + offset``; for a start ``lo = cum[k]``, ``hi = cum_end[k] − 1``, for an
        end ``lo = cum[k] + 1``, ``hi = cum_end[k]``.
        """
        m = self.model
        last = max(1, int((wt.starts < self.horizon).sum()))
        # Only the stretches ``pos`` can reach (its domain): fewer rows, fewer literals.
        rows = []
        for k in range(last):
            lo, hi = int(wt.cum[k]), int(wt.cum_end[k])
            off = int(wt.starts[k]) - lo
            row = (lo + 1, hi, off) if end else (lo, hi - 1, off)
            if row[1] >= low and row[0] <= high:
                rows.append(row)
        if not rows:  # pos cannot be in working time at all: keep one row, the model fails
            rows.append((0, 0, 0))
        lo_v = m.new_int_var(min(r[0] for r in rows), max(r[0] for r in rows), f"lo_{tag}")
        hi_v = m.new_int_var(min(r[1] for r in rows), max(r[1] for r in rows), f"hi_{tag}")
        off_v = m.new_int_var(min(r[2] for r in rows), max(r[2] for r in rows), f"off_{tag}")
        m.add_allowed_assignments([lo_v, hi_v, off_v], rows)
        m.add(lo_v <= pos)
        m.add(pos <= hi_v)
        clock = m.new_int_var(0, self.horizon, f"clock_{tag}")
        m.add(clock - off_v == pos)
        aux.append(_Clock(lo_v, hi_v, off_v, clock, end))
        self.num_tables += 1
        return clock

    # -- 2: precedence ----------------------------------------------------------------------
    def _precedence(self) -> None:
        """Within an order: ``w_start[b] ≥ w_end[a]`` on one class, else ``start[b] ≥ end[a]``."""
        for order in self.problem.orders:
            for a, b in itertools.pairwise(order.operations):
                ca, cb = self.op_class[a], self.op_class[b]
                if ca is not None and ca == cb:
                    self.model.add(self.op_w[b][0] >= self.op_w[a][1])
                else:
                    self.model.add(self.clock(b, False) >= self.clock(a, True))

    # -- 3: capacity ------------------------------------------------------------------------
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
                    oa, ob = p.operations[a.op], p.operations[b.op]
                    if oa.order == ob.order and ob.step < oa.step:
                        continue  # b is an earlier step of the same order: it cannot follow a
                    lit = m.new_bool_var(f"next_m{mi}_u{u + 1}_{i}_{k}")
                    gap = a.duration + p.changeover(mi, a.family, b.family)
                    m.add(b.w >= a.w + gap).only_enforce_if(lit)
                    arcs.append((i, k, lit))
            m.add_circuit(arcs)
            self.arcs[(mi, u)] = arcs

    # -- 4: objectives ----------------------------------------------------------------------
    def _objectives(self) -> dict[str, LinearExpr]:
        """Σ w_i·T_i with T_i ≥ C_i − due_i, T_i ≥ 0; C_max ≥ C_i; Σ (C_i − r_i)."""
        p, m = self.problem, self.model
        completion = [self.clock(o.operations[-1], True) for o in p.orders]
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
        hinted: set[int] = set()
        add_hint = m.add_hint

        def hint_once(var: Any, value: Any) -> None:
            # Alternatives, auxiliary maps and operation variables can share one variable;
            # CP-SAT rejects a model whose hint names a variable twice. The first value
            # written comes from the chosen alternative's own data, so it is kept.
            key = int(var.index)
            if key not in hinted:
                hinted.add(key)
                add_hint(var, value)

        for o, alts in enumerate(self.alts):
            chosen = solution.alternative[o]
            for a in alts:
                on = a.index == chosen
                if not isinstance(a.present, int):
                    hint_once(a.present, on)
                wt = p.working[a.m]
                # Shared positions take the chosen one's value (same working time, same map).
                w = wt.worked(solution.start[o]) if on or a.shared else a.w_min
                if on or not a.shared:
                    hint_once(a.w, w)
                for u, lit in enumerate(a.units):
                    if not isinstance(a.present, int) or len(a.units) > 1:
                        hint_once(lit, on and solution.unit[o] == u + 1)
                for aux in a.aux:
                    pos = w + a.duration if aux.is_end else w
                    k = _stretch(wt, pos, aux.is_end)
                    lo, hi = int(wt.cum[k]), int(wt.cum_end[k])
                    hint_once(aux.lo, lo + 1 if aux.is_end else lo)
                    hint_once(aux.hi, hi if aux.is_end else hi - 1)
                    hint_once(aux.offset, int(wt.starts[k]) - lo)
                    hint_once(aux.clock, pos + int(wt.starts[k]) - lo)
        for var, o, kind in self.op_vars:
            alt = p.operations[o].alternatives[solution.alternative[o]]
            w = p.working[alt.workstation].worked(solution.start[o])
            value = {
                "wstart": w,
                "wend": w + alt.duration,
                "start": solution.start[o],
                "end": solution.end[o],
            }[kind]
            hint_once(var, value)
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
                    hint_once(lit, (i, k) in chosen_arcs)
        values = objective_values(p, solution)
        done = [solution.end[o.operations[-1]] for o in p.orders]
        for order, t, c in zip(p.orders, self.tardiness, done, strict=True):
            hint_once(t, max(0, c - order.due))
        if self.makespan is not None:
            hint_once(self.makespan, values["makespan"])

    def read(self, solver: cp_model.CpSolver) -> Solution:
        """The schedule of the solver's best solution (units assigned where cumulative)."""
        p = self.problem
        n = p.num_operations
        alternative, unit, start, end = [0] * n, [1] * n, [0] * n, [0] * n
        w_of = [0] * n
        for o, alts in enumerate(self.alts):
            for a in alts:
                if isinstance(a.present, int) or solver.boolean_value(a.present):
                    alternative[o] = a.index
                    w_of[o] = int(solver.value(a.w))
                    start[o], end[o] = p.working[a.m].clock(w_of[o], a.duration)
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


def solve(problem: SchedulingProblem, options: ScheduleOptions) -> ScheduleOutcome:
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
        # A warm start bounds how late a good schedule ends: cap the horizon at 1.5 × its
        # makespan plus a week (fewer stretches to map, tighter domains).
        span = max(hint.end, default=0)
        horizon = max(span, min(horizon, span + span // 2 + 7 * 1440))
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
        if built.num_tables:
            # Presolve expands every stretch table into literals (tens of thousands for a
            # season of shifts) and then probes them for most of the time limit; the tables
            # propagate well enough as they are.
            params.cp_model_presolve = False
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
