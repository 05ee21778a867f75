"""The ``projection`` table (SCHEMA.md) and ATP exceptions, from an :class:`AtpLedger`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from oms_plan.atp.ledger import EPS, AtpLedger, FloatArray
from oms_plan.dataset import Dataset
from oms_plan.outputs import ExceptionRow, exceptions_frame, output_frame
from oms_plan.timeline import demand_events, supply_events


def projection_frame(dataset: Dataset) -> pd.DataFrame:
    """Projected stock and cumulative ATP per item@location and horizon day.

    One row per buffer that has stock (an inventory row), scheduled receipts or commitments,
    per day of the horizon, ordered by item, location (dataset order) and date.

    Parameters
    ----------
    dataset
        A loaded dataset; its open order lines are the commitments.

    Returns
    -------
    pandas.DataFrame
        Columns ``item``, ``location``, ``date`` (Timestamp), ``on_hand`` (projected
        end-of-day stock from stock + scheduled receipts − commitments; negative when
        over-committed) and ``atp`` (cumulative available-to-promise with backward look-ahead,
        never below 0).

    Examples
    --------
    >>> proj = projection_frame(oms_plan.load("data/tiny"))  # doctest: +SKIP
    >>> proj.loc[proj["item"] == "BIKE"].head()  # doctest: +SKIP

    """
    ledger = AtpLedger.from_dataset(dataset)
    return ledger_projection(ledger, dataset)


def ledger_projection(
    ledger: AtpLedger,
    dataset: Dataset,
    buffers: Sequence[int] | None = None,
    without: Mapping[int, tuple[FloatArray, FloatArray]] | None = None,
) -> pd.DataFrame:
    """The projection rows of ``buffers`` (all when ``None``) in the ledger's current state.

    Parameters
    ----------
    ledger
        The ledger (with whatever reservations it holds).
    dataset
        The dataset the ledger was built from (for the dates).
    buffers
        Buffer numbers to include, in the order wanted.
    without
        Per buffer, changes of the ledger the projection leaves out (new supply is not stock
        or a scheduled receipt): the running sum before and after them. The row is shown as
        before, plus whatever changed since after (exactly the before row when nothing did).

    Returns
    -------
    pandas.DataFrame
        The ``projection`` table: item, location, date, on_hand, atp.

    """
    chosen = np.arange(ledger.num_buffers) if buffers is None else np.asarray(buffers, dtype=int)
    horizon = ledger.horizon
    n = len(chosen)
    items = np.array([ledger.buffers[b][0] for b in chosen], dtype=object)
    locations = np.array([ledger.buffers[b][1] for b in chosen], dtype=object)
    cum, smin = ledger.cum[chosen], ledger.smin[chosen]
    changed = [k for k, b in enumerate(chosen.tolist()) if without and b in without]
    if changed and without:
        cum, smin = cum.copy(), smin.copy()
        for k in changed:
            before, after = without[int(chosen[k])]
            cum[k] = before + (cum[k] - after)
            smin[k] = np.minimum.accumulate(cum[k, ::-1])[::-1]
    on_hand = cum.reshape(-1) if n else np.zeros(0)
    atp = np.maximum(smin, 0.0).reshape(-1) if n else np.zeros(0)
    frame = pd.DataFrame(
        {
            "item": np.repeat(items, horizon),
            "location": np.repeat(locations, horizon),
            "date": np.tile(dataset.dates.to_numpy(), n),
            "on_hand": _clean(on_hand),
            "atp": _clean(atp),
        }
    )
    return output_frame("projection", frame)


def _clean(values: np.ndarray) -> np.ndarray:
    # Reservations added and released leave float dust (1e-13); show exact zeros and integers.
    rounded = np.round(values)
    return np.where(np.abs(values - rounded) < EPS, rounded, values) + 0.0


def atp_exceptions(ledger: AtpLedger, dataset: Dataset) -> pd.DataFrame:
    """Over-committed buffers and receipts or commitments beyond the horizon.

    Parameters
    ----------
    ledger
        The ledger (reservations never over-commit, so only commitments show up).
    dataset
        The dataset it was built from.

    Returns
    -------
    pandas.DataFrame
        The ``exceptions`` table: kind ``over_committed`` (warning: the first day on which
        commitments exceed stock plus receipts, and by how much) and ``beyond_horizon``
        (info: a receipt or commitment after the last plannable day, left out of ATP).

    """
    rows: list[ExceptionRow] = []
    short_rows = np.flatnonzero((ledger.cum < -EPS).any(axis=1))
    for b in short_rows:
        row = ledger.cum[b]
        day = int(np.argmax(row < -EPS))
        item, location = ledger.buffers[b]
        rows.append(
            ExceptionRow(
                kind="over_committed",
                severity="warning",
                item=item,
                location=location,
                date=pd.Timestamp(dataset.date(day)),
                message=(
                    f"item {item!r} at {location!r}: commitments exceed stock and receipts "
                    f"by {-float(row.min()):g} (first short on {dataset.date(day)}); "
                    "ATP is 0 until the shortage is covered"
                ),
            )
        )
    sup = supply_events(dataset)
    for rec in sup.loc[sup["beyond_horizon"].to_numpy(dtype=bool)].itertuples(index=False):
        rows.append(
            ExceptionRow(
                kind="beyond_horizon",
                severity="info",
                item=str(rec.item),
                location=str(rec.location),
                date=pd.Timestamp(dataset.date(int(rec.day))),
                message=(
                    f"{rec.source} of {rec.quantity:g} {rec.item!r} at {rec.location!r} is due "
                    f"after the horizon ends ({dataset.end}); not counted in ATP"
                ),
            )
        )
    dem = demand_events(dataset)
    for ev in dem.loc[dem["beyond_horizon"].to_numpy(dtype=bool)].itertuples(index=False):
        rows.append(
            ExceptionRow(
                kind="beyond_horizon",
                severity="info",
                item=str(ev.item),
                location=None if ev.location is None else str(ev.location),
                order=str(ev.order),
                line=str(ev.line),
                date=pd.Timestamp(dataset.date(int(ev.day))),
                message=(
                    f"order {ev.order!r} line {ev.line!r} ships after the horizon ends "
                    f"({dataset.end}); not counted in ATP"
                ),
            )
        )
    return exceptions_frame(rows)
