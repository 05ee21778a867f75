"""The CP-SAT model of a scheduling problem, in working-time space.

An operation of ``d`` working minutes on workstation ``m`` is an interval ``[w, w + d)`` in
``m``'s working time (``W(t)`` = working minutes before clock minute ``t``), so capacity is
plain no-overlap / cumulative on fixed-size intervals whatever the calendar. Workstations with
identical working time form one *class* and share that space: steps on one class are chained
there (``w_next ≥ w_prev + d_prev``) and alternatives on one class share their start and end
positions. Clock minutes are only built where they are needed — a step that changes class,
and order completions for the objectives — as staircases with one literal per break inside
the operation's window (:mod:`oms_solvers.cpsat.schedule_clock`). The windows
(:mod:`oms_solvers.cpsat.schedule_windows`) come from release dates, routings and the
incumbent's objective, so each map crosses only the breaks a good schedule can reach.

Constraint families, in the order they are added (each a method below):

1. alternatives: exactly one usable alternative per operation (optional intervals);
2. precedence: steps in order (in working time within a class, in clock time across);
3. capacity: no-overlap (1 unit), cumulative (identical units), or routes with changeovers
   (one circuit through all alternatives of the workstation, at most ``units`` routes leave
   the depot) plus the redundant no-overlap / cumulative;
4. objectives: weighted tardiness, makespan, flow time; several = lexicographic stages.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from oms_plan.schedule.problem import SchedulingProblem
from oms_plan.schedule.solution import Solution
from oms_solvers.cpsat import schedule_setups as setups
from oms_solvers.cpsat.schedule_clock import ClockMaps, LinearExpr, Position
from oms_solvers.cpsat.schedule_windows import Windows, compute_windows

Arc = tuple[int, int, Any]


@dataclass(frozen=True, slots=True)
class Span:
    """An operation's start and end positions in its class's working time, with windows."""

    start: Position
    end: Position
    lo: int
    hi: int
    lo_end: int
    hi_end: int


@dataclass
class _Alt:
    """Variables of one usable alternative (operation ``op`` on workstation ``m``)."""

    op: int
    index: int
    m: int
    duration: int
    family: int
    present: cp_model.IntVar | int  # 1 when it is the operation's only usable alternative
    w: cp_model.IntVar  # start position in the workstation's working time
    interval: cp_model.IntervalVar
    lo: int
    hi: int
    shared: bool = False  # w is the operation's start position, shared by its alternatives
    units: list[cp_model.IntVar] = field(default_factory=list)  # per-unit literals (circuits)

    @property
    def start(self) -> Position:
        """Start position."""
        return Position(self.w)

    @property
    def end(self) -> Position:
        """End position."""
        return Position(self.w, self.duration)


class ScheduleModel:
    """The CP-SAT model of a :class:`SchedulingProblem` (built once, solved in stages).

    Parameters
    ----------
    problem
        The problem (must not be known infeasible and must have operations).
    horizon
        Latest clock minute any operation may end.
    objective
        The objectives to build, in lexicographic order (the first one bounds the windows).
    incumbent
        A valid schedule: its first objective value narrows every operation's window.
    setups
        How changeovers are modelled: ``"pairs"`` (pairwise disjunctions where the windows
        overlap, when the changeover matrix allows it, else routes), ``"routes"`` (one
        circuit through all alternatives, at most ``units`` routes), ``"unit_circuits"``
        (one circuit per unit). The last two are kept to measure against.
    hull
        Add the lower convex hull of every clock map to the tardiness (a linear relaxation
        at the calendar's pace). Off: measured, it raised no bound and slowed the search
        (docs/scheduling.md); kept to measure again.

    """

    def __init__(
        self,
        problem: SchedulingProblem,
        horizon: int,
        objective: Sequence[str] = ("weighted_tardiness",),
        incumbent: Solution | None = None,
        *,
        setups: str = "pairs",
        hull: bool = False,
    ) -> None:
        self.problem = problem
        self.horizon = horizon
        self.setups = setups
        self.hull = hull
        self.model = cp_model.CpModel()
        self.windows: Windows = compute_windows(problem, horizon, objective[0], incumbent)
        self.maps = ClockMaps(self.model)
        keys: dict[tuple[bytes, bytes], int] = {}
        # Working-time class of each workstation (identical stretches = same class).
        self.cls = [
            keys.setdefault((w.starts.tobytes(), w.ends.tobytes()), len(keys))
            for w in problem.working
        ]
        self.alts: list[list[_Alt]] = []
        self.op_class: list[int | None] = []
        self.op_w: dict[int, Span] = {}  # operations whose alternatives share one class
        self.op_clock: dict[tuple[int, bool], LinearExpr] = {}
        self.op_vars: list[tuple[cp_model.IntVar, int, str]] = []  # op-level vars to hint
        self.arcs: dict[tuple[int, int], list[Arc]] = {}
        self.route_arcs: dict[int, list[tuple[int, int, Any, _Alt | None, _Alt | None]]] = {}
        self.pairs: list[tuple[cp_model.IntVar, _Alt, _Alt]] = []  # x ⇔ a before b
        self.used: list[tuple[cp_model.IntVar, int, int, int]] = []  # (v, m, unit, k)
        self.broken: dict[int, list[_Alt]] = {}  # workstations with symmetry-broken units
        self.tardiness: list[tuple[cp_model.IntVar, int]] = []  # (T_i, order)
        self.completion: list[tuple[cp_model.IntVar, int]] = []  # (C_i, order)
        self.makespan: cp_model.IntVar | None = None
        self._alternatives()
        self._precedence()
        self._capacity()
        self.objectives = self._objectives(objective)

    def hint(self, solution: Solution) -> None:
        """Replace the hints by ``solution`` (see :mod:`oms_solvers.cpsat.schedule_solution`)."""
        from oms_solvers.cpsat.schedule_solution import hint

        hint(self, solution)

    def read(self, solver: cp_model.CpSolver) -> Solution:
        """The schedule of the solver's best solution."""
        from oms_solvers.cpsat.schedule_solution import read

        return read(self, solver)

    @property
    def num_tables(self) -> int:
        """Number of clock maps with at least one break literal."""
        return self.maps.num_maps

    # -- 1: alternatives --------------------------------------------------------------------
    def _alternatives(self) -> None:
        """Σ_j present[o, j] = 1 over usable alternatives; windows as position domains."""
        p, m, win = self.problem, self.model, self.windows
        for o, op in enumerate(p.operations):
            usable = [j for j in range(len(op.alternatives)) if win.usable(o, j)]
            if not usable:
                raise RuntimeError(f"oms_plan bug: operation {o} has no room before {self.horizon}")
            single = len(usable) == 1
            classes = {self.cls[op.alternatives[j].workstation] for j in usable}
            self.op_class.append(classes.pop() if len(classes) == 1 else None)
            shared = None
            if not single and self.op_class[o] is not None:
                # One working-time space for all alternatives: they share start and end
                # positions, as in a plain flexible job-shop model (strong propagation).
                lo = min(win.lo[o][j] for j in usable)
                hi = max(win.hi[o][j] for j in usable)
                durations = [op.alternatives[j].duration for j in usable]
                shared = (
                    m.new_int_var(lo, hi, f"wstart_o{o}"),
                    m.new_int_var(lo + min(durations), hi + max(durations), f"wend_o{o}"),
                )
                self.op_w[o] = Span(
                    Position(shared[0]),
                    Position(shared[1]),
                    lo,
                    hi,
                    lo + min(durations),
                    hi + max(durations),
                )
                self.op_vars.append((shared[1], o, "wend"))
            alts: list[_Alt] = []
            for j in usable:
                present: cp_model.IntVar | int = 1 if single else m.new_bool_var(f"use_o{o}_a{j}")
                alts.append(self._alternative(o, j, present, shared))
            self.alts.append(alts)
            if not single:
                m.add_exactly_one(a.present for a in alts)
            elif self.op_class[o] is not None:
                a = alts[0]
                self.op_w[o] = Span(
                    a.start, a.end, a.lo, a.hi, a.lo + a.duration, a.hi + a.duration
                )

    def _alternative(
        self,
        o: int,
        j: int,
        present: cp_model.IntVar | int,
        shared: tuple[cp_model.IntVar, cp_model.IntVar] | None,
    ) -> _Alt:
        """Optional interval ``[w, w + d)`` in the workstation's working time.

        ``w ∈ [lo, hi]`` (the window); non-pausable: also ``w ∈ ∪_k [cum[k], cum_end[k] − d]``
        (inside one stretch).
        """
        p, m = self.problem, self.model
        alt = p.operations[o].alternatives[j]
        ws, wt = p.workstations[alt.workstation], p.working[alt.workstation]
        lo, hi, d = self.windows.lo[o][j], self.windows.hi[o][j], alt.duration
        if ws.pausable or wt.always_open:
            dom = cp_model.Domain(lo, hi)
        else:
            need = max(d, 1)
            pieces = [
                [max(lo, int(a)), min(hi, int(b) - need)]
                for a, b in zip(wt.cum, wt.cum_end, strict=True)
                if max(lo, int(a)) <= min(hi, int(b) - need)
            ]
            dom = cp_model.Domain.from_intervals(pieces)
        tag = f"o{o}_a{j}"
        if dom.is_empty():
            raise RuntimeError(f"oms_plan bug: operation {o} alternative {j} has an empty window")
        if shared is not None and not isinstance(present, int):
            w = shared[0]
            m.add_linear_expression_in_domain(w, dom).only_enforce_if(present)
            interval = m.new_optional_interval_var(w, d, shared[1], present, f"iv_{tag}")
            return _Alt(o, j, alt.workstation, d, alt.family, present, w, interval, lo, hi, True)
        w = m.new_int_var_from_domain(dom, f"w_{tag}")
        if isinstance(present, int):
            interval = m.new_fixed_size_interval_var(w, d, f"iv_{tag}")
        else:
            interval = m.new_optional_fixed_size_interval_var(w, d, present, f"iv_{tag}")
        return _Alt(o, j, alt.workstation, d, alt.family, present, w, interval, lo, hi)

    # -- clock minutes, created on demand ---------------------------------------------------
    def _shared_map(self, o: int, is_end: bool) -> bool:
        """Whether one map of the operation's shared position gives its clock start/end."""
        if o not in self.op_w or len(self.alts[o]) == 1:
            return False
        if not is_end:
            return True
        a0 = self.alts[o][0]
        pausable = (
            self.problem.workstations[a0.m].pausable or self.problem.working[a0.m].always_open
        )
        # A non-pausable end is start + d, a zero-length end is its start: per alternative.
        return pausable and all(a.duration > 0 for a in self.alts[o])

    def clock(self, o: int, is_end: bool, floor_clock: int | None = None) -> LinearExpr:
        """Clock minute of the start (or end) of operation ``o``.

        With ``floor_clock``, the expression only needs to be exact at clock minutes after
        it (below, it stays ≤ ``floor_clock``): used for tardiness and the makespan. Then
        the operation must have one map (see :meth:`ends_floored`).
        """
        key = (o, is_end)
        if floor_clock is None and key in self.op_clock:
            return self.op_clock[key]
        alts = self.alts[o]
        if self._shared_map(o, is_end):
            span = self.op_w[o]
            a0 = alts[0]
            wt = self.problem.working[a0.m]
            floor = None if floor_clock is None else wt.worked(floor_clock)
            pos, low, top = (
                (span.end, span.lo_end, span.hi_end)
                if is_end
                else (
                    span.start,
                    span.lo,
                    span.hi,
                )
            )
            expr = self.maps.clock(
                pos, low, top, wt, self.cls[a0.m], is_end=is_end, floor=floor, tag=f"o{o}"
            )
        elif len(alts) == 1:
            expr = self._alt_clock(alts[0], is_end, floor_clock)
        elif floor_clock is not None:
            raise RuntimeError("oms_plan bug: a floored clock of an operation without one map")
        else:
            var = self.model.new_int_var(0, self.horizon, f"{'end' if is_end else 'start'}_o{o}")
            for a in alts:
                self.model.add(var == self._alt_clock(a, is_end)).only_enforce_if(a.present)
            self.op_vars.append((var, o, "end" if is_end else "start"))
            expr = var
        if floor_clock is None:
            self.op_clock[key] = expr
        return expr

    def _alt_clock(self, a: _Alt, is_end: bool, floor_clock: int | None = None) -> LinearExpr:
        """Clock minute of the start (or end) of alternative ``a`` (exact in its window)."""
        p = self.problem
        wt, pausable = p.working[a.m], p.workstations[a.m].pausable
        floor = None if floor_clock is None else wt.worked(floor_clock)
        tag = f"o{a.op}_a{a.index}"
        if is_end and a.duration > 0 and (pausable or wt.always_open):
            return self.maps.clock(
                a.end,
                a.lo + a.duration,
                a.hi + a.duration,
                wt,
                self.cls[a.m],
                is_end=True,
                floor=floor,
                tag=tag,
            )
        if is_end and floor is not None:
            # Non-pausable (or zero-length): end = start + d; floor the start accordingly.
            floor = max(0, floor - a.duration)
        start = self.maps.clock(
            a.start, a.lo, a.hi, wt, self.cls[a.m], is_end=False, floor=floor, tag=tag
        )
        return start + a.duration if is_end else start

    def ends_floored(self, o: int, floor_clock: int) -> list[tuple[LinearExpr, Any]]:
        """``(clock end expression exact above floor_clock, presence)`` per way to run ``o``."""
        alts = self.alts[o]
        if len(alts) == 1 or self._shared_map(o, True):
            return [(self.clock(o, True, floor_clock), None)]
        return [(self._alt_clock(a, True, floor_clock), a.present) for a in alts]

    def end_maps(self, o: int) -> list[tuple[Position, int, int, int, bool, int, Any]]:
        """How the clock end of ``o`` is mapped, per way to run it.

        ``(position, lo, hi, workstation, is_end, add, presence)``: clock end =
        ``map(position) + add`` where ``map`` is the workstation's start or end map over
        ``[lo, hi]``; ``presence`` is ``None`` when it holds whichever alternative runs.
        """
        alts = self.alts[o]
        if self._shared_map(o, True):
            span = self.op_w[o]
            return [(span.end, span.lo_end, span.hi_end, alts[0].m, True, 0, None)]
        out = []
        for a in alts:
            lit = None if len(alts) == 1 else a.present
            p = self.problem
            if a.duration > 0 and (p.workstations[a.m].pausable or p.working[a.m].always_open):
                out.append((a.end, a.lo + a.duration, a.hi + a.duration, a.m, True, 0, lit))
            else:
                out.append((a.start, a.lo, a.hi, a.m, False, a.duration, lit))
        return out

    def _hull_cuts(self, o: int, target: LinearExpr, shift: int) -> None:
        """``target + shift ≥`` every edge of the lower hull of ``o``'s clock end map.

        Redundant with the exact map, but linear in the working position: the relaxation
        sees the calendar's pace instead of one clock minute per working minute.
        """
        for pos, lo, hi, mi, is_end, add, lit in self.end_maps(o):
            wt = self.problem.working[mi]
            if wt.always_open or hi <= lo:
                continue
            hull = wt.lower_hull(lo, hi, is_end)
            for (x1, y1), (x2, y2) in itertools.pairwise(hull):
                if y2 + add <= shift:
                    continue  # below the floor: implied by target ≥ 0
                run, rise = x2 - x1, y2 - y1
                g = math.gcd(run, rise)
                run, rise = run // g, rise // g
                c = self.model.add(
                    run * (target + shift) >= rise * (pos.expr - x1) + run * (y1 + add)
                )
                if lit is not None:
                    c.only_enforce_if(lit)

    # -- 2: precedence ----------------------------------------------------------------------
    def _precedence(self) -> None:
        """Within an order: ``w_start[b] ≥ w_end[a]`` on one class, else ``start[b] ≥ end[a]``."""
        for order in self.problem.orders:
            for a, b in itertools.pairwise(order.operations):
                ca, cb = self.op_class[a], self.op_class[b]
                if ca is not None and ca == cb:
                    self.model.add(self.op_w[b].start.expr >= self.op_w[a].end.expr)
                else:
                    self.model.add(self.clock(b, False) >= self.clock(a, True))

    # -- 3: capacity ------------------------------------------------------------------------
    def _capacity(self) -> None:
        """Per workstation: no-overlap, cumulative, or routes with changeovers."""
        p = self.problem
        on: list[list[_Alt]] = [[] for _ in p.workstations]
        for alts in self.alts:
            for a in alts:
                on[a.m].append(a)
        for mi, ws in enumerate(p.workstations):
            alts = on[mi]
            if not alts:
                continue
            if ws.units == 1:
                self.model.add_no_overlap([a.interval for a in alts])
            else:
                # Identical units: units are assigned afterwards (or follow the routes).
                self.model.add_cumulative([a.interval for a in alts], [1] * len(alts), ws.units)
            if p.has_changeovers(mi) and len(alts) > 1:
                if self.setups == "pairs" and setups.triangle_ok(p, mi, alts):
                    setups.pairwise(self, mi, alts)
                elif self.setups == "unit_circuits" and ws.units > 1:
                    setups.unit_circuits(self, mi, alts)
                else:
                    setups.routes(self, mi, alts)

    # -- 4: objectives ----------------------------------------------------------------------
    def _objectives(self, names: Sequence[str]) -> dict[str, LinearExpr]:
        """Σ ω_i T_i with T_i ≥ C_i − due_i; C_max ≥ C_i; Σ (C_i − r_i)."""
        p, m, win = self.problem, self.model, self.windows
        out: dict[str, LinearExpr] = {}
        if "weighted_tardiness" in names:
            terms = []
            for i, order in enumerate(p.orders):
                lb = win.tardiness_bound[i]
                ub = max(lb, win.latest_completion[i] - order.due)
                t = m.new_int_var(lb, ub, f"tardy_{i}")
                self.tardiness.append((t, i))
                terms.append(order.weight * t)
                if ub == 0:
                    continue
                for expr, lit in self.ends_floored(order.operations[-1], order.due):
                    c = m.add(t >= expr - order.due)
                    if lit is not None:
                        c.only_enforce_if(lit)
                if self.hull:
                    self._hull_cuts(order.operations[-1], t, order.due)
            out["weighted_tardiness"] = sum(terms)
        if "makespan" in names:
            lb = max(win.earliest_completion)
            self.makespan = m.new_int_var(lb, max(lb, max(win.latest_completion)), "makespan")
            for order in p.orders:
                for expr, lit in self.ends_floored(order.operations[-1], lb):
                    c = m.add(self.makespan >= expr)
                    if lit is not None:
                        c.only_enforce_if(lit)
            out["makespan"] = self.makespan
        if "flow_time" in names:
            total = []
            for i, order in enumerate(p.orders):
                c_i = m.new_int_var(
                    win.earliest_completion[i], win.latest_completion[i], f"completion_{i}"
                )
                m.add(c_i == self.clock(order.operations[-1], True))
                self.completion.append((c_i, i))
                total.append(c_i - order.release)
            out["flow_time"] = sum(total)
        return out
