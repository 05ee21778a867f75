"""An independent check of a schedule, in plain Python (no solver, no working-time maps).

It re-derives every rule from the problem data: each operation runs once on one of its
workstations and on an existing unit; orders start no earlier than their release; steps run
in order; no unit runs two operations at once; changeovers fit between consecutive
operations of a unit; an operation on a pausable workstation gets exactly its working
minutes between start and end (starting and ending in working time), one on a non-pausable
workstation runs inside one stretch of working time.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections import defaultdict

from oms_plan.results import CheckReport
from oms_plan.schedule.problem import SchedulingProblem
from oms_plan.schedule.solution import Solution


class ScheduleCheckError(RuntimeError):
    """A back-end returned a schedule that breaks a rule: a bug in oms_plan."""


def _working_minutes(stretches: list[tuple[int, int]], a: int, b: int) -> int:
    """Working minutes in ``[a, b)``, summing overlaps with the stretches."""
    return sum(max(0, min(b, e) - max(a, s)) for s, e in stretches if s < b and e > a)


def _in_working_time(starts: list[int], stretches: list[tuple[int, int]], minute: int) -> bool:
    k = bisect_right(starts, minute) - 1
    return k >= 0 and stretches[k][0] <= minute < stretches[k][1]


def check_schedule(problem: SchedulingProblem, solution: Solution) -> CheckReport:
    """Every rule the schedule breaks (none: the schedule is valid).

    Parameters
    ----------
    problem
        The scheduling problem.
    solution
        The schedule to check.

    Returns
    -------
    CheckReport
        One violation per broken rule, naming order, step and workstation.

    """
    n = problem.num_operations
    sizes = {len(solution.alternative), len(solution.unit), len(solution.start), len(solution.end)}
    if sizes != {n}:
        return CheckReport((f"solution has arrays of sizes {sorted(sizes)} for {n} operations",))
    problems: list[str] = []
    stretches = [w.stretches() for w in problem.working]
    starts = [[s for s, _ in st] for st in stretches]

    def name(o: int) -> str:
        op = problem.operations[o]
        return f"order {problem.orders[op.order].id!r} step {op.step}"

    on_unit: dict[tuple[int, int], list[int]] = defaultdict(list)
    for o, op in enumerate(problem.operations):
        j = solution.alternative[o]
        if not 0 <= j < len(op.alternatives):
            problems.append(f"{name(o)}: no alternative {j}")
            continue
        alt = op.alternatives[j]
        ws = problem.workstations[alt.workstation]
        s, e, d = solution.start[o], solution.end[o], alt.duration
        if not 1 <= solution.unit[o] <= ws.units:
            problems.append(f"{name(o)}: unit {solution.unit[o]} of {ws.id!r} does not exist")
        on_unit[(alt.workstation, solution.unit[o])].append(o)
        if s < 0 or e > problem.window or e < s:
            problems.append(f"{name(o)}: runs {s}-{e}, outside [0, {problem.window}]")
            continue
        m = alt.workstation
        if ws.pausable:
            got = _working_minutes(stretches[m], s, e)
            if got != d:
                problems.append(
                    f"{name(o)} on {ws.id!r}: {got} working minutes in {s}-{e}, needs {d}"
                )
            elif d > 0 and not (
                _in_working_time(starts[m], stretches[m], s)
                and _in_working_time(starts[m], stretches[m], e - 1)
            ):
                problems.append(f"{name(o)} on {ws.id!r}: starts or ends outside working time")
        else:
            k = bisect_right(starts[m], s) - 1
            inside = k >= 0 and stretches[m][k][0] <= s and e <= stretches[m][k][1]
            if e - s != d:
                problems.append(
                    f"{name(o)} on {ws.id!r}: lasts {e - s} minutes, needs {d} without pause"
                )
            elif d > 0 and not inside:
                problems.append(f"{name(o)} on non-pausable {ws.id!r}: {s}-{e} leaves working time")

    for order in problem.orders:
        first = order.operations[0]
        if solution.start[first] < order.release:
            problems.append(
                f"{name(first)}: starts at {solution.start[first]} before release {order.release}"
            )
        for a, b in zip(order.operations, order.operations[1:], strict=False):
            if solution.start[b] < solution.end[a]:
                problems.append(
                    f"{name(b)}: starts at {solution.start[b]} "
                    f"before step ends at {solution.end[a]}"
                )

    for (m, unit), ops in sorted(on_unit.items()):
        ops.sort(key=lambda o: (solution.start[o], solution.end[o]))
        ws = problem.workstations[m]
        for a, b in itertools.pairwise(ops):
            if solution.start[b] < solution.end[a]:
                problems.append(f"{ws.id!r} unit {unit}: {name(a)} and {name(b)} overlap")
                continue
            fa = problem.operations[a].alternatives[solution.alternative[a]].family
            fb = problem.operations[b].alternatives[solution.alternative[b]].family
            need = problem.changeover(m, fa, fb)
            if need and _working_minutes(stretches[m], solution.end[a], solution.start[b]) < need:
                problems.append(
                    f"{ws.id!r} unit {unit}: changeover of {need} working minutes missing between "
                    f"{name(a)} and {name(b)}"
                )
    return CheckReport(tuple(problems))
