"""Lower bounds that let the capable-to-promise search skip attempts bound to fail.

The search (:mod:`oms_plan.ctp.search`) tries make orders day after day. An attempt that fails
leaves the state as it was, so an attempt the bounds below prove hopeless can be skipped
without changing any answer, take, booking or binding (the first failure of a loop is always
tried, for its reason). Two facts make the bounds hold while the search goes on:

* within a search, stock and free minutes only go down (takes and bookings) until a rollback
  restores them exactly; a bound is cached with the ids of the rows it read and reused only
  while they hold (it is the same function of the same rows), and it notes those rows as
  read (:attr:`Scratch.track`): skipping an attempt on a bound's word depends on them;
* ATP is non-decreasing in the day (a suffix minimum), so "enough by day t" holds from the
  first such day on.

The bounds:

* **open days** of (item, plant, lead time): completion days on which, per routing step,
  some alternative workstation has the minutes of the least order the lot rules allow in
  the days from release to completion; none when the rules allow no order at all (a fixed
  lot size above the lot maximum);
* **reach** of (item, location): per day, the most that all obtains there by that day could
  get together — ATP (takes on days up to *t* never exceed ATP on *t*), plus what transfers
  could bring from their origins' reach, plus what make orders completing by then could
  make (from the earliest make on, no more than each component's reach at the release day
  allows), unlimited from the first day a purchase could arrive;
* **earliest make** of (item, plant, lead time): no order completes before every component
  can reach the least quantity that order needs, plus the lead time, and on an open day.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from oms_plan.atp.ledger import EPS, FloatArray
from oms_plan.ctp.network import CtpNetwork
from oms_plan.ctp.scratch import Reads, Scratch

_V = TypeVar("_V")

#: "No such day".
NEVER = 1 << 30
#: Units a component may come short in total over the orders of a search (each order may
#: get EPS less than it needs; a search has far fewer than 10^5 orders).
_SLACK = 1e-2

BoolArray = npt.NDArray[np.bool_]


class Open:
    """The open completion days of one (item, plant, lead time), with O(1) neighbours.

    Attributes
    ----------
    ok
        Per completion day, whether an order could have its minutes.
    before
        ``before[c]``: the latest open day before ``c`` (−1 when none), for ``c`` in
        ``0 … horizon``.
    after
        ``after[c]``: the first open day from ``c`` on (``NEVER`` when none), same range.

    """

    __slots__ = ("after", "before", "ok")

    def __init__(self, ok: BoolArray) -> None:
        self.ok = ok
        horizon = len(ok)
        idx = np.flatnonzero(ok)
        pos = np.searchsorted(idx, np.arange(horizon + 1), side="left")
        padded = np.concatenate(([-1], idx, [NEVER]))
        self.before: list[int] = padded[pos].tolist()
        self.after: list[int] = padded[pos + 1].tolist()


#: (item, plant, lead) -> (ids of the workstations' rows, the open days); shared between the
#: searches of an engine: the ids say whether an entry still holds.
OpenDays = dict[tuple[str, str, int], tuple[tuple[int, ...], Open]]


class Bounds:
    """The lower bounds of one search (module doc), cached on the scratch state.

    Parameters
    ----------
    network
        The indexed supply network.
    buffer_of
        ``(item, location) -> ledger buffer`` or ``None``.
    scratch
        The search's scratch (read only here).
    open_days
        A cache of open days to share between searches.

    """

    def __init__(
        self,
        network: CtpNetwork,
        buffer_of: Callable[[str, str], int | None],
        scratch: Scratch,
        open_days: OpenDays | None = None,
    ) -> None:
        self.net = network
        self.buffer_of = buffer_of
        self.scratch = scratch
        self.horizon = network.horizon
        self._open = open_days if open_days is not None else {}
        # (item, location) -> (state, reach, rows read); see reach.
        self._reach: dict[tuple[str, str], tuple[int, FloatArray, Reads]] = {}
        # (item, plant, lead) -> (state, earliest completion, rows read); see earliest_make.
        self._make: dict[tuple[str, str, int], tuple[int, int, Reads]] = {}
        # (item, plant, lead) -> (state, most made by each day, rows read); see most_made.
        self._made: dict[tuple[str, str, int], tuple[int, FloatArray, Reads]] = {}

    # -- open days -------------------------------------------------------------------------
    def open_days(self, item: str, plant: str, lead: int) -> Open | None:
        """Completion days on which a make order could have its minutes (``None``: every day).

        Per step, some alternative has, in the days from release to completion, the minutes
        of the least order the lot rules allow; no day when the rules allow no order.
        """
        steps = self.net.steps(item, plant)
        lot = self.net.lots[item]
        possible = lot.possible()
        if not steps and possible:
            return None
        key = (item, plant, lead)
        # Valid while the workstations' rows are the same (not the whole state: a booking
        # elsewhere changes nothing here).
        scratch = self.scratch
        ids = tuple(scratch.cap_id(w) for step in steps for w, _, _ in step.alternatives)
        if scratch.track is not None:
            for step in steps:
                for w, _, _ in step.alternatives:
                    scratch.note_cap(w)
        hit = self._open.get(key)
        if hit is not None and hit[0] == ids:
            return hit[1]
        horizon = self.horizon
        least = lot.least()
        days = np.arange(horizon)
        first = np.maximum(days - lead, 0)
        ok = (days >= lead) & possible
        for step in steps:
            fits = np.zeros(horizon, dtype=bool)
            for w, setup, run in step.alternatives:
                total = np.concatenate(([0.0], np.cumsum(scratch.free_row(w))))
                window = total[days + 1] - total[first]
                # A margin far above the rounding of the running sums: a day is skipped only
                # when its minutes are clearly short.
                margin = 1e-6 + 1e-9 * float(total[-1])
                fits |= window >= setup + least * run - margin
            ok &= fits
        found = Open(ok)
        self._open[key] = (ids, found)
        return found

    def open_before(self, item: str, plant: str, lead: int, c: int) -> int:
        """The latest open completion day before ``c`` (or −1)."""
        found = self.open_days(item, plant, lead)
        if found is None:
            return c - 1
        return found.before[min(max(c, 0), self.horizon)]

    def open_from(self, item: str, plant: str, lead: int, c: int) -> int:
        """The first open completion day from ``c`` on (``NEVER`` when none)."""
        found = self.open_days(item, plant, lead)
        if found is None or c >= self.horizon:
            return c
        return found.after[max(c, 0)]

    # -- reach -----------------------------------------------------------------------------
    def earliest(self, item: str, location: str) -> int:
        """A day before which no quantity at all of ``item`` can be had at ``location``.

        The first day its reach is positive; ``NEVER`` when none within the horizon.
        """
        reach = self.reach(item, location)
        day = int(reach.searchsorted(EPS, side="right"))
        return day if day < self.horizon else NEVER

    def reach(self, item: str, location: str) -> FloatArray:
        """Per day, an upper bound of what ``obtain`` could get of ``item`` at ``location``.

        Non-decreasing; ``inf`` from the first day new supply is unlimited (read only).
        """
        value, _ = self._reach_of(item, location, frozenset({location}))
        return value

    def _reach_of(
        self, item: str, location: str, visiting: frozenset[str]
    ) -> tuple[FloatArray, bool]:
        """The reach and whether a cycle of transfers was cut on the way (then not cached).

        Locations in ``visiting`` are left out, as the search leaves out the locations of its
        chain of transfers (a subset of the search's chain, so the bound still holds).
        """
        key = (item, location)
        scratch = self.scratch
        state = scratch.state
        hit = self._reach.get(key)
        if hit is not None and (hit[0] == state or scratch.valid(hit[2])):
            scratch.note(hit[2])
            return hit[1], False
        (out, cut), reads = scratch.tracked(self._compute_reach, item, location, visiting)
        if not cut:
            self._reach[key] = (state, out, reads)
        return out, cut

    def _compute_reach(
        self, item: str, location: str, visiting: frozenset[str]
    ) -> tuple[FloatArray, bool]:
        horizon = self.horizon
        b = self.buffer_of(item, location)
        out = np.zeros(horizon) if b is None else np.maximum(self.scratch.atp_row(b), 0.0)
        unlimited, cut = NEVER, False
        for alt in self.net.alternatives(item, location):
            if alt.method == "buy":
                unlimited = min(unlimited, alt.lead)
            elif alt.method == "transfer":
                if alt.origin in visiting:
                    cut = True  # the value depends on the way in: not cached
                    continue
                moved, deeper = self._reach_of(item, alt.origin, visiting | {alt.origin})
                cut = cut or deeper
                if alt.lead < horizon:
                    out[alt.lead :] += moved[: horizon - alt.lead]
            else:
                first = self.earliest_make(item, location, alt.lead)
                if first < horizon:
                    out[first:] += self.most_made(item, location, alt.lead)[first:]
        if unlimited < horizon:
            out[unlimited:] = math.inf
        return out, cut

    def _cached(
        self,
        cache: dict[tuple[str, str, int], tuple[int, _V, Reads]],
        key: tuple[str, str, int],
        compute: Callable[[str, str, int], _V],
    ) -> _V:
        """``compute(*key)``, reused while the scratch is unchanged or the rows it read are."""
        scratch = self.scratch
        state = scratch.state
        hit = cache.get(key)
        if hit is not None and (hit[0] == state or scratch.valid(hit[2])):
            scratch.note(hit[2])
            return hit[1]
        value, reads = scratch.tracked(compute, *key)
        cache[key] = (state, value, reads)
        return value

    def most_made(self, item: str, plant: str, lead: int) -> FloatArray:
        """Per completion day, an upper bound of all make orders completing by then.

        Each order takes qty × per of every component (less EPS at most) by its release, so
        together they take no more than the component's reach lead days earlier allows
        (a slack covers the EPS of many orders). Non-decreasing (read only).
        """
        return self._cached(self._made, (item, plant, lead), self._compute_made)

    def _compute_made(self, item: str, plant: str, lead: int) -> FloatArray:
        horizon = self.horizon
        most = np.full(horizon, math.inf)
        for comp, per in self.net.bom(item, plant):
            if per <= 0.0:
                continue
            allowed = np.zeros(horizon)
            if lead < horizon:
                allowed[lead:] = self.reach(comp, plant)[: horizon - lead]
            np.minimum(most, (allowed * (1.0 + 1e-9) + _SLACK) / per, out=most)
        return most

    def earliest_make(self, item: str, plant: str, lead: int) -> int:
        """A completion day before which no make order of ``item`` at ``plant`` succeeds.

        Every component must reach, by the release day, what the least order needs of it;
        then the lead time, then the first open day (``NEVER`` when none).
        """
        return self._cached(self._make, (item, plant, lead), self._compute_make)

    def earliest_made(self, item: str, plant: str, lead: int, quantity: float) -> int:
        """A day before which make orders completing by then cannot make ``quantity`` in all.

        No order completes before :meth:`earliest_make`, and all orders completing by a day
        make no more than their components allow (``NEVER`` when not within the horizon).
        """
        first = self.earliest_make(item, plant, lead)
        if first >= self.horizon:
            return NEVER
        day = int(self.most_made(item, plant, lead).searchsorted(quantity - EPS, side="left"))
        return max(first, day) if day < self.horizon else NEVER

    def _compute_make(self, item: str, plant: str, lead: int) -> int:
        lot = self.net.lots[item]
        if not lot.possible():
            return NEVER
        least = lot.least()
        worst = 0
        for comp, per in self.net.bom(item, plant):
            if per <= 0.0:
                continue
            reach = self.reach(comp, plant)
            # An order takes need = qty × per (whole units rounded up) and fails when it gets
            # less than need − EPS: it needs at least least × per − 2 EPS of the component.
            # Below that, "any at all" (the first day the reach is positive), as before.
            need = least * per * (1.0 - 1e-12) - 2.0 * EPS
            if need > EPS:
                day = int(reach.searchsorted(need, side="left"))
            else:
                day = int(reach.searchsorted(EPS, side="right"))
            if day >= self.horizon:
                return NEVER
            worst = max(worst, day)
        return self.open_from(item, plant, lead, lead + worst)
