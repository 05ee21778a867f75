"""Solver back-ends by name: typed per problem kind, capabilities checked when one is chosen.

A back-end solves one problem kind and implements that kind's protocol:
:class:`AllocationBackend` or :class:`ScheduleBackend`. Each declares a ``NAME`` and the
``CAPABILITIES`` it supports; :func:`allocation_backend` and :func:`schedule_backend` return
it typed (so mypy checks every ``solve`` call) after checking that it has what the caller
needs, with an error naming what is missing and which back-ends have it.

First-party back-ends live in the ``oms_solvers`` package (``solvers/`` source root), imported
on first use. Third-party ones register an object (usually a module) implementing the
protocol under the entry-point group ``oms_plan.solvers`` with the name
``<problem>.<backend>`` (for example ``schedule.gurobi``).

This is the only module of ``oms_plan`` that names ``oms_solvers`` (ruff's banned-import
rule enforces it): the greedy heuristics the engines use as warm starts are reached through
:func:`greedy_allocation` and :func:`greedy_schedule`.
"""

from __future__ import annotations

import importlib
from collections.abc import Collection
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Literal, Protocol, cast, runtime_checkable

from oms_plan.errors import PlanningError

if TYPE_CHECKING:
    import numpy as np

    from oms_plan.allocate.policies import Stage
    from oms_plan.allocate.problem import AllocationProblem
    from oms_plan.allocate.result import AllocationOutcome
    from oms_plan.schedule.options import ScheduleOptions, ScheduleOutcome
    from oms_plan.schedule.problem import SchedulingProblem
    from oms_plan.schedule.solution import Solution

#: The problem kinds a back-end can solve.
ProblemKind = Literal["allocate", "schedule"]
#: Entry-point group where other packages register back-ends as ``<problem>.<name>``.
ENTRY_POINT_GROUP = "oms_plan.solvers"

#: problem kind → back-end name → module (imported on first use).
BUILTIN: dict[str, dict[str, str]] = {
    "schedule": {"cpsat": "oms_solvers.cpsat.schedule", "greedy": "oms_solvers.greedy.schedule"},
    "allocate": {
        "flow": "oms_solvers.flow.allocate",
        "cpsat": "oms_solvers.cpsat.allocate",
        "pulp": "oms_solvers.pulp.allocate",
        "greedy": "oms_solvers.greedy.allocate",
    },
}


class Backend(Protocol):
    """What every back-end declares.

    Attributes
    ----------
    NAME
        Its name in the registry.
    CAPABILITIES
        What it supports. Allocation: the policies (``strict_priority``, ``weighted``,
        ``fair_share``), ``protect_commitments``, ``side_constraints`` (all-or-nothing lines,
        minimum and maximum shipments, ship-complete orders), ``quotas`` and ``repair``
        (relaxation and repair of side constraints). Scheduling: ``hint`` (starts from a
        given schedule) and ``bound`` (proves a lower bound, so a gap is meaningful).

    """

    @property
    def NAME(self) -> str:
        """The back-end's name."""
        ...

    @property
    def CAPABILITIES(self) -> frozenset[str]:
        """What the back-end supports."""
        ...


@runtime_checkable
class AllocationBackend(Backend, Protocol):
    """An allocation back-end: solves policy stages lexicographically."""

    def solve(
        self,
        problem: AllocationProblem,
        stages: list[Stage],
        *,
        components: np.ndarray | None = None,
        time_limit: float | None = None,
        workers: int = 1,
        hint: np.ndarray | None = None,
        repair: bool = False,
        seed: int = 0,
    ) -> AllocationOutcome:
        """Allocate the selected components.

        Parameters
        ----------
        problem
            The allocation problem.
        stages
            The policy's stages, in lexicographic order.
        components
            Boolean mask over the problem's components (default: all).
        time_limit
            Seconds (``None``: no limit); exact network back-ends ignore it.
        workers
            Solver threads.
        hint
            A feasible allocation to start from (scaled flow per option), or ``None``.
        repair
            Whether side-constrained components may be solved by relaxation and repair
            (back-ends with the ``repair`` capability; exact ones solve them exactly anyway).
        seed
            Random seed of a randomized search (ignored by deterministic algorithms).

        Returns
        -------
        AllocationOutcome
            Flows per option of the whole problem and one outcome per stage.

        """
        ...


@runtime_checkable
class ScheduleBackend(Backend, Protocol):
    """A scheduling back-end: sequences manufacturing orders on workstations."""

    def solve(self, problem: SchedulingProblem, options: ScheduleOptions) -> ScheduleOutcome:
        """Schedule ``problem``.

        Parameters
        ----------
        problem
            The scheduling problem.
        options
            Objectives, time limit, workers, seed, determinism, hint.

        Returns
        -------
        ScheduleOutcome
            The schedule (``None`` when none was found) and the statistics per objective.

        """
        ...


_PROTOCOLS: dict[str, type] = {"allocate": AllocationBackend, "schedule": ScheduleBackend}
_NOUN = {"allocate": "allocation solver", "schedule": "schedule back-end"}


def available(problem: str) -> list[str]:
    """Names of the back-ends known for ``problem`` (built-in and entry points), sorted."""
    names = set(BUILTIN.get(problem, {}))
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        kind, _, name = ep.name.partition(".")
        if kind == problem:
            names.add(name)
    return sorted(names)


def get_backend(problem: str, name: str) -> Backend:
    """The back-end ``name`` for ``problem``, checked against its kind's protocol.

    Prefer :func:`allocation_backend` or :func:`schedule_backend`, which return it typed.

    Parameters
    ----------
    problem
        ``"allocate"`` or ``"schedule"``.
    name
        A name from :func:`available`.

    Returns
    -------
    Backend
        The back-end (a module for the built-in ones).

    Raises
    ------
    PlanningError
        When no such back-end is known (listing the ones that are), or when what an entry
        point names does not implement the problem kind's protocol.
    ImportError
        When the back-end needs an optional dependency that is not installed (with the
        ``pip install`` line that fixes it).

    """
    protocol = _PROTOCOLS.get(problem)
    if protocol is None:
        raise PlanningError(f"unknown problem kind {problem!r}; known: {', '.join(_PROTOCOLS)}")
    found = _load(problem, name)
    if not isinstance(found, protocol):
        raise PlanningError(
            f"{_NOUN[problem]} {name!r} does not implement {protocol.__name__} "
            "(NAME, CAPABILITIES and solve)"
        )
    return cast(Backend, found)


def _load(problem: str, name: str) -> object:
    module = BUILTIN.get(problem, {}).get(name)
    if module is None:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name == f"{problem}.{name}":
                return ep.load()
        known = ", ".join(available(problem)) or "none"
        raise PlanningError(f"unknown {_NOUN[problem]} {name!r}; available: {known}")
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and not exc.name.startswith("oms_"):
            raise ImportError(
                f"back-end {name!r} needs the package {exc.name!r}: pip install {exc.name}"
            ) from exc
        raise


def check_capabilities(problem: str, backend: Backend, needs: Collection[str]) -> None:
    """Raise unless ``backend`` has every capability in ``needs``.

    Parameters
    ----------
    problem
        The problem kind (for the message).
    backend
        The chosen back-end.
    needs
        Capabilities the request needs.

    Raises
    ------
    PlanningError
        Naming the back-end, what it lacks, and the back-ends that have all of it.

    """
    missing = sorted(set(needs) - backend.CAPABILITIES)
    if not missing:
        return
    able = []
    for other in available(problem):
        try:
            if set(needs) <= get_backend(problem, other).CAPABILITIES:
                able.append(other)
        except (ImportError, PlanningError):
            continue  # an uninstalled or broken back-end cannot be suggested
    hint = f"; use one of: {', '.join(able)}" if able else ""
    raise PlanningError(f"{problem} back-end {backend.NAME!r} cannot do {', '.join(missing)}{hint}")


def allocation_backend(name: str, *, needs: Collection[str] = ()) -> AllocationBackend:
    """The allocation back-end ``name``, typed, after checking it can do ``needs``.

    Parameters
    ----------
    name
        ``flow``, ``cpsat``, ``pulp``, ``greedy`` or a registered entry point.
    needs
        Capabilities the request needs (see :class:`Backend`).

    Returns
    -------
    AllocationBackend
        The back-end.

    Raises
    ------
    PlanningError
        For an unknown back-end, or one that lacks a capability in ``needs``.

    """
    backend = get_backend("allocate", name)
    check_capabilities("allocate", backend, needs)
    return cast(AllocationBackend, backend)


def schedule_backend(name: str, *, needs: Collection[str] = ()) -> ScheduleBackend:
    """The scheduling back-end ``name``, typed, after checking it can do ``needs``.

    Parameters
    ----------
    name
        ``cpsat``, ``greedy`` or a registered entry point.
    needs
        Capabilities the request needs (see :class:`Backend`).

    Returns
    -------
    ScheduleBackend
        The back-end.

    Raises
    ------
    PlanningError
        For an unknown back-end, or one that lacks a capability in ``needs``.

    """
    backend = get_backend("schedule", name)
    check_capabilities("schedule", backend, needs)
    return cast(ScheduleBackend, backend)


def greedy_allocation(problem: AllocationProblem, components: np.ndarray) -> np.ndarray:
    """First-come-first-served flows on ``components``: the allocation warm start.

    Parameters
    ----------
    problem
        The allocation problem.
    components
        Boolean mask over its components.

    Returns
    -------
    numpy.ndarray
        Scaled quantity per option (0 outside ``components``).

    """
    from oms_solvers.greedy.allocate import allocate_fcfs

    return allocate_fcfs(problem, components)


def greedy_schedule(problem: SchedulingProblem, rule: str = "edd") -> Solution | None:
    """A dispatched schedule of ``problem``: the scheduling warm start and fallback.

    Parameters
    ----------
    problem
        The scheduling problem.
    rule
        ``"edd"`` (earliest due date) or ``"atc"`` (apparent tardiness cost).

    Returns
    -------
    Solution or None
        ``None`` when an operation does not fit in the problem's window.

    """
    from oms_solvers.greedy.schedule import dispatch

    return dispatch(problem, rule)


if TYPE_CHECKING:
    # mypy checks that every first-party back-end implements its kind's protocol.
    from oms_solvers.cpsat import allocate as _cpsat_allocate
    from oms_solvers.cpsat import schedule as _cpsat_schedule
    from oms_solvers.flow import allocate as _flow_allocate
    from oms_solvers.greedy import allocate as _greedy_allocate
    from oms_solvers.greedy import schedule as _greedy_schedule
    from oms_solvers.pulp import allocate as _pulp_allocate

    _ALLOCATION_BACKENDS: tuple[AllocationBackend, ...] = (
        _flow_allocate,
        _cpsat_allocate,
        _pulp_allocate,
        _greedy_allocate,
    )
    _SCHEDULE_BACKENDS: tuple[ScheduleBackend, ...] = (_cpsat_schedule, _greedy_schedule)
