"""From a schedule to CP-SAT hints, and from CP-SAT's answer back to a schedule."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from ortools.sat.python import cp_model

from oms_plan.schedule.solution import Solution

if TYPE_CHECKING:
    # Annotations only: schedule_model imports this module when it hints and reads.
    from oms_solvers.cpsat.schedule_model import ScheduleModel, _Alt


class _Hinter:
    """Adds each variable's hint once (CP-SAT rejects a hint that names a variable twice)."""

    def __init__(self, model: cp_model.CpModel) -> None:
        self.model = model
        self.seen: set[int] = set()
        self.values: dict[int, int] = {}

    def __call__(self, var: Any, value: int | bool) -> None:
        key = int(var.index)
        if key not in self.seen:
            self.seen.add(key)
            self.values[key] = int(value)
            self.model.add_hint(var, value)


def hint(built: ScheduleModel, solution: Solution) -> None:
    """Replace the model's hints by ``solution`` (every decision variable hinted).

    The solution must lie inside the model's windows (the incumbent the windows were
    computed from, or any schedule at least as good).
    """
    p, m = built.problem, built.model
    m.clear_hints()  # type: ignore[no-untyped-call]
    put = _Hinter(m)
    solution = _relabel_units(built, solution)
    for o, alts in enumerate(built.alts):
        chosen = solution.alternative[o]
        w_chosen = None
        for a in alts:
            if a.index == chosen:
                w_chosen = p.working[a.m].worked(solution.start[o])
        if w_chosen is None:
            raise ValueError(f"hint uses an alternative of operation {o} outside its window")
        for a in alts:
            on = a.index == chosen
            if not isinstance(a.present, int):
                put(a.present, on)
            # Shared positions take the chosen one's value (same working time).
            put(a.w, w_chosen if on or a.shared else a.lo)
            for u, lit in enumerate(a.units):
                put(lit, on and solution.unit[o] == u + 1)
    for var, o, kind in built.op_vars:
        alt = p.operations[o].alternatives[solution.alternative[o]]
        w = p.working[alt.workstation].worked(solution.start[o])
        value = {
            "wend": w + alt.duration,
            "start": solution.start[o],
            "end": solution.end[o],
        }[kind]
        put(var, value)
    for lit, pos, threshold in built.maps.literals:
        put(lit, put.values[int(pos.var.index)] + pos.shift >= threshold)
    _hint_sequences(built, solution, put)
    for x, a, b in built.pairs:
        put(x, (solution.start[a.op], a.op) < (solution.start[b.op], b.op))
    first_use: dict[tuple[int, int], int] = {}
    for mi, alts in built.broken.items():
        for k, a in enumerate(alts):
            if solution.alternative[a.op] == a.index:
                first_use.setdefault((mi, solution.unit[a.op] - 1), k)
    for v, mi, u, k in built.used:
        put(v, first_use.get((mi, u), len(built.problem.operations) + 1) <= k)
    done = [solution.end[order.operations[-1]] for order in p.orders]
    for t, i in built.tardiness:
        put(t, max(0, done[i] - p.orders[i].due))
    for c, i in built.completion:
        put(c, done[i])
    if built.makespan is not None:
        put(built.makespan, max(done))


def _relabel_units(built: ScheduleModel, solution: Solution) -> Solution:
    """The same schedule with units renumbered in order of first use (symmetry breaking)."""
    if not built.broken:
        return solution
    unit = list(solution.unit)
    for alts in built.broken.values():
        mapping: dict[int, int] = {}
        for a in alts:
            if solution.alternative[a.op] == a.index:
                mapping.setdefault(solution.unit[a.op], len(mapping) + 1)
        for a in alts:
            if solution.alternative[a.op] == a.index:
                unit[a.op] = mapping[solution.unit[a.op]]
    return Solution(solution.alternative, tuple(unit), solution.start, solution.end)


def _sequence(solution: Solution, alts: list[_Alt], unit: int) -> list[_Alt]:
    """The alternatives run on ``unit``, in start order."""
    run = [a for a in alts if solution.alternative[a.op] == a.index and solution.unit[a.op] == unit]
    return sorted(run, key=lambda a: (solution.start[a.op], solution.end[a.op], a.op))


def _hint_sequences(built: ScheduleModel, solution: Solution, put: _Hinter) -> None:
    p = built.problem
    for mi, arcs in built.route_arcs.items():
        alts = [b for i, _, _, _, b in arcs if i == 0 and b is not None]
        chosen: set[tuple[int, int]] = set()  # (id(from), id(to)), depot = 0
        used = False
        for unit in range(1, p.workstations[mi].units + 1):
            seq = _sequence(solution, alts, unit)
            if not seq:
                continue
            used = True
            chosen.add((0, id(seq[0])))
            chosen.add((id(seq[-1]), 0))
            chosen |= {(id(a), id(b)) for a, b in itertools.pairwise(seq)}
        for i, k, lit, a, b in arcs:
            if i == k and i != 0:
                continue  # ~present of an alternative
            if i == k:
                put(lit, not used)
                continue
            put(lit, (0 if a is None else id(a), 0 if b is None else id(b)) in chosen)
    for (mi, u), unit_arcs in built.arcs.items():
        alts = [a for alts in built.alts for a in alts if a.m == mi]
        seq = _sequence(solution, alts, u + 1)
        nodes = [alts.index(a) + 1 for a in seq]
        chosen_nodes = {(0, nodes[0]), (nodes[-1], 0)} if nodes else {(0, 0)}
        chosen_nodes |= set(itertools.pairwise(nodes))
        for i, k, lit in unit_arcs:
            if i != k or i == 0:
                put(lit, (i, k) in chosen_nodes)


def read(built: ScheduleModel, solver: cp_model.CpSolver) -> Solution:
    """The schedule of the solver's best solution (units numbered by route or by colouring)."""
    p = built.problem
    n = p.num_operations
    alternative, unit, start, end = [0] * n, [1] * n, [0] * n, [0] * n
    w_of = [0] * n
    for o, alts in enumerate(built.alts):
        for a in alts:
            if isinstance(a.present, int) or solver.boolean_value(a.present):
                alternative[o] = a.index
                w_of[o] = int(solver.value(a.w))
                start[o], end[o] = p.working[a.m].clock(w_of[o], a.duration)
                for u, lit in enumerate(a.units):
                    if solver.boolean_value(lit):
                        unit[o] = u + 1
    for mi, arcs in built.route_arcs.items():
        _units_from_routes(arcs, solver, start, unit, p.workstations[mi].units)
    for mi, ws in enumerate(p.workstations):
        if ws.units == 1 or mi in built.route_arcs or p.has_changeovers(mi):
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


def _units_from_routes(
    arcs: list[tuple[int, int, Any, _Alt | None, _Alt | None]],
    solver: cp_model.CpSolver,
    start: list[int],
    unit: list[int],
    units: int,
) -> None:
    """Number the routes leaving the depot 1, 2, … in order of their first start."""
    nxt: dict[int, _Alt | None] = {}
    firsts: list[_Alt] = []
    for i, k, lit, a, b in arcs:
        if i == k or not solver.boolean_value(lit):
            continue
        if a is None and b is not None:
            firsts.append(b)
        elif a is not None:
            nxt[id(a)] = b
    firsts.sort(key=lambda a: (start[a.op], a.op))
    if len(firsts) > units:
        raise RuntimeError(f"oms_plan bug: {len(firsts)} routes for {units} units")
    for u, a in enumerate(firsts, start=1):
        cur: _Alt | None = a
        while cur is not None:
            unit[cur.op] = u
            cur = nxt.get(id(cur))
