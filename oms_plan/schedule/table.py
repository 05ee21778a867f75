"""A ``schedule`` table read back as a :class:`Solution` of a problem, and checked."""

from __future__ import annotations

import pandas as pd

from oms_plan.results import CheckReport
from oms_plan.schedule.checker import check_schedule
from oms_plan.schedule.problem import SchedulingProblem
from oms_plan.schedule.solution import Solution

#: The columns a schedule table needs to be read back.
SCHEDULE_COLUMNS = frozenset({"order", "step", "workstation", "unit", "start", "end"})


def read_solution(problem: SchedulingProblem, frame: pd.DataFrame) -> Solution | str:
    """The operations of ``problem`` as the table places them, unchecked.

    Parameters
    ----------
    problem
        The problem the schedule should solve.
    frame
        Columns ``order, step, workstation, unit, start, end`` (ISO times or minutes).

    Returns
    -------
    Solution or str
        The solution, or why the table cannot be read as one (a missing column, an
        operation not in it, a workstation the operation cannot use, an unreadable time).

    """
    missing = SCHEDULE_COLUMNS - set(frame.columns)
    if missing:
        return f"missing column(s) {', '.join(sorted(missing))}"
    origin = pd.Timestamp(problem.start)

    def minute(value: object) -> int:
        if isinstance(value, int | float):
            return int(value)
        return int((pd.Timestamp(str(value)) - origin).total_seconds() // 60)

    rows = {(str(r.order), int(r.step)): r for r in frame.itertuples(index=False)}
    n = problem.num_operations
    alternative, unit, start, end = [0] * n, [1] * n, [0] * n, [0] * n
    for o, op in enumerate(problem.operations):
        key = (problem.orders[op.order].id, op.step)
        row = rows.get(key)
        if row is None:
            return f"order {key[0]!r} step {key[1]} is not in it"
        names = [problem.workstations[a.workstation].id for a in op.alternatives]
        if row.workstation not in names:
            where = f"order {key[0]!r} step {key[1]}"
            return f"{where}: {row.workstation!r} is not one of its workstations"
        try:
            alternative[o], unit[o] = names.index(str(row.workstation)), int(row.unit)
            start[o], end[o] = minute(row.start), minute(row.end)
        except (TypeError, ValueError) as exc:
            return f"order {key[0]!r} step {key[1]}: {exc}"
    return Solution(tuple(alternative), tuple(unit), tuple(start), tuple(end))


def solution_from_frame(
    problem: SchedulingProblem, frame: pd.DataFrame
) -> tuple[Solution | None, str]:
    """A valid :class:`Solution` from a ``schedule`` table, or ``None`` and why it does not fit.

    Parameters
    ----------
    problem
        The problem the schedule should solve.
    frame
        Columns ``order, step, workstation, unit, start, end`` (ISO times or minutes).

    Returns
    -------
    tuple
        The solution (or ``None``) and an explanation when ``None``: the table cannot be
        read (:func:`read_solution`) or breaks a rule of the problem (:func:`check_schedule`).

    """
    solution = read_solution(problem, frame)
    if isinstance(solution, str):
        return None, solution
    broken = check_schedule(problem, solution).violations
    if broken:
        return None, f"it breaks {len(broken)} rule(s) now, e.g. {broken[0]}"
    return solution, ""


def check_schedule_table(problem: SchedulingProblem, frame: pd.DataFrame) -> CheckReport:
    """Every rule the ``schedule`` table breaks for ``problem`` (none: it is valid).

    Parameters
    ----------
    problem
        The problem the schedule should solve.
    frame
        Columns ``order, step, workstation, unit, start, end`` (ISO times or minutes).

    Returns
    -------
    CheckReport
        Why the table cannot be read, or every violation :func:`check_schedule` finds.

    """
    solution = read_solution(problem, frame)
    if isinstance(solution, str):
        return CheckReport((f"schedule table: {solution}",))
    return check_schedule(problem, solution)
