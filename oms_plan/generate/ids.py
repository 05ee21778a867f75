"""Stable, zero-padded identifiers (``I-00042``, ``SO-000123``) for generated rows."""

from __future__ import annotations

import numpy as np


def make_ids(prefix: str, count: int, width: int, *, first: int = 1) -> np.ndarray:
    """Return ``count`` ids ``prefix + number`` numbered from ``first``, zero-padded to ``width``.

    The width grows when the numbers need more digits, so ids stay unique at any count.
    """
    digits = max(width, len(str(first + count - 1)))
    return np.array([f"{prefix}{k:0{digits}d}" for k in range(first, first + count)], dtype=object)


def where_or_none(condition: np.ndarray, values: np.ndarray) -> np.ndarray:
    """An object array holding ``values`` where ``condition`` holds and ``None`` elsewhere."""
    out = np.full(len(condition), None, dtype=object)
    out[condition] = np.asarray(values, dtype=object)[condition]
    return out


def number_strings(values: np.ndarray) -> np.ndarray:
    """Whole numbers as decimal strings (order line numbers)."""
    return values.astype(np.int64).astype(str).astype(object)
