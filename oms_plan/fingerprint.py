"""A short, stable fingerprint of a dataset's content (settings and every table)."""

from __future__ import annotations

import hashlib

import pandas as pd

from oms_plan.dataset import Dataset
from oms_plan.schema import TABLE_ORDER


def table_digest(frame: pd.DataFrame) -> str:
    """SHA-256 of one table's columns and values (row order counts; the index does not)."""
    digest = hashlib.sha256()
    digest.update("\x1f".join(map(str, frame.columns)).encode())
    if not frame.empty:
        # Text rendering first: hash_pandas_object would hash None and NaN differently in
        # object columns, and a value's type is not part of a dataset's content.
        text = frame.astype(object).where(frame.notna(), None).astype(str)
        values = pd.util.hash_pandas_object(text, index=False).to_numpy()
        digest.update(values.tobytes())
    return digest.hexdigest()


def fingerprint(dataset: Dataset) -> str:
    """``sha256:<hex>`` over the plan settings and every table of ``dataset``.

    Two datasets with the same settings and the same table contents (as loaded: defaults
    applied) have the same fingerprint, whatever files they were read from.
    """
    digest = hashlib.sha256(dataset.settings.to_toml().encode())
    for name in TABLE_ORDER:
        digest.update(name.encode())
        digest.update(table_digest(dataset.table(name)).encode())
    return "sha256:" + digest.hexdigest()
