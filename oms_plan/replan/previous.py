"""Planning against a previous plan: the plans of this process, remembered for what-ifs.

A scenario replans from the plan of its base dataset; when none is given, it uses the last
plan of that same dataset object with the same options made in this process (a small,
weakly keyed memory: a dataset that is no longer used drops its plans).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

from oms_plan.dataset import Dataset
from oms_plan.replan.result import Plan

#: Options that say how a plan is computed, not what it is: not part of the memory key.
_RUNTIME_OPTIONS = frozenset({"executor", "progress", "parts", "previous", "freeze_days"})

_MEMORY: weakref.WeakKeyDictionary[Dataset, dict[tuple[tuple[str, str], ...], Plan]] = (
    weakref.WeakKeyDictionary()
)


def options_key(options: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The options that determine a plan's content, as a hashable key."""
    return tuple(sorted((k, repr(v)) for k, v in options.items() if k not in _RUNTIME_OPTIONS))


def remember(dataset: Dataset, options: Mapping[str, Any], plan: Plan) -> None:
    """Keep ``plan`` as the last plan of ``dataset`` with ``options`` (one per options key)."""
    _MEMORY.setdefault(dataset, {})[options_key(options)] = plan


def remembered(dataset: Dataset, options: Mapping[str, Any]) -> Plan | None:
    """The last plan of this very ``dataset`` object with the same options, if any."""
    return _MEMORY.get(dataset, {}).get(options_key(options))


def forget() -> None:
    """Drop every remembered plan."""
    _MEMORY.clear()


def plan_from(dataset: Dataset, previous: Plan | None, options: Mapping[str, Any]) -> Plan:
    """``plan(dataset, previous=previous, **options)``, remembered for later what-ifs."""
    from oms_plan.replan.pipeline import plan

    result = plan(dataset, **options)
    remember(dataset, options, result)
    return result
