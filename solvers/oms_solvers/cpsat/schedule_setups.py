"""Sequence-dependent changeovers in the CP-SAT model: pairs, routes or per-unit circuits.

A changeover ``c(f, g)`` (working minutes of the workstation) must separate two operations
that run one after the other on a unit. Three encodings, all exact where they are used:

* **pairs** (default where valid): for two alternatives whose windows let them run in either
  order, one literal ``x_ab`` with ``x_ab ⇒ w_b ≥ w_a + d_a + c_ab`` and
  ``¬x_ab ⇒ w_a ≥ w_b + d_b + c_ba``, enforced when both run on the same unit. Pairs whose
  windows fix the order need nothing. Asking the changeover of *every* ordered pair, not
  only of neighbours, is exact when the matrix cannot be beaten by passing through a third
  operation: ``c(f, h) ≤ c(f, g) + d_b + c(g, h)`` for every operation ``b`` (family ``g``)
  that can run there (:func:`triangle_ok`). Cost: a handful of literals per overlapping
  pair instead of a quadratic circuit over the whole season.
* **routes**: one circuit from a depot through every alternative (absent ones loop on
  themselves), at most ``units`` routes; arc ``a → b`` ⇒ ``w_b ≥ w_a + d_a + c_ab``.
* **unit circuits**: one literal per unit and one circuit per unit (the previous model).

Several units with pairs: one literal per unit and alternative, a no-overlap per unit, and
the units are symmetry-broken (a unit is used only when the one before it is used by an
earlier alternative), so identical units do not multiply the search.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oms_plan.schedule.problem import SchedulingProblem

if TYPE_CHECKING:
    from oms_solvers.cpsat.schedule_model import ScheduleModel, _Alt


def triangle_ok(problem: SchedulingProblem, mi: int, alts: list[_Alt]) -> bool:
    """Whether changeovers of all ordered pairs equal those of neighbours (see the module)."""
    fams = sorted({a.family for a in alts})
    shortest: dict[int, int] = {}
    for a in alts:
        shortest[a.family] = min(shortest.get(a.family, a.duration), a.duration)
    for g in fams:
        for f in fams:
            for h in fams:
                direct = problem.changeover(mi, f, h)
                via = problem.changeover(mi, f, g) + shortest[g] + problem.changeover(mi, g, h)
                if direct > via:
                    return False
    return True


def _possible(problem: SchedulingProblem, mi: int, a: _Alt, b: _Alt) -> tuple[bool, bool]:
    """(a can come before b, a is forced before b) as far as windows and steps tell."""
    oa, ob = problem.operations[a.op], problem.operations[b.op]
    if oa.order == ob.order and ob.step < oa.step:
        return False, False
    gap = a.duration + problem.changeover(mi, a.family, b.family)
    return a.lo + gap <= b.hi, a.hi + gap <= b.lo


def pairwise(built: ScheduleModel, mi: int, alts: list[_Alt]) -> None:
    """Pairwise changeover disjunctions on workstation ``mi`` (see the module)."""
    p, m = built.problem, built.model
    units = p.workstations[mi].units
    if units > 1:
        _unit_literals(built, mi, alts)
    for i, a in enumerate(alts):
        for b in alts[i + 1 :]:
            if a.op == b.op:
                continue
            c_ab = p.changeover(mi, a.family, b.family)
            c_ba = p.changeover(mi, b.family, a.family)
            if c_ab == 0 and c_ba == 0:
                continue  # the no-overlap is enough
            ab, forced_ab = _possible(p, mi, a, b)
            ba, forced_ba = _possible(p, mi, b, a)
            if forced_ab or forced_ba:
                continue  # the windows already keep them apart, changeover included
            same = _same_unit(built, mi, a, b, units)
            for when in same:
                if ab and ba:
                    x = m.new_bool_var(f"before_o{a.op}a{a.index}_o{b.op}a{b.index}_{mi}")
                    m.add(b.w >= a.w + a.duration + c_ab).only_enforce_if([x, *when])
                    m.add(a.w >= b.w + b.duration + c_ba).only_enforce_if([~x, *when])
                    built.pairs.append((x, a, b))
                elif ab:
                    m.add(b.w >= a.w + a.duration + c_ab).only_enforce_if(when)
                elif ba:
                    m.add(a.w >= b.w + b.duration + c_ba).only_enforce_if(when)
                else:
                    m.add_bool_or([~lit for lit in when])


def _same_unit(built: ScheduleModel, mi: int, a: _Alt, b: _Alt, units: int) -> list[list[Any]]:
    """Conjunctions of literals under which ``a`` and ``b`` share a unit (one per unit)."""
    if units == 1:
        lits = [x for x in (a.present, b.present) if not isinstance(x, int)]
        return [lits]
    return [[a.units[u], b.units[u]] for u in range(units)]


def _unit_literals(built: ScheduleModel, mi: int, alts: list[_Alt]) -> None:
    """One literal per unit, a no-overlap per unit, symmetry broken by first use."""
    p, m = built.problem, built.model
    units = p.workstations[mi].units
    built.broken[mi] = alts
    for a in alts:
        a.units = [m.new_bool_var(f"unit_o{a.op}_a{a.index}_u{u + 1}") for u in range(units)]
        m.add(sum(a.units) == a.present)
    for u in range(units):
        m.add_no_overlap(
            [
                m.new_optional_fixed_size_interval_var(
                    a.w, a.duration, a.units[u], f"iv_o{a.op}_a{a.index}_u{u + 1}"
                )
                for a in alts
            ]
        )
    # Value precedence: unit u+1 is used by an alternative only if unit u is used by an
    # earlier one (in list order). used[u] = "unit u is used by an alternative so far".
    used = [m.new_constant(0) for _ in range(units)]
    for k, a in enumerate(alts):
        for u in range(1, units):
            m.add_implication(a.units[u], used[u - 1])
        if k == len(alts) - 1:
            break
        nxt = []
        for u in range(units):
            v = m.new_bool_var(f"used_m{mi}_u{u + 1}_{k}")
            m.add_bool_or([~v, used[u], a.units[u]])
            m.add_implication(used[u], v)
            m.add_implication(a.units[u], v)
            nxt.append(v)
            built.used.append((v, mi, u, k))
        used = nxt


def _gap(problem: SchedulingProblem, mi: int, a: _Alt, b: _Alt) -> int | None:
    """Working minutes from a's start to b's start if b directly follows a (None: never)."""
    if a.op == b.op:
        return None
    ok, _ = _possible(problem, mi, a, b)
    return a.duration + problem.changeover(mi, a.family, b.family) if ok else None


def routes(built: ScheduleModel, mi: int, alts: list[_Alt]) -> None:
    """At most ``units`` routes from a depot through every present alternative.

    Arc ``a → b`` ⇒ ``w_b ≥ w_a + d_a + changeover(f_a, f_b)``; absent alternatives take
    their self-loop. Units are numbered afterwards in route order: no unit symmetry.
    """
    p, m = built.problem, built.model
    units = p.workstations[mi].units
    arcs: list[tuple[int, int, Any, _Alt | None, _Alt | None]] = []
    depot_out = []
    for i, a in enumerate(alts, start=1):
        first, last = m.new_bool_var(f"first_m{mi}_{i}"), m.new_bool_var(f"last_m{mi}_{i}")
        arcs.append((0, i, first, None, a))
        arcs.append((i, 0, last, a, None))
        depot_out.append(first)
        if not isinstance(a.present, int):
            arcs.append((i, i, ~a.present, None, None))
    for i, a in enumerate(alts, start=1):
        for k, b in enumerate(alts, start=1):
            gap = _gap(p, mi, a, b)
            if gap is None:
                continue
            lit = m.new_bool_var(f"next_m{mi}_{i}_{k}")
            m.add(b.w >= a.w + gap).only_enforce_if(lit)
            arcs.append((i, k, lit, a, b))
    if units == 1:
        arcs.append((0, 0, m.new_bool_var(f"idle_m{mi}"), None, None))
        m.add_circuit([(i, k, lit) for i, k, lit, _, _ in arcs])
    else:
        m.add_multiple_circuit([(i, k, lit) for i, k, lit, _, _ in arcs])
        m.add(sum(depot_out) <= units)
    built.route_arcs[mi] = arcs


def unit_circuits(built: ScheduleModel, mi: int, alts: list[_Alt]) -> None:
    """One optional interval per unit; a circuit per unit whose arcs carry changeovers."""
    p, m = built.problem, built.model
    units = p.workstations[mi].units
    for a in alts:
        a.units = [m.new_bool_var(f"unit_o{a.op}_a{a.index}_u{u + 1}") for u in range(units)]
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
                gap = _gap(p, mi, a, b)
                if gap is None:
                    continue
                lit = m.new_bool_var(f"next_m{mi}_u{u + 1}_{i}_{k}")
                m.add(b.w >= a.w + gap).only_enforce_if(lit)
                arcs.append((i, k, lit))
        m.add_circuit(arcs)
        built.arcs[(mi, u)] = arcs
