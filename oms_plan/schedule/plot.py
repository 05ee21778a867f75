"""Gantt chart of a schedule (matplotlib is imported only when a chart is drawn).

The time axis shows real dates and times by default (``dates=False``: hours or minutes from
plan start); downtime, when given, is shaded on the rows of its workstation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from oms_plan.dataset import Dataset
    from oms_plan.schedule.result import ScheduleResult


def gantt(
    result: ScheduleResult,
    ax: Any = None,
    *,
    hours: bool = True,
    title: str | None = None,
    workstations: Iterable[str] | None = None,
    window: tuple[dt.date | str, dt.date | str] | None = None,
    dates: bool = True,
    downtime: Dataset | pd.DataFrame | None = None,
) -> Any:
    """Draw one bar per operation, one row per workstation unit, coloured by order.

    Parameters
    ----------
    result
        The schedule to draw.
    ax
        A matplotlib ``Axes`` to draw on; a new figure when ``None``.
    hours
        With ``dates=False``: time axis in hours from plan start (else minutes).
    title
        Chart title (default: status and objective).
    workstations
        Draw only these workstations (default: every one the schedule uses).
    window
        Draw only operations overlapping the days ``(first, last)`` (inclusive, dates or
        ISO strings), and limit the time axis to them.
    dates
        A real date-and-time axis (default); ``False`` counts from plan start.
    downtime
        The dataset (its ``downtime`` table) or a downtime table (workstation, start,
        end): each stretch is shaded grey on the rows of its workstation.

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
    origin = 0.0
    if dates:
        mdates = date_numbers()
        # Matplotlib date numbers count days: minute m from plan start is origin + m / 1440.
        origin = float(mdates.date2num(pd.Timestamp(result.start)))
        scale = 1440.0
    if downtime is not None:
        shade_downtime(ax, result.start, downtime, index, origin, scale)
    for op in operations:
        y = index[(op.workstation, op.unit)]
        ax.barh(
            y,
            (op.end - op.start) / scale,
            left=origin + op.start / scale,
            color=colour[op.order],
            edgecolor="black",
            linewidth=0.5,
        )
        if len(operations) <= 60:
            ax.text(
                origin + (op.start + op.end) / 2 / scale,
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
                origin + order.due / scale,
                color=colour.get(order.order, "grey"),
                linestyle=":",
                linewidth=0.8,
            )
    if window is not None:
        lo, hi = _window_minutes(result, window)
        ax.set_xlim(origin + lo / scale, origin + hi / scale)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"{w}#{u}" for w, u in rows])
    ax.invert_yaxis()
    if dates:
        date_axis(ax)
    else:
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


def date_numbers() -> Any:
    """``matplotlib.dates``, typed as Any: its stubs leave these helpers untyped."""
    import importlib

    return importlib.import_module("matplotlib.dates")


def date_axis(ax: Any) -> None:
    """Concise date ticks on the x axis (values are matplotlib date numbers)."""
    mdates = date_numbers()
    locator = mdates.AutoDateLocator(minticks=4, maxticks=12)
    ax.xaxis_date()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def shade_downtime(
    ax: Any,
    start: dt.date,
    downtime: Dataset | pd.DataFrame,
    rows: dict[tuple[str, int], int],
    origin: float,
    scale: float,
) -> None:
    """Grey hatched spans on every drawn row (workstation, unit) → y while it is down.

    ``start`` is plan start; x = ``origin`` + minutes from plan start / ``scale``.
    """
    table = downtime if isinstance(downtime, pd.DataFrame) else downtime.downtime
    if table.empty or not rows:
        return
    zero = pd.Timestamp(start)
    by_station: dict[str, list[int]] = {}
    for (ws, _), y in rows.items():
        by_station.setdefault(ws, []).append(y)
    first = True
    for r in table.itertuples(index=False):
        ys = by_station.get(str(r.workstation))
        if not ys:
            continue
        lo = (pd.Timestamp(r.start) - zero).total_seconds() / 60
        hi = (pd.Timestamp(r.end) - zero).total_seconds() / 60
        for y in ys:
            # broken_barh adds a collection, not patches: bars stay one patch per operation.
            ax.broken_barh(
                [(origin + lo / scale, (hi - lo) / scale)],
                (y - 0.45, 0.9),
                facecolors="lightgrey",
                edgecolor="grey",
                hatch="//",
                linewidth=0.3,
                label="downtime" if first else None,
                zorder=0,
            )
            first = False
