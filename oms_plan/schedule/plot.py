"""Gantt chart of a schedule (matplotlib is imported only when a chart is drawn)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from oms_plan.schedule.result import ScheduleResult


def gantt(
    result: ScheduleResult,
    ax: Any = None,
    *,
    hours: bool = True,
    title: str | None = None,
    workstations: Iterable[str] | None = None,
    window: tuple[dt.date | str, dt.date | str] | None = None,
) -> Any:
    """Draw one bar per operation, one row per workstation unit, coloured by order.

    Parameters
    ----------
    result
        The schedule to draw.
    ax
        A matplotlib ``Axes`` to draw on; a new figure when ``None``.
    hours
        Time axis in hours from plan start (else minutes).
    title
        Chart title (default: status and objective).
    workstations
        Draw only these workstations (default: every one the schedule uses).
    window
        Draw only operations overlapping the days ``(first, last)`` (inclusive, dates or
        ISO strings), and limit the time axis to them.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Raises
    ------
    ImportError
        When matplotlib is not installed (``pip install oms-plan[plot]``).

    """
    try:
        import matplotlib.pyplot as plt
    except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "ScheduleResult.plot needs matplotlib: pip install oms-plan[plot]"
        ) from exc
    operations = _selected(result, workstations, window)
    if ax is None:
        rows_needed = len({(op.workstation, op.unit) for op in operations})
        _, ax = plt.subplots(figsize=(10, 1 + 0.4 * max(1, rows_needed)))
    rows = sorted({(op.workstation, op.unit) for op in operations})
    index = {row: i for i, row in enumerate(rows)}
    orders = sorted({op.order for op in operations})
    cmap = plt.get_cmap("tab20")
    colour = {o: cmap(i % 20) for i, o in enumerate(orders)}
    scale = 60.0 if hours else 1.0
    for op in operations:
        y = index[(op.workstation, op.unit)]
        ax.barh(
            y,
            (op.end - op.start) / scale,
            left=op.start / scale,
            color=colour[op.order],
            edgecolor="black",
            linewidth=0.5,
        )
        if len(operations) <= 60:
            ax.text(
                (op.start + op.end) / 2 / scale,
                y,
                f"{op.order}/{op.step}",
                ha="center",
                va="center",
                fontsize=7,
            )
    drawn = set(orders)
    for order in result.orders:
        if order.tardiness and order.completion is not None and order.order in drawn:
            ax.axvline(
                order.due / scale,
                color=colour.get(order.order, "grey"),
                linestyle=":",
                linewidth=0.8,
            )
    if window is not None:
        lo, hi = _window_minutes(result, window)
        ax.set_xlim(lo / scale, hi / scale)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"{w}#{u}" for w, u in rows])
    ax.invert_yaxis()
    ax.set_xlabel(f"{'hours' if hours else 'minutes'} from {result.start.isoformat()} 00:00")
    ax.set_title(
        title
        or f"{result.stats.solver}: {result.status.value}, "
        f"{','.join(result.objective)} = {result.stats.objective:g}"
    )
    return ax


def _window_minutes(
    result: ScheduleResult, window: tuple[dt.date | str, dt.date | str]
) -> tuple[int, int]:
    """Minutes from plan start of the window's first day 00:00 and last day 24:00."""
    first, last = (dt.date.fromisoformat(d) if isinstance(d, str) else d for d in window)
    if last < first:
        raise ValueError(f"window ends ({last}) before it starts ({first})")
    return (first - result.start).days * 1440, ((last - result.start).days + 1) * 1440


def _selected(
    result: ScheduleResult,
    workstations: Iterable[str] | None,
    window: tuple[dt.date | str, dt.date | str] | None,
) -> list[Any]:
    """The operations to draw: on the chosen workstations, overlapping the window."""
    chosen = None if workstations is None else set(workstations)
    if chosen is not None:
        unknown = chosen - {op.workstation for op in result.operations}
        if unknown:
            raise ValueError(f"no operations on workstation(s) {', '.join(sorted(unknown))}")
    lo, hi = _window_minutes(result, window) if window is not None else (None, None)
    return [
        op
        for op in result.operations
        if (chosen is None or op.workstation in chosen)
        and (lo is None or (op.end > lo and op.start < (hi or 0)))
    ]
