"""The capable-to-promise explosion: new supply of a quantity by a day, recursively.

Rules (docs/promising.md, "Capable-to-promise"; :mod:`oms_plan.ctp.reference` implements the
same rules naively and the tests compare the two):

* **obtain** ``q`` of item *i* at location *L* by day *t*: take what ATP at *L* has on day *t*,
  then cover the rest with **new supply**: the sourcing rows of (*i*, *L*) in priority order,
  each covering what the ones before could not —
  ``buy`` (unlimited, when *t* ≥ lead_days: a purchase released on *t* − lead_days),
  ``transfer`` (obtain the rest at from_location by *t* − lead_days; a location already on the
  chain of transfers is skipped), ``make`` (make orders, backward: below).
* **make backward** ``q`` at plant *P* by day *t*: make orders completing on *t*, then on
  *t* − 1, … (never released before plan start), each as large as its window, its lot rules
  and its components allow, until ``q`` is covered; several orders may complete on one day.
* **a make order** completing on *c*, released on *a* = *c* − lead_days: per routing step,
  the alternative workstation that allows the largest quantity given the free minutes of days
  *a … c* (ties: workstation order; steps on one workstation add up); the order quantity by
  :meth:`Lot.size`; every BOM component obtained at *P* by day *a* (integral components in
  whole units); if one comes short, the order shrinks to what it allows and is tried again
  (three times at most); then its minutes (setup + quantity × run) are booked on the days
  *a … c*, earliest first.

Work is bounded: every obtain and every make-order attempt counts, and a search that exceeds
its budget stops and reports ``search_limit``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from oms_plan.atp.ledger import EPS
from oms_plan.ctp.network import CtpNetwork, Step
from oms_plan.ctp.scratch import MINUTE_EPS, Order, Scratch

#: Why a search stopped without an answer: its work budget ran out.
SEARCH_LIMIT = "search_limit"
#: Attempts of one make order when its components come short.
_ATTEMPTS = 3
BoolArray = npt.NDArray[np.bool_]
#: (item, plant, lead) -> (ids of the workstations' rows, completion days with minutes).
OpenDays = dict[tuple[str, str, int], tuple[tuple[int, ...], BoolArray]]

#: "No such day".
NEVER = 1 << 30


class Search:
    """One capable-to-promise search on a :class:`Scratch`.

    Parameters
    ----------
    network
        The indexed supply network.
    buffer_of
        ``(item, location) -> ledger buffer`` or ``None`` (no stock, receipts or commitments).
    scratch
        Where takes and bookings go.
    budget
        Work units (obtains + make-order attempts) before the search gives up.
    open_days
        A cache of :meth:`_open_days` to share between searches (keyed by row ids).

    Attributes
    ----------
    fail
        Why the most recent attempt failed (a binding: ``capacity:<workstation>``,
        ``component:<item>``, ``lead_time`` or ``search_limit``), ``None`` before any failure.
    exhausted
        True once the budget ran out (every call then returns nothing).

    """

    def __init__(
        self,
        network: CtpNetwork,
        buffer_of: Callable[[str, str], int | None],
        scratch: Scratch,
        budget: int,
        open_days: OpenDays | None = None,
    ) -> None:
        self.net = network
        self.buffer_of = buffer_of
        self.scratch = scratch
        self.budget = budget
        self.work = 0
        self.exhausted = False
        self.fail: str | None = None
        self.horizon = network.horizon
        # (item, location) -> (state, by, quantity, reason): new supply found nothing then;
        # with the state unchanged, the same quantity by an earlier day finds nothing either
        # (every attempt it would make was made and failed, leaving the state as it was).
        self._nothing: dict[tuple[str, str], tuple[int, int, float, str | None]] = {}
        # (item, location) -> (state, earliest day anything can be had there); see earliest.
        self._bounds: dict[tuple[str, str], tuple[int, int]] = {}
        # (item, plant, lead) -> (ids of the workstations' rows, completion days with
        # minutes); see _open_days. Shared by the searches of an engine: the ids say whether
        # an entry still holds.
        self._open = open_days if open_days is not None else {}
        # Whether the last failed make order failed for its own minutes (not a component's).
        self._own_capacity = False

    def _spend(self) -> bool:
        self.work += 1
        if self.work > self.budget:
            self.exhausted = True
            self.fail = SEARCH_LIMIT
        return self.exhausted

    # -- obtain and new supply -----------------------------------------------------------------
    def obtain(
        self, item: str, location: str, quantity: float, by: int, path: frozenset[str]
    ) -> float:
        """Take ATP at ``location`` on day ``by``, then new supply; return what was obtained."""
        if by < 0 or self._spend():
            if by < 0:
                self.fail = "lead_time"
            return 0.0
        got = 0.0
        b = self.buffer_of(item, location)
        if b is not None:
            day = by if by < self.horizon else self.horizon - 1
            have = self.scratch.atp(b, day)
            if have > EPS:
                got = have if have < quantity else quantity
                self.scratch.take(b, day, got)
        rest = quantity - got
        if rest <= EPS:
            return quantity
        return got + self.new_supply(item, location, rest, by, path)

    def new_supply(
        self, item: str, location: str, quantity: float, by: int, path: frozenset[str]
    ) -> float:
        """New supply of ``quantity`` of ``item`` at ``location`` ready by day ``by``."""
        key = (item, location)
        seen = self._nothing.get(key)
        state = self.scratch.state
        if (
            seen is not None
            and seen[0] == state
            and by <= seen[1]
            and abs(quantity - seen[2]) <= EPS
        ):
            self.fail = seen[3]
            return 0.0
        got = 0.0
        self.fail = None
        for alt in self.net.alternatives(item, location):
            rest = quantity - got
            if rest <= EPS or self.exhausted:
                break
            if alt.method == "buy":
                if by >= alt.lead:
                    self.scratch.add_order(
                        Order("buy", item, location, "", rest, by - alt.lead, by)
                    )
                    got += rest
            elif alt.method == "transfer":
                if alt.origin in path:
                    continue
                moved = self.obtain(item, alt.origin, rest, by - alt.lead, path | {alt.origin})
                if moved > EPS:
                    self.scratch.add_order(
                        Order("transfer", item, location, alt.origin, moved, by - alt.lead, by)
                    )
                    got += moved
            else:
                got += self.make_backward(item, location, rest, by, alt.lead)
        if got <= EPS:
            self._nothing[key] = (self.scratch.state, by, quantity, self.fail)
            return 0.0
        return got if got < quantity else quantity

    # -- make orders -----------------------------------------------------------------------
    def make_backward(self, item: str, plant: str, quantity: float, due: int, lead: int) -> float:
        """Make orders completing on ``due``, ``due - 1``, … until ``quantity`` is covered."""
        made = 0.0
        c = min(due, self.horizon - 1)
        if c - lead < 0:
            self.fail = self.fail or "lead_time"
        first_fail: str | None = None
        while quantity - made > EPS and c - lead >= 0 and not self.exhausted:
            got = self.make_order(item, plant, quantity - made, c, lead)
            if got <= EPS:
                first_fail = first_fail or self.fail
                # Skip days whose attempts would fail the same way (leaving the state as it
                # is): without the minutes for even the smallest order, or (after a failure
                # that was not the order's own minutes) before the components could first
                # be had at all. Either bound alone is valid; the cheaper one comes first.
                if self._own_capacity:
                    c = self._open_before(item, plant, lead, c)
                    continue
                floor = self.earliest_make(item, plant, lead)
                c = self._open_before(item, plant, lead, c) if c - 1 >= floor else -1
                if c < floor:
                    break
                continue
            made += got
        if made < quantity - EPS and first_fail is not None:
            self.fail = first_fail
        return made

    def make_forward(
        self,
        item: str,
        plant: str,
        quantity: float,
        first: int,
        last: int,
        lead: int,
    ) -> tuple[float, int, str | None]:
        """Make orders completing on ``first``, ``first + 1``, … ``last`` until covered.

        Returns what was made, the completion day of the last order (``-1`` when none) and
        why the first attempt that failed did (``None`` when none failed).
        """
        made, end = 0.0, -1
        first_fail: str | None = None
        c = max(first, lead)
        while quantity - made > EPS and c <= last and not self.exhausted:
            got = self.make_order(item, plant, quantity - made, c, lead)
            if got <= EPS:
                first_fail = first_fail or self.fail
                if self._own_capacity:
                    c = self._open_from(item, plant, lead, c + 1)
                    continue
                c = self._open_from(
                    item, plant, lead, max(c + 1, self.earliest_make(item, plant, lead))
                )
                continue
            made += got
            end = c
        return made, end, first_fail

    # -- lower bounds ------------------------------------------------------------------------
    def _open_days(self, item: str, plant: str, lead: int) -> BoolArray | None:
        """Completion days on which a make order of ``item`` at ``plant`` could have its minutes.

        Per step, some alternative has, in the days from release to completion, the minutes
        of the smallest order the lot rules allow (``None``: no routing, every day).
        """
        steps = self.net.steps(item, plant)
        if not steps:
            return None
        key = (item, plant, lead)
        # Valid while the workstations' rows are the same (not the whole state: a booking
        # elsewhere changes nothing here).
        ids = tuple(self.scratch.cap_id(w) for step in steps for w, _, _ in step.alternatives)
        hit = self._open.get(key)
        if hit is not None and hit[0] == ids:
            return hit[1]
        horizon = self.horizon
        smallest = self.net.lots[item].smallest()
        days = np.arange(horizon)
        first = np.maximum(days - lead, 0)
        ok = days >= lead
        for step in steps:
            fits = np.zeros(horizon, dtype=bool)
            for w, setup, run in step.alternatives:
                total = np.concatenate(([0.0], np.cumsum(self.scratch.free_row(w))))
                window = total[days + 1] - total[first]
                # A margin far above the rounding of the running sums: a day is skipped only
                # when its minutes are clearly short.
                margin = 1e-6 + 1e-9 * float(total[-1])
                fits |= window >= setup + smallest * run - margin
            ok &= fits
        self._open[key] = (ids, ok)
        return ok

    def _open_before(self, item: str, plant: str, lead: int, c: int) -> int:
        """The latest completion day before ``c`` that :meth:`_open_days` allows (or -1)."""
        ok = self._open_days(item, plant, lead)
        if ok is None:
            return c - 1
        found = np.flatnonzero(ok[:c])
        return int(found[-1]) if len(found) else -1

    def _open_from(self, item: str, plant: str, lead: int, c: int) -> int:
        """The first completion day from ``c`` on that :meth:`_open_days` allows."""
        ok = self._open_days(item, plant, lead)
        if ok is None or c >= self.horizon:
            return c
        found = np.flatnonzero(ok[c:])
        return c + int(found[0]) if len(found) else NEVER

    def earliest(self, item: str, location: str) -> int:
        """A day before which no quantity at all of ``item`` can be had at ``location``.

        The first day ATP there is positive, or new supply could be ready ignoring capacity
        (a purchase's lead time; a transfer's origin plus its lead time; production's lead
        time after its components' earliest days); ``NEVER`` when none. Only used to skip
        attempts that would fail: the answers are those of trying every day.
        """
        value, _ = self._earliest(item, location, frozenset({location}))
        return value

    def earliest_make(self, item: str, plant: str, lead: int) -> int:
        """A completion day before which no make order of ``item`` at ``plant`` succeeds.

        Its components' earliest days plus the lead time, then the first day with the minutes
        of the smallest order.
        """
        worst = 0
        for comp, per in self.net.bom(item, plant):
            if per > 0.0:
                worst = max(worst, self.earliest(comp, plant))
        return self._open_from(item, plant, lead, lead + worst)

    def _earliest(self, item: str, location: str, visiting: frozenset[str]) -> tuple[int, bool]:
        key = (item, location)
        state = self.scratch.state
        hit = self._bounds.get(key)
        if hit is not None and hit[0] == state:
            return hit[1], False
        best, cut = NEVER, False
        b = self.buffer_of(item, location)
        if b is not None:
            best = self.scratch.first_positive(b)
        for alt in self.net.alternatives(item, location):
            if alt.method == "buy":
                best = min(best, alt.lead)
            elif alt.method == "transfer":
                if alt.origin in visiting:
                    cut = True  # a cycle of transfers: its value depends on the way in
                    continue
                value, deeper = self._earliest(item, alt.origin, visiting | {alt.origin})
                cut = cut or deeper
                best = min(best, value + alt.lead)
            else:
                worst = 0
                for comp, per in self.net.bom(item, location):
                    if per > 0.0:
                        value, _ = self._earliest(comp, location, frozenset({location}))
                        worst = max(worst, value)
                best = min(best, self._open_from(item, location, alt.lead, alt.lead + worst))
        if not cut:
            self._bounds[key] = (state, best)
        return best, cut

    def make_order(self, item: str, plant: str, want: float, c: int, lead: int) -> float:
        """One make order completing on day ``c``; returns how much of ``want`` it covers."""
        if self._spend():
            return 0.0
        a = c - lead
        steps = self.net.steps(item, plant)
        scratch = self.scratch
        chosen: list[int] = []
        most = math.inf
        limiting = ""
        if steps:
            most, limiting, chosen = self._capacity(steps, a, c)
        lot = self.net.lots[item]
        qty = lot.size(want, most)
        if qty <= EPS:
            self.fail = f"capacity:{limiting}" if limiting else "capacity"
            self._own_capacity = True
            return 0.0
        self._own_capacity = False
        bom = self.net.bom(item, plant)
        for _ in range(_ATTEMPTS):
            mark = scratch.mark()
            short_of: float | None = None
            for comp, per in bom:
                need = qty * per
                if self.net.integral(comp):
                    need = math.ceil(need - EPS)
                if need <= EPS:
                    continue
                # A component's transfers start their own chain of locations.
                got = self.obtain(comp, plant, need, a, frozenset({plant}))
                if got < need - EPS:
                    short_of = got / per
                    self.fail = self._component_reason(comp)
                    break
            if short_of is None:
                break
            scratch.rollback(mark)
            # A component came short: whatever its own search left in the flag, this order
            # did not fail for its own minutes.
            self._own_capacity = False
            smaller = lot.size(min(want, short_of), min(most, short_of))
            if smaller <= EPS or smaller >= qty - EPS or self.exhausted:
                return 0.0
            qty = smaller
        else:
            return 0.0
        for step, w in zip(steps, chosen, strict=True):
            setup, run = next((s, r) for ws, s, r in step.alternatives if ws == w)
            minutes = setup + qty * run
            if minutes > MINUTE_EPS:
                scratch.book(w, a, c, minutes)
        scratch.add_order(Order("make", item, plant, "", qty, a, c))
        return qty if qty < want else want

    def _component_reason(self, comp: str) -> str:
        deeper = self.fail
        if deeper is not None and deeper != "lead_time":
            return deeper
        return f"component:{comp}"

    def _capacity(self, steps: tuple[Step, ...], a: int, c: int) -> tuple[float, str, list[int]]:
        """What the free minutes of days ``a … c`` allow.

        Returns the largest quantity, the workstation that limits it, and the workstation
        chosen per step.
        """
        free: dict[int, float] = {}
        used: dict[int, tuple[float, float]] = {}
        chosen: list[int] = []
        scratch = self.scratch
        for step in steps:
            best_w, best_q = -1, -math.inf
            for w, setup, run in step.alternatives:
                if w not in free:
                    free[w] = scratch.window(w, a, c)
                s0, r0 = used.get(w, (0.0, 0.0))
                q = _most(free[w], s0 + setup, r0 + run)
                if q > best_q:
                    best_w, best_q = w, q
            s0, r0 = used.get(best_w, (0.0, 0.0))
            setup, run = next((s, r) for ws, s, r in step.alternatives if ws == best_w)
            used[best_w] = (s0 + setup, r0 + run)
            chosen.append(best_w)
        most, limiting = math.inf, -1
        for w in chosen:  # step order: the first limiting workstation names the binding
            s, r = used[w]
            q = _most(free[w], s, r)
            if q < most:
                most, limiting = q, w
        return most, self.net.workstations[limiting] if limiting >= 0 else "", chosen


def _most(free: float, setup: float, run: float) -> float:
    """The largest quantity with setup + quantity × run ≤ free (−1 when even setup fails)."""
    if free < setup - MINUTE_EPS:
        return -1.0
    if run <= 0.0:
        return math.inf
    return max(free - setup, 0.0) / run
