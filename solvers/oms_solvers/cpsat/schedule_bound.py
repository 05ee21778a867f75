"""A lower bound of the weighted tardiness that sees capacity: the fast-machine relaxation.

CP-SAT's own bound on weighted tardiness barely moves past the per-order bound (every order
alone on the shop, ``T_i ≥ max(0, C̲_i − due_i)``): its linear relaxation does not see that
orders released together on a few units must wait for each other, least of all across
shift calendars. This module adds that, in plain arithmetic:

* Workstations linked by alternatives form **groups** (connected components); each group
  has a capacity profile ``cap(t)`` = units working at clock minute ``t`` (its calendars
  and downtime, exactly).
* An order that is late whatever happens (``C̲_i > due_i``) has ``T_i ≥ C_i − due_i``. For
  one of its operations ``o`` in group ``G``, ``C_i ≥ end_o + q_o`` (``q_o`` = working
  minutes of its later steps, each at least that long on the clock), and, since an
  operation runs at most one unit at a time, ``end_o ≥ M_o + p_o / 2`` where ``M_o`` is the
  mean clock minute of its ``p_o`` busy minutes (shortest alternative).
* Let any unit of ``G`` process any of these operations at any rate (a single machine of
  speed ``cap(t)``, preemptive, releases = earliest starts): highest ``ω / p`` first is an
  optimal schedule of ``Σ (ω_o / p_o) ∫ t · rate_o(t) dt = Σ ω_o M_o`` (an exchange
  argument), and every real schedule is one of these. So
  ``Σ_{i∈S} ω_i T_i ≥ Σ_{o} ω_o (M_o^fast + p_o / 2 + q_o − due_o)``.

A busy period of the fast schedule (all work released so far done) is a relaxation of its
own orders. Periods with disjoint order sets add up; the orders of no chosen period keep
their per-order bound, so the result is never below the per-order bound.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from fractions import Fraction

from oms_plan.schedule.problem import SchedulingProblem
from oms_solvers.cpsat.schedule_windows import Windows


def workstation_groups(problem: SchedulingProblem) -> list[int]:
    """Group id of every workstation: linked when an operation may run on both."""
    parent = list(range(len(problem.workstations)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for op in problem.operations:
        first = find(op.alternatives[0].workstation)
        for alt in op.alternatives[1:]:
            parent[find(alt.workstation)] = first
    return [find(m) for m in range(len(problem.workstations))]


def _capacity(problem: SchedulingProblem, members: list[int]) -> list[tuple[int, int, int]]:
    """``(start, end, units)`` pieces of the group's working capacity, sorted, disjoint."""
    delta: dict[int, int] = defaultdict(int)
    for m in members:
        units = problem.workstations[m].units
        for a, b in problem.working[m].stretches():
            delta[a] += units
            delta[b] -= units
    pieces = []
    level = 0
    times = sorted(delta)
    for a, b in itertools.pairwise(times):
        level += delta[a]
        if level > 0:
            pieces.append((a, b, level))
    return pieces


def _fast_machine(
    jobs: list[tuple[int, int, int, int]], pieces: list[tuple[int, int, int]]
) -> list[tuple[int, Fraction]] | None:
    """Per job ``(busy period, ω (M + p/2 − due'))`` of the highest-ratio fast schedule.

    ``jobs`` are ``(release, work, weight, due')``. A busy period ends when every released
    job is done: jobs of different periods never meet, so each period is a relaxation of
    its own orders. ``None`` when the capacity runs out before all work is done.
    """
    order = sorted(range(len(jobs)), key=lambda j: (-Fraction(jobs[j][2], jobs[j][1]), j))
    rank = {j: k for k, j in enumerate(order)}
    by_release = sorted(range(len(jobs)), key=lambda j: (jobs[j][0], j))
    left = [Fraction(job[1]) for job in jobs]
    moment = [Fraction(0)] * len(jobs)  # ∫ t · rate dt
    period = [0] * len(jobs)
    ready: list[int] = []  # available unfinished jobs, by rank
    nxt = done = current = 0
    for a, b, cap in pieces:
        t = Fraction(a)
        while t < b and done < len(jobs):
            if not ready and nxt < len(jobs) and jobs[by_release[nxt]][0] > t:
                if jobs[by_release[nxt]][0] >= b:
                    break
                t = Fraction(jobs[by_release[nxt]][0])
            if not ready:
                current += 1  # nothing left over: a new busy period starts
            while nxt < len(jobs) and jobs[by_release[nxt]][0] <= t:
                period[by_release[nxt]] = current
                ready.append(by_release[nxt])
                nxt += 1
            ready.sort(key=rank.__getitem__)
            stop = Fraction(b)
            if nxt < len(jobs):
                stop = min(stop, Fraction(jobs[by_release[nxt]][0]))
            j = ready[0]
            end = min(t + left[j] / cap, stop)
            moment[j] += cap * (end * end - t * t) / 2
            left[j] -= cap * (end - t)
            if left[j] <= 0:
                ready.pop(0)
                done += 1
            t = end
    if done < len(jobs):
        return None
    return [
        (period[j], Fraction(w) * (moment[j] / p + Fraction(p, 2) - due))
        for j, (_, p, w, due) in enumerate(jobs)
    ]


def _candidates(
    problem: SchedulingProblem, windows: Windows, group: list[int]
) -> dict[int, dict[int, tuple[int, int, int, int]]]:
    """Per group, per order: ``(release, work, weight, due')`` of its last operation there."""
    jobs: dict[int, dict[int, tuple[int, int, int, int]]] = defaultdict(dict)
    for i, order in enumerate(problem.orders):
        tail = 0  # working minutes of the later steps (shortest alternatives)
        for o in reversed(order.operations):
            op = problem.operations[o]
            usable = [j for j in range(len(op.alternatives)) if windows.usable(o, j)]
            if not usable:
                return {}  # the windows are empty: no schedule to bound
            work = min(op.alternatives[j].duration for j in usable)
            g = group[op.alternatives[usable[0]].workstation]
            if work > 0 and i not in jobs[g]:
                release = min(
                    problem.working[op.alternatives[j].workstation].start_at(windows.lo[o][j])
                    for j in usable
                )
                jobs[g][i] = (release, work, order.weight, order.due - tail)
            tail += work
    return jobs


def _periods(
    ids: list[int], terms: list[tuple[int, Fraction]], trivial: list[int]
) -> list[tuple[Fraction, set[int]]]:
    """Per busy period with a positive gain: (gain over the per-order bound, its orders)."""
    periods: dict[int, tuple[Fraction, set[int]]] = {}
    for i, (k, value) in zip(ids, terms, strict=True):
        total, members = periods.get(k, (Fraction(0), set()))
        periods[k] = (total + value - trivial[i], members | {i})
    return [(gain, members) for _, (gain, members) in sorted(periods.items()) if gain > 0]


#: Relaxations run per group while dropping jobs that lower the bound.
MAX_ROUNDS = 20


def capacity_bound(problem: SchedulingProblem, windows: Windows) -> int:
    """A lower bound of the weighted tardiness (≥ the per-order bound); see the module.

    ``T ≥ C − due'`` holds for every job, early ones too (their term is negative), so any
    set of jobs gives a bound; a job whose term lies below its own per-order bound is
    dropped and the relaxation run again while that raises the group's bound.
    """
    orders = problem.orders
    trivial = [o.weight * t for o, t in zip(orders, windows.tardiness_bound, strict=True)]
    group = workstation_groups(problem)
    members: dict[int, list[int]] = defaultdict(list)
    for m, g in enumerate(group):
        members[g].append(m)
    gains: list[tuple[Fraction, int, int, set[int]]] = []
    for g, by_order in sorted(_candidates(problem, windows, group).items()):
        pieces = _capacity(problem, members[g])
        ids = sorted(by_order)
        best: list[tuple[Fraction, set[int]]] = []
        for _ in range(MAX_ROUNDS):
            terms = _fast_machine([by_order[i] for i in ids], pieces)
            if terms is None:
                break
            found = _periods(ids, terms, trivial)
            if sum(x for x, _ in found) > sum(x for x, _ in best):
                best = found
            worst = min(range(len(ids)), key=lambda k: (terms[k][1] - trivial[ids[k]], ids[k]))
            if terms[worst][1] - trivial[ids[worst]] >= 0 or len(ids) == 1:
                break
            ids = ids[:worst] + ids[worst + 1 :]
        gains += [(gain, g, k, kept) for k, (gain, kept) in enumerate(best)]
    gains.sort(key=lambda x: (-x[0], x[1], x[2]))
    used: set[int] = set()
    extra = Fraction(0)
    for gain, _, _, ids_ in gains:
        if ids_ & used:
            continue
        used |= ids_
        extra += gain
    return sum(trivial) + math.ceil(extra)
