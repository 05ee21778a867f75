"""Plan-level KPIs, recomputed from the merged tables so they do not depend on the split."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from oms_plan.kpis import fill_rate_pct, on_time_pct
from oms_plan.results import SolverStats, SolveStatus, worst_status
from oms_plan.schedule.records import PartReport


def service_kpis(promises: pd.DataFrame, orders: pd.DataFrame) -> dict[str, object]:
    """Service level of the promises against the open order lines.

    A line is on time when all its quantity is promised with no day late; late when it is
    fully promised but some of it late; short when any quantity is not promised.
    """
    lines = len(orders)
    ordered = float(orders["quantity"].sum())
    if promises.empty:
        return {
            "lines": lines,
            "lines_on_time": 0,
            "on_time_pct": on_time_pct(0, lines),
            "fill_rate_pct": fill_rate_pct(0.0, ordered),
            "lines_late": 0,
            "lines_short": lines,
            "total_days_late": 0,
        }
    key = ["order", "line"]
    status = promises.groupby(key, sort=False)["status"].agg(lambda s: set(s))
    short = status.map(lambda s: "short" in s)
    late = status.map(lambda s: "late" in s and "short" not in s)
    filled = float(promises.loc[promises["status"] != "short", "quantity"].sum())
    days = pd.to_numeric(promises["days_late"], errors="coerce").fillna(0)
    late_days = (days.groupby([promises["order"], promises["line"]]).max()).sum()
    on_time = lines - int(short.sum()) - int(late.sum())
    return {
        "lines": lines,
        "lines_on_time": on_time,
        "on_time_pct": on_time_pct(on_time, lines),
        "fill_rate_pct": fill_rate_pct(filled, ordered),
        "lines_late": int(late.sum()),
        "lines_short": int(short.sum()),
        "total_days_late": int(late_days),
    }


def worst(stats: Mapping[str, SolverStats], stage: str) -> tuple[str, float]:
    """Worst status and largest gap among the parts' solves of ``stage``."""
    chosen = [s for name, s in stats.items() if name.split("[")[0] == stage]
    if not chosen:
        return SolveStatus.EMPTY.value, 0.0
    status = worst_status(s.status for s in chosen)
    gaps = [s.gap for s in chosen if not np.isnan(s.gap)]
    return status.value, max(gaps, default=0.0)


def utilisation(schedule_kpis: list[Mapping[str, object]]) -> dict[str, float]:
    """Workstation → utilisation, from the ``utilisation:<ws>`` KPIs of every part."""
    out: dict[str, float] = {}
    for kpis in schedule_kpis:
        for name, value in kpis.items():
            if name.startswith("utilisation:") and value not in (None, ""):
                out[name.removeprefix("utilisation:")] = float(str(value))
    return dict(sorted(out.items()))


def schedule_parts_kpis(parts: Sequence[Sequence[PartReport]], objective: str) -> dict[str, object]:
    """The scheduler's outcome for the whole plan and per part (workstation group).

    ``schedule_objective`` and ``schedule_bound`` add up the parts (the largest for
    ``makespan``): parts share nothing, so the sum of their bounds bounds the whole
    problem, and ``schedule_gap_whole`` = (objective − bound) / max(1, objective) is the
    gap of the whole plan's schedule. Per part: ``schedule_status:<part>``,
    ``schedule_gap:<part>``.
    """
    flat = sorted((p for group in parts for p in group), key=lambda p: p.name)
    objectives = [p.objective for p in flat]
    bounds = [p.bound for p in flat]
    if objective == "makespan":
        value, bound = max(objectives, default=0.0), max(bounds, default=0.0)
    else:
        value, bound = float(sum(objectives)), float(sum(bounds))
    out: dict[str, object] = {
        "schedule_parts": len(flat),
        "schedule_objective": value,
        "schedule_bound": bound,
        "schedule_gap_whole": round(
            0.0 if math.isnan(bound) else max(0.0, value - bound) / max(1.0, abs(value)), 6
        ),
    }
    for p in flat:
        out[f"schedule_status:{p.name}"] = p.status.value
        out[f"schedule_gap:{p.name}"] = round(p.gap, 6)
    return out
