"""The chart of a :class:`~oms_plan.scenario.compare.PlanDiff`: promise moves, load before/after."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from oms_plan.replan.plots import pyplot

if TYPE_CHECKING:
    from oms_plan.scenario.compare import PlanDiff


def plot_diff(diff: PlanDiff, *, top: int = 20) -> Any:
    """Two panels: the promise changes per line, and the weekly load of the most changed stations.

    Each changed line is a bar of units promised after − before, labelled with its status
    before → after and the days its last delivery moved; the largest changes first, at
    most ``top``.
    The load panel draws, for the (up to three) workstations whose load changed most, the
    weekly hours before (dashed) and after (solid).
    """
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 0.28 * min(top, 30) + 2.5))
    _moves(left, diff.promises, top)
    _load(right, diff)
    fig.tight_layout()
    return fig


def _moves(ax: Any, promises: pd.DataFrame, top: int) -> None:
    """Units promised after − before per changed line; later/earlier days written on the bar."""
    if promises.empty:
        ax.text(0.5, 0.5, "no promise changed", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    p = promises.copy()
    p["_delta"] = p["quantity_after"].astype(float).fillna(0.0) - p["quantity_before"].astype(
        float
    ).fillna(0.0)
    p["_days"] = p["days_moved"].astype("Float64").fillna(0).astype(float)
    p["_rank"] = p["_delta"].abs() + p["_days"].abs()
    p = p.sort_values("_rank", ascending=False, kind="mergesort").head(top)
    labels = [f"{o}/{ln} {i}" for o, ln, i in zip(p["order"], p["line"], p["item"], strict=True)]
    colours = np.where(p["_delta"] < 0, "tab:red", np.where(p["_delta"] > 0, "tab:green", "grey"))
    y = np.arange(len(p))
    ax.barh(y, p["_delta"].to_numpy(), color=colours)
    for k, (delta, days, before, after) in enumerate(
        zip(p["_delta"], p["_days"], p["status_before"], p["status_after"], strict=True)
    ):
        note = f"{before or 'new'} → {after or 'gone'}"
        if days:
            note += f", {days:+.0f} d"
        ax.text(
            delta, k, f" {note} ", va="center", ha="left" if delta >= 0 else "right", fontsize=7
        )
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=7)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.6)
    ax.margins(x=0.35)
    ax.set_xlabel("units promised: after − before (status and days moved on the bar)")
    ax.set_title(f"{len(promises)} order line(s) changed", fontsize=10, loc="left")


def _load(ax: Any, diff: PlanDiff) -> None:
    if diff.load.empty:
        ax.text(0.5, 0.5, "no workstation load", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    ranked = diff.load_by_workstation()
    chosen = list(ranked.index[:3])
    cmap = plt_colours()
    weeks = pd.date_range(diff.load["week"].min(), diff.load["week"].max(), freq="7D")
    # One more edge so that the last week is drawn as a step of its own width too.
    edges = weeks.append(pd.DatetimeIndex([weeks[-1] + pd.Timedelta(days=7)]))
    for k, ws in enumerate(chosen):
        rows = diff.load.loc[diff.load["workstation"] == ws].set_index("week")
        rows = rows.reindex(weeks, fill_value=0.0)
        colour = cmap[k % len(cmap)]
        for column, style in (("minutes_before", "--"), ("minutes_after", "-")):
            hours = (rows[column] / 60).to_numpy()
            ax.step(
                edges,
                np.append(hours, hours[-1]),
                where="post",
                linestyle=style,
                color=colour,
                label=f"{ws} {column.removeprefix('minutes_')}",
            )
    ax.set_ylabel("hours per week (from each Monday)")
    ax.set_title("weekly load, most changed workstations", fontsize=10, loc="left")
    ax.legend(fontsize=7)
    for label in ax.get_xticklabels():
        label.set_rotation(30)
        label.set_horizontalalignment("right")


def plt_colours() -> list[str]:
    """The first colours of matplotlib's default cycle."""
    return ["tab:blue", "tab:orange", "tab:purple"]
