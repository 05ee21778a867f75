"""Clock minutes of working positions, as CP-SAT expressions with one literal per break.

On a workstation's working time, the clock minute of a working position ``p`` is a
staircase: ``clock(p) = p + offset(lo) + Σ_k gap_k · [p ≥ threshold_k]`` over the breaks
``k`` that a position in the window ``[lo, hi]`` can cross
(:meth:`~oms_plan.schedule.calendar.WorkingTime.jumps`). Each ``[p ≥ threshold_k]`` is one
Boolean tied to ``p`` by two half-reified bounds, which CP-SAT reads as an order-encoding
literal of ``p``: no table, no ``==`` literals, and nothing at all when the window holds no
break. Where the exact map is only needed above some position (a tardiness only counts past
the due date), the breaks below it are folded into the constant.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from oms_plan.schedule.calendar import WorkingTime

LinearExpr = cp_model.LinearExprT


@dataclass(frozen=True, slots=True)
class Position:
    """A working position ``var + shift`` (the start ``w`` or the end ``w + d``)."""

    var: cp_model.IntVar
    shift: int = 0

    @property
    def expr(self) -> LinearExpr:
        """The position as a linear expression."""
        return self.var + self.shift if self.shift else self.var


@dataclass
class ClockMaps:
    """Builds clock expressions and remembers every break literal (for hints).

    Attributes
    ----------
    literals
        ``(literal, position, threshold)``: the literal is ``[position ≥ threshold]``.
    cache
        Built expressions by ``(var index, shift, is_end, lo, hi, floor, workstation key)``.

    """

    model: cp_model.CpModel
    literals: list[tuple[cp_model.IntVar, Position, int]] = field(default_factory=list)
    cache: dict[tuple[int, ...], LinearExpr] = field(default_factory=dict)
    num_maps: int = 0

    def literal(self, pos: Position, threshold: int, tag: str) -> cp_model.IntVar:
        """The Boolean ``[pos ≥ threshold]`` (both directions posted)."""
        m = self.model
        b = m.new_bool_var(f"ge_{tag}_{threshold}")
        m.add(pos.expr >= threshold).only_enforce_if(b)
        m.add(pos.expr <= threshold - 1).only_enforce_if(~b)
        self.literals.append((b, pos, threshold))
        return b

    def clock(
        self,
        pos: Position,
        lo: int,
        hi: int,
        wt: WorkingTime,
        wt_key: int,
        *,
        is_end: bool,
        floor: int | None = None,
        tag: str = "",
    ) -> LinearExpr:
        """Clock minute of ``pos`` (a start, or an end when ``is_end``) on ``wt``.

        Parameters
        ----------
        pos
            The working position.
        lo, hi
            Its window (the expression is exact for ``p`` in ``[max(lo, floor), hi]``).
        wt, wt_key
            The working time and an id of it (for the cache).
        is_end
            Map an end position (a finished minute count) rather than a start.
        floor
            Exactness is only needed at positions ``≥ floor``; below it the expression is
            ``p + offset(floor) ≤ clock(floor)`` (a lower estimate).
        tag
            Name suffix of the literals.

        Returns
        -------
        LinearExpr
            ``p + offset + Σ gap · literal``.

        """
        base = max(lo, floor) if floor is not None else lo
        base = min(base, hi)
        key = (pos.var.index, pos.shift, int(is_end), base, hi, wt_key)
        if key in self.cache:
            return self.cache[key]
        shift = pos.shift
        lits: list[cp_model.IntVar] = []
        gaps: list[int] = []
        if not wt.always_open:
            shift += wt.offset(max(base, 1 if is_end else 0), is_end)
            jumps = wt.jumps(base, hi, is_end)
            if jumps:
                self.num_maps += 1
                lits = [self.literal(pos, t, tag) for t, _ in jumps]
                gaps = [g for _, g in jumps]
                for a, b in itertools.pairwise(lits):
                    # Order encoding: crossing a later break means crossing the earlier one.
                    self.model.add_implication(b, a)
        expr = cp_model.LinearExpr.weighted_sum([pos.var, *lits], [1, *gaps]) + shift
        self.cache[key] = expr
        return expr
