"""Find solver back-ends by name, without importing any of them at import time.

First-party back-ends live in the ``oms_solvers`` package (``solvers/`` source root);
third-party ones register a module under the entry-point group ``oms_plan.solvers`` with
the name ``<problem>.<backend>`` (for example ``schedule.gurobi``).
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from types import ModuleType

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


def available(problem: str) -> list[str]:
    """Names of the back-ends known for ``problem`` (built-in and entry points)."""
    names = set(BUILTIN.get(problem, {}))
    for ep in entry_points(group="oms_plan.solvers"):
        kind, _, name = ep.name.partition(".")
        if kind == problem:
            names.add(name)
    return sorted(names)


def get_backend(problem: str, name: str) -> ModuleType:
    """Import and return the back-end module ``name`` for ``problem``.

    Raises
    ------
    ValueError
        When no such back-end is known, listing the ones that are.
    ImportError
        When the back-end needs an optional dependency that is not installed (with the
        ``pip install`` line that fixes it).

    """
    module = BUILTIN.get(problem, {}).get(name)
    if module is None:
        for ep in entry_points(group="oms_plan.solvers"):
            if ep.name == f"{problem}.{name}":
                loaded = ep.load()
                if isinstance(loaded, ModuleType):
                    return loaded
                raise TypeError(f"entry point {ep.name} must name a module")
        known = ", ".join(available(problem)) or "none"
        raise ValueError(f"unknown {problem} back-end {name!r}; available: {known}")
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and not exc.name.startswith("oms_"):
            raise ImportError(
                f"back-end {name!r} needs the package {exc.name!r}: pip install {exc.name}"
            ) from exc
        raise
