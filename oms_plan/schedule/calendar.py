"""Working-time arithmetic on integer minutes from plan start (00:00 of the first day).

A workstation's working time is a sorted list of disjoint half-open stretches
``[starts[k], ends[k])``: its weekly shifts, minus downtime, clipped to ``[0, horizon)``.
Operations are placed in *working-time space*: ``W(t)`` is the number of working minutes
before minute ``t``. An operation of ``d`` working minutes that starts at working position
``w`` occupies ``[w, w + d)`` there; :meth:`WorkingTime.start_at` and
:meth:`WorkingTime.end_at` map such positions back to clock minutes. Both maps are monotone,
which is what lets the scheduler keep units free of overlaps in working-time space.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

MINUTES_PER_DAY = 1440

#: One weekly shift: (weekday 0 = Monday … 6, start minute, end minute), end ≤ start = overnight.
Shift = tuple[int, int, int]


@dataclass(frozen=True, eq=False)
class WorkingTime:
    """The working stretches of one workstation over ``[0, horizon)``.

    Attributes
    ----------
    starts, ends
        Clock minutes of each stretch (sorted, disjoint, non-adjacent, non-empty).
    horizon
        End of the time window the stretches were computed for.
    always_open
        True when the workstation has no calendar and no downtime: ``W(t) = t``.

    """

    starts: np.ndarray
    ends: np.ndarray
    horizon: int
    always_open: bool = False
    cum: np.ndarray = field(init=False, repr=False)
    cum_end: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        lengths = self.ends - self.starts
        cum_end = np.cumsum(lengths, dtype=np.int64)
        object.__setattr__(self, "cum_end", cum_end)
        object.__setattr__(self, "cum", cum_end - lengths)

    @property
    def num_stretches(self) -> int:
        """Number of working stretches."""
        return len(self.starts)

    @property
    def total(self) -> int:
        """Working minutes in ``[0, horizon)``."""
        return int(self.cum_end[-1]) if len(self.cum_end) else 0

    @property
    def longest(self) -> int:
        """Length of the longest stretch (0 without working time)."""
        return int((self.ends - self.starts).max()) if len(self.starts) else 0

    def stretches(self) -> list[tuple[int, int]]:
        """The stretches as ``(start, end)`` pairs of clock minutes."""
        return [(int(a), int(b)) for a, b in zip(self.starts, self.ends, strict=True)]

    def worked(self, t: int) -> int:
        """``W(t)``: working minutes in ``[0, t)``."""
        k = int(np.searchsorted(self.starts, t, side="right")) - 1
        if k < 0:
            return 0
        return int(self.cum[k] + min(t - int(self.starts[k]), int(self.ends[k] - self.starts[k])))

    def start_at(self, w: int) -> int:
        """Clock minute of working position ``w`` (the ``w+1``-th working minute), ``w < total``."""
        k = int(np.searchsorted(self.cum_end, w, side="right"))
        return int(self.starts[k] + (w - self.cum[k]))

    def end_at(self, w: int) -> int:
        """Earliest clock minute by which ``w ≥ 1`` working minutes have elapsed."""
        k = int(np.searchsorted(self.cum_end, w, side="left"))
        return int(self.starts[k] + (w - self.cum[k]))

    def place(self, w_min: int, duration: int, pausable: bool) -> int | None:
        """Earliest working position ``w ≥ w_min`` where an operation can start.

        Parameters
        ----------
        w_min
            Earliest working position allowed.
        duration
            Working minutes the operation needs.
        pausable
            Whether it may stop over breaks; if not, ``[w, w + duration)`` must lie in one
            stretch.

        Returns
        -------
        int or None
            The position, or ``None`` when it does not fit before the horizon.

        """
        need = max(duration, 1)  # a zero-length operation still starts at a working minute
        if pausable:
            return w_min if w_min + need <= self.total else None
        k = int(np.searchsorted(self.cum_end, w_min, side="right"))
        while k < len(self.starts):
            w = max(w_min, int(self.cum[k]))
            if int(self.cum_end[k]) - w >= need:
                return w
            k += 1
        return None

    def clock(self, w: int, duration: int) -> tuple[int, int]:
        """Clock ``(start, end)`` of an operation at working position ``w``."""
        start = self.start_at(w)
        return start, (self.end_at(w + duration) if duration > 0 else start)

    # -- the clock map as a staircase: what a solver model needs -----------------------------
    def offset(self, w: int, is_end: bool) -> int:
        """Clock minus working position: ``start_at(w) − w`` (or ``end_at(w) − w``).

        Positions past the last stretch extend its offset (the map stays monotone), so
        the offset is defined for every ``w ≥ 0`` (``w ≥ 1`` for an end).
        """
        if not len(self.starts):
            return 0
        found = (
            np.searchsorted(self.cum_end, w, side="left")
            if is_end
            else np.searchsorted(self.cum_end, w, side="right")
        )
        k = min(int(found), len(self.starts) - 1)
        return int(self.starts[k] - self.cum[k])

    def jumps(self, lo: int, hi: int, is_end: bool) -> list[tuple[int, int]]:
        """The breaks a position in ``[lo, hi]`` can cross, as ``(threshold, gap)`` pairs.

        For every ``p`` in ``[lo, hi]``:
        ``clock(p) = p + offset(lo) + Σ gap · [p ≥ threshold]`` (``clock`` = :meth:`start_at`,
        or :meth:`end_at` when ``is_end``). A start position reaches the next stretch at
        ``cum_end[k]``; an end position only at ``cum_end[k] + 1`` (an operation that ends
        exactly with a stretch ends there, before the break).
        """
        if len(self.starts) < 2 or hi <= lo:
            return []
        thresholds = self.cum_end[:-1] + (1 if is_end else 0)
        gaps = self.starts[1:] - self.ends[:-1]
        first = int(np.searchsorted(thresholds, lo, side="right"))
        last = int(np.searchsorted(thresholds, hi, side="right"))
        return [
            (int(t), int(g)) for t, g in zip(thresholds[first:last], gaps[first:last], strict=True)
        ]

    def lower_hull(self, lo: int, hi: int, is_end: bool) -> list[tuple[int, int]]:
        """Vertices ``(p, clock(p))`` of the lower convex hull of the clock map on ``[lo, hi]``.

        The map is a staircase of unit slope; between consecutive vertices the hull is a
        line that never exceeds it, so ``clock(p) ≥`` each edge's line for every ``p`` in
        ``[lo, hi]``. Such lines give a linear relaxation the calendar's true pace (clock
        minutes per working minute) instead of slope 1.
        """
        base = self.offset(max(lo, 1 if is_end else 0), is_end)
        points = [(lo, lo + base)]
        off = base
        for t, gap in self.jumps(lo, hi, is_end):
            points.append((t - 1, t - 1 + off))  # the last position before the break
            off += gap
        points.append((hi, hi + off))
        hull: list[tuple[int, int]] = []
        for x, y in points:
            while len(hull) >= 2:
                (x1, y1), (x2, y2) = hull[-2], hull[-1]
                # Drop the middle point when it lies on or above the line from x1 to x.
                if (y2 - y1) * (x - x1) >= (y - y1) * (x2 - x1):
                    hull.pop()
                else:
                    break
            if hull and hull[-1][0] == x:
                hull[-1] = (x, min(y, hull[-1][1]))
            else:
                hull.append((x, y))
        return hull

    def last_start(self, t: int, duration: int, pausable: bool) -> int | None:
        """Latest working position where an operation can start and still end by clock ``t``.

        ``None`` when no position does. A zero-length operation ends where it starts; a
        non-pausable one must lie inside one stretch.
        """
        if duration == 0:
            w = self.worked(t + 1) - 1  # its start minute must be a working minute ≤ t
            return w if 0 <= w < self.total else None
        top = min(self.worked(t), self.total) - duration
        if top < 0:
            return None
        if pausable:
            return top
        k = int(np.searchsorted(self.cum_end, top, side="right"))
        k = min(k, len(self.starts) - 1)
        while k >= 0:
            w = min(top, int(self.cum_end[k]) - duration)
            if w >= int(self.cum[k]):
                return w
            k -= 1
        return None


def weekly_intervals(shifts: Iterable[Shift], first_weekday: int, horizon: int) -> list[list[int]]:
    """Clock intervals of weekly shifts over ``[0, horizon)`` (plan start = ``first_weekday``).

    A shift whose end is not after its start runs past midnight (equal: 24 hours). Shifts of
    the day before plan start that run into day 0 are included.
    """
    shifts = list(shifts)
    days = horizon // MINUTES_PER_DAY + 1
    out: list[list[int]] = []
    for day in range(-1, days + 1):
        weekday = (first_weekday + day) % 7
        base = day * MINUTES_PER_DAY
        for wd, start, end in shifts:
            if wd != weekday:
                continue
            stop = end if end > start else end + MINUTES_PER_DAY
            a, b = max(0, base + start), min(horizon, base + stop)
            if a < b:
                out.append([a, b])
    return out


def merge(intervals: Iterable[Sequence[int]]) -> list[list[int]]:
    """Union of half-open intervals, sorted, with overlapping or touching ones joined."""
    merged: list[list[int]] = []
    for a, b in sorted((int(a), int(b)) for a, b in intervals if b > a):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return merged


def subtract(intervals: list[list[int]], holes: Iterable[Sequence[int]]) -> list[list[int]]:
    """``intervals`` (merged) minus the union of ``holes``."""
    result = intervals
    for ha, hb in merge(holes):
        nxt: list[list[int]] = []
        for a, b in result:
            if hb <= a or ha >= b:
                nxt.append([a, b])
                continue
            if a < ha:
                nxt.append([a, ha])
            if hb < b:
                nxt.append([hb, b])
        result = nxt
    return result


def working_time(
    shifts: Sequence[Shift] | None,
    downtime: Iterable[Sequence[int]],
    first_weekday: int,
    horizon: int,
) -> WorkingTime:
    """Working time of a workstation over ``[0, horizon)``.

    Parameters
    ----------
    shifts
        Weekly shifts of its calendar; ``None`` means always open.
    downtime
        Clock intervals ``(start, end)`` during which it cannot work.
    first_weekday
        Weekday of the plan start (0 = Monday).
    horizon
        End of the window, in minutes from plan start.

    Returns
    -------
    WorkingTime
        The stretches of working time.

    """
    holes = [list(h) for h in downtime]
    base = [[0, horizon]] if shifts is None else weekly_intervals(shifts, first_weekday, horizon)
    stretches = subtract(merge(base), holes)
    starts = np.array([a for a, _ in stretches], dtype=np.int64)
    ends = np.array([b for _, b in stretches], dtype=np.int64)
    open_ = shifts is None and len(stretches) == 1 and stretches[0] == [0, horizon]
    return WorkingTime(starts, ends, horizon, always_open=open_)
