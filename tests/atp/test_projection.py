"""The projection table: on_hand and cumulative ATP per buffer and day."""

from __future__ import annotations

import numpy as np

from oms_plan import Dataset
from oms_plan.atp import AtpLedger, atp_exceptions, projection_frame


def test_projection_tiny_frame(tiny: Dataset) -> None:
    proj = projection_frame(tiny)
    assert list(proj.columns) == ["item", "location", "date", "on_hand", "atp"]
    # Every buffer with stock, receipts or commitments, one row per horizon day.
    assert len(proj) == 7 * tiny.horizon_days
    frame = proj.loc[(proj["item"] == "FRAME") & (proj["location"] == "P1")]
    # 10 on hand, MO-2 brings 15 on day 4, SO-5/2 ships 2 on day 7 (12-04 minus 4 days).
    assert frame["on_hand"].tolist()[:8] == [10, 10, 10, 10, 25, 25, 25, 23]
    assert frame["atp"].tolist()[:8] == [10, 10, 10, 10, 23, 23, 23, 23]


def test_over_commitment_is_reported_not_negative(tiny: Dataset) -> None:
    proj = projection_frame(tiny)
    dcn = proj.loc[(proj["item"] == "BIKE") & (proj["location"] == "DC-N")]
    # 20 in stock, SO-1 (12) and SO-2 (10) both ship on day 2: over-committed by 2.
    assert dcn["on_hand"].iloc[2] == -2
    assert (dcn["atp"] == 0).all()
    exc = atp_exceptions(AtpLedger.from_dataset(tiny), tiny)
    over = exc.loc[exc["kind"] == "over_committed"]
    assert set(over["location"]) == {"DC-N", "DC-S"}
    assert (proj["atp"] >= 0).all()
    assert np.isfinite(proj["on_hand"]).all()
