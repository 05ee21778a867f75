"""The projection lists plan start and the change days only; readers carry values forward."""

from __future__ import annotations

import pandas as pd

from oms_plan import plan_materials
from oms_plan.mrp.planner import expand_projection


def test_projection_is_sparse_and_expands_back(tiny):
    proj = plan_materials(tiny).projection
    buffers = proj[["item", "location"]].astype(str).drop_duplicates()
    dense = expand_projection(proj, tiny.dates)
    assert len(dense) == len(buffers) * tiny.horizon_days
    assert len(proj) < len(dense)
    first = pd.Timestamp(tiny.dates[0])
    for (item, loc), rows in proj.groupby(
        [proj["item"].astype(str), proj["location"].astype(str)], sort=False
    ):
        rows = rows.sort_values("date")
        assert pd.Timestamp(rows["date"].iloc[0]) == first, (item, loc)
        values = rows[["on_hand", "atp"]].to_numpy()
        # Every listed day after plan start changes something.
        assert ((values[1:] != values[:-1]).any(axis=1)).all(), (item, loc)
    # Carrying forward reproduces every listed row.
    merged = proj.astype({"item": str, "location": str}).merge(
        dense, on=["item", "location", "date"], suffixes=("", "_dense")
    )
    assert (merged["on_hand"] == merged["on_hand_dense"]).all()
    assert (merged["atp"] == merged["atp_dense"]).all()
