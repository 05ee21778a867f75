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
from collections.abc import Callable, Hashable
from typing import ParamSpec, TypeVar

from oms_plan.atp.ledger import EPS
from oms_plan.ctp.bounds import NEVER, Bounds, OpenDays
from oms_plan.ctp.network import CtpNetwork, Step
from oms_plan.ctp.scratch import MINUTE_EPS, Order, Reads, Scratch

_P = ParamSpec("_P")
_K = TypeVar("_K", bound=Hashable)

#: Why a search stopped without an answer: its work budget ran out.
SEARCH_LIMIT = "search_limit"
#: Attempts of one make order when its components come short.
_ATTEMPTS = 3

__all__ = ["NEVER", "SEARCH_LIMIT", "Memory", "OpenDays", "Search"]

#: A new-supply call: (item, location, quantity, by, chain of transfer locations).
Call = tuple[str, str, float, int, frozenset[str]]
#: A remembered failure: (rows read, the reason, whether it was the order's own capacity).
Failure = tuple[Reads, str | None, bool]


class Memory:
    """What searches on one scratch learn and may share: bounds and failed attempts.

    Failed attempts are remembered with the rows they read (:attr:`Scratch.track`): a failure
    leaves the state as it was, and the same call on rows with the same ids fails the same way
    (a search is a function of what it reads), with the same reason. So this is valid for any
    search on the same scratch, whatever its budget (failures at the search limit are not
    remembered).

    Parameters
    ----------
    bounds
        The lower bounds, on the scratch.

    """

    def __init__(self, bounds: Bounds) -> None:
        self.bounds = bounds
        #: (item, location, quantity, by, path) -> (rows read, fail, own capacity).
        self.no_supply: dict[Call, Failure] = {}
        #: (item, plant, want, completion, lead) -> (rows read, fail, own capacity).
        self.no_order: dict[tuple[str, str, float, int, int], Failure] = {}


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
        A cache of open days (:mod:`oms_plan.ctp.bounds`) to share between searches.
    memory
        What an earlier search on the same scratch learnt (:class:`Memory`); a new one when
        ``None``.

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
        memory: Memory | None = None,
    ) -> None:
        self.net = network
        self.buffer_of = buffer_of
        self.scratch = scratch
        self.budget = budget
        self.work = 0
        self.exhausted = False
        self.fail: str | None = None
        self.horizon = network.horizon
        if memory is None:
            memory = Memory(Bounds(network, buffer_of, scratch, open_days))
        self.memory = memory
        self.bounds = memory.bounds
        self._no_supply = memory.no_supply
        self._no_order = memory.no_order
        # Whether the last failed make order failed for its own minutes (not a component's).
        self._own_capacity = False

    def _remembered(
        self,
        memo: dict[_K, Failure],
        key: _K,
        attempt: Callable[_P, float],
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> float:
        """``attempt(*args)``, skipped while an earlier failure with the same key still holds.

        A failure holds while every row it read is unchanged (:meth:`Scratch.valid`); then it
        is replayed (its reason, and the rows it rests on noted) without searching again. A
        failure because the budget ran out is not remembered: with more budget it may succeed.
        """
        scratch = self.scratch
        seen = memo.get(key)
        if seen is not None and scratch.valid(seen[0]):
            scratch.note(seen[0])
            self.fail, self._own_capacity = seen[1], seen[2]
            return 0.0
        got, reads = scratch.tracked(attempt, *args, **kwargs)
        if got <= EPS and not self.exhausted:
            memo[key] = (reads, self.fail, self._own_capacity)
        return got

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
        return self._remembered(
            self._no_supply,
            (item, location, quantity, by, path),
            self._new_supply,
            item,
            location,
            quantity,
            by,
            path,
        )

    def _new_supply(
        self, item: str, location: str, quantity: float, by: int, path: frozenset[str]
    ) -> float:
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
                    c = self.bounds.open_before(item, plant, lead, c)
                    continue
                floor = self.earliest_make(item, plant, lead)
                c = self.bounds.open_before(item, plant, lead, c) if c - 1 >= floor else -1
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
        *,
        why_known: bool = False,
    ) -> tuple[float, int, str | None]:
        """Make orders completing on ``first``, ``first + 1``, … ``last`` until covered.

        Returns what was made, the completion day of the last order (``-1`` when none) and
        why the first attempt that failed did (``None`` when none failed). With
        ``why_known`` the caller has its reason already: the loop starts at the first day
        an order could succeed (the attempts before would fail, changing nothing).
        """
        made, end = 0.0, -1
        first_fail: str | None = None
        c = max(first, lead)
        if why_known and c <= last:
            c = self.bounds.open_from(
                item, plant, lead, max(c, self.earliest_make(item, plant, lead))
            )
        while quantity - made > EPS and c <= last and not self.exhausted:
            got = self.make_order(item, plant, quantity - made, c, lead)
            if got <= EPS:
                first_fail = first_fail or self.fail
                if self._own_capacity:
                    c = self.bounds.open_from(item, plant, lead, c + 1)
                    continue
                c = self.bounds.open_from(
                    item, plant, lead, max(c + 1, self.earliest_make(item, plant, lead))
                )
                continue
            made += got
            end = c
        return made, end, first_fail

    # -- lower bounds (bounds.py) -------------------------------------------------------------
    def earliest(self, item: str, location: str) -> int:
        """A day before which no quantity at all of ``item`` can be had at ``location``."""
        return self.bounds.earliest(item, location)

    def earliest_make(self, item: str, plant: str, lead: int) -> int:
        """A completion day before which no make order of ``item`` at ``plant`` succeeds."""
        return self.bounds.earliest_make(item, plant, lead)

    def make_order(self, item: str, plant: str, want: float, c: int, lead: int) -> float:
        """One make order completing on day ``c``; returns how much of ``want`` it covers."""
        if self._spend():
            return 0.0
        return self._remembered(
            self._no_order,
            (item, plant, want, c, lead),
            self._make_order,
            item,
            plant,
            want,
            c,
            lead,
        )

    def _make_order(self, item: str, plant: str, want: float, c: int, lead: int) -> float:
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
