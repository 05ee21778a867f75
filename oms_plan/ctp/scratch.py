"""A scratch copy of the promising state on which one answer is planned and undone.

Planning an answer takes component stock (ATP rows of the ledger) and books workstation
minutes tentatively, tries something else when a branch fails, and finally either keeps or
drops what it did. :class:`Scratch` lets it do that without touching the real state: rows are
copied on first write (copy-on-write), every write remembers the row as it was, and
:meth:`Scratch.rollback` to a :meth:`Scratch.mark` restores them exactly. What was taken and
booked is recorded (``takes``, ``loads``, ``orders``) so the chosen answer can be applied to
the real state later, leg by leg.

Every row has an id that changes when it is written and returns on rollback. While ``track``
holds a dict, every read notes the row's id there (the first read of each row): a result
computed from the rows so noted holds again whenever they have the same ids (:meth:`valid`),
which is how the search remembers failed attempts.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import NamedTuple, ParamSpec, TypeVar

from oms_plan.atp.ledger import FloatArray, apply_consume

#: Row ids noted by reads: key -> id. ATP row ``b`` is key ``b``; workstation ``w`` is ``-1 - w``.
Reads = dict[int, int]

_IDS = itertools.count(1)

_P = ParamSpec("_P")
_T = TypeVar("_T")

#: Minutes closer than this count as equal (sums of fractional run minutes drift a little).
MINUTE_EPS = 1e-6


class Mark(NamedTuple):
    """A point :meth:`Scratch.rollback` can return to."""

    undo: int
    takes: int
    loads: int
    orders: int
    state: int


class Order(NamedTuple):
    """A new order of an answer (days from plan start; ``origin`` of a transfer)."""

    method: str
    item: str
    location: str
    origin: str
    quantity: float
    release: int
    due: int


class Scratch:
    """Copy-on-write view of ATP rows and free workstation minutes, with an undo log.

    Parameters
    ----------
    smin
        The ledger's suffix-minimum rows ``(buffers, horizon)`` (never written here).
    free
        Free minutes ``(workstations, horizon)`` (never written here).
    versions
        Per workstation, a version of its ``free`` row that changes whenever the row does
        (the engine's); lets row ids (:meth:`cap_id`) hold across scratches.

    Attributes
    ----------
    takes
        ``(buffer, day, quantity)`` taken so far.
    loads
        ``(workstation, day, minutes)`` booked so far.
    orders
        New orders planned so far.
    state
        An id of the current contents: it changes on every write and returns to the mark's
        on rollback, so a result remembered under an id is valid while the id is current.

    """

    __slots__ = (
        "_cap_ids",
        "_caps",
        "_free",
        "_row_ids",
        "_rows",
        "_smin",
        "_undo",
        "_versions",
        "loads",
        "orders",
        "state",
        "takes",
        "track",
    )

    def __init__(
        self, smin: FloatArray, free: FloatArray, versions: list[int] | None = None
    ) -> None:
        self._smin = smin
        self._free = free
        self._versions = versions
        self._rows: dict[int, FloatArray] = {}
        self._caps: dict[int, FloatArray] = {}
        # (is_capacity, key, the row before the write or None when it was not copied yet,
        #  the row's id before the write)
        self._undo: list[tuple[bool, int, FloatArray | None, int]] = []
        # Workstation -> id of its row's contents (absent: untouched); see cap_id.
        self._cap_ids: dict[int, int] = {}
        # Buffer -> id of its ATP row's contents (absent: untouched, id 0); see row_id.
        self._row_ids: dict[int, int] = {}
        #: Where reads note row ids (``None``: nowhere); see the module doc.
        self.track: Reads | None = None
        self.takes: list[tuple[int, int, float]] = []
        self.loads: list[tuple[int, int, float]] = []
        self.orders: list[Order] = []
        self.state = next(_IDS)

    # -- reads ------------------------------------------------------------------------------
    def atp(self, b: int, day: int) -> float:
        """Quantity that can still be taken from buffer ``b`` on ``day`` (never below 0)."""
        track = self.track
        if track is not None and b not in track:
            track[b] = self._row_ids.get(b, 0)
        row = self._rows.get(b)
        value = self._smin.item(b, day) if row is None else row.item(day)
        return value if value > 0.0 else 0.0

    def atp_row(self, b: int) -> FloatArray:
        """ATP of buffer ``b`` per day, non-decreasing, possibly negative (read only)."""
        track = self.track
        if track is not None and b not in track:
            track[b] = self._row_ids.get(b, 0)
        row = self._rows.get(b)
        return self._smin[b] if row is None else row

    def free_row(self, w: int) -> FloatArray:
        """Free minutes of workstation ``w`` per day (read only)."""
        self.note_cap(w)
        row = self._caps.get(w)
        return self._free[w] if row is None else row

    def cap_id(self, w: int) -> int:
        """An id of workstation ``w``'s free minutes: equal ids, equal rows.

        A row written here has the (positive) id of the write; an untouched row the
        engine's version of it, negated (or 0 without versions).
        """
        own = self._cap_ids.get(w)
        if own is not None:
            return own
        return -1 - self._versions[w] if self._versions is not None else 0

    def note_cap(self, w: int) -> None:
        """Note workstation ``w``'s row as read (see ``track``)."""
        track = self.track
        if track is not None and -1 - w not in track:
            track[-1 - w] = self.cap_id(w)

    def row_id(self, key: int) -> int:
        """The current id of a row by its key in :data:`Reads`."""
        if key >= 0:
            return self._row_ids.get(key, 0)
        return self.cap_id(-1 - key)

    def valid(self, reads: Reads) -> bool:
        """Whether every row in ``reads`` still has the id noted there."""
        row_ids = self._row_ids
        for key, ident in reads.items():
            if key >= 0:
                if row_ids.get(key, 0) != ident:
                    return False
            elif self.cap_id(-1 - key) != ident:
                return False
        return True

    def note(self, reads: Reads) -> None:
        """Note rows read by a result reused from earlier (``reads``, valid now)."""
        track = self.track
        if track is not None:
            if not track:
                track.update(reads)
                return
            for key in reads.keys() - track.keys():
                track[key] = reads[key]

    def tracked(
        self, compute: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs
    ) -> tuple[_T, Reads]:
        """``compute(*args, **kwargs)`` and the rows it read.

        The rows are noted for the enclosing computation too (a result that rests on them
        makes whatever used it rest on them as well).
        """
        outer, reads = self.track, Reads()
        self.track = reads
        try:
            value = compute(*args, **kwargs)
        finally:
            self.track = outer
        self.note(reads)
        return value, reads

    def window(self, w: int, first: int, last: int) -> float:
        """Free minutes of workstation ``w`` from day ``first`` through day ``last``."""
        self.note_cap(w)
        row = self._caps.get(w)
        if row is None:
            row = self._free[w]
        # A plain left-to-right sum: the reference CTP adds the same floats in the same order.
        values: list[float] = row[first : last + 1].tolist()
        return sum(values)

    # -- writes -----------------------------------------------------------------------------
    def take(self, b: int, day: int, quantity: float) -> None:
        """Take ``quantity`` from buffer ``b`` on ``day``."""
        row = self._rows.get(b)
        if row is None:
            self._undo.append((False, b, None, 0))
            row = self._rows[b] = self._smin[b].copy()
        else:
            self._undo.append((False, b, row.copy(), self._row_ids[b]))
        apply_consume(row, day, quantity)
        self.takes.append((b, day, quantity))
        self.state = next(_IDS)
        self._row_ids[b] = self.state

    def book(self, w: int, first: int, last: int, minutes: float) -> None:
        """Book ``minutes`` on workstation ``w`` in days ``first … last``, earliest days first.

        The caller has checked that the window has that many free minutes.
        """
        row = self._caps.get(w)
        if row is None:
            self._undo.append((True, w, None, 0))
            row = self._caps[w] = self._free[w].copy()
        else:
            self._undo.append((True, w, row.copy(), self._cap_ids[w]))
        left = minutes
        for day in range(first, last + 1):
            have = row.item(day)
            if have <= 0.0:
                continue
            use = have if have < left else left
            row[day] = have - use
            self.loads.append((w, day, use))
            left -= use
            if left <= MINUTE_EPS:
                break
        self.state = next(_IDS)
        self._cap_ids[w] = self.state

    def add_order(self, order: Order) -> None:
        """Record a new order of the answer."""
        self.orders.append(order)

    # -- marks ------------------------------------------------------------------------------
    def mark(self) -> Mark:
        """The current point, for :meth:`rollback`."""
        return Mark(len(self._undo), len(self.takes), len(self.loads), len(self.orders), self.state)

    def rollback(self, mark: Mark) -> None:
        """Undo every write since ``mark``."""
        undo = self._undo
        while len(undo) > mark.undo:
            is_cap, key, before, before_id = undo.pop()
            rows = self._caps if is_cap else self._rows
            ids = self._cap_ids if is_cap else self._row_ids
            if before is None:
                del rows[key]
                del ids[key]
            else:
                rows[key] = before
                ids[key] = before_id
        del self.takes[mark.takes :]
        del self.loads[mark.loads :]
        del self.orders[mark.orders :]
        self.state = mark.state
