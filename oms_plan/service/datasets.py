"""Loading a dataset for the service, and the fingerprint that tells datasets apart."""

from __future__ import annotations

import hashlib
from pathlib import Path

from oms_plan.dataset import Dataset
from oms_plan.errors import DatasetError, Issue
from oms_plan.loading import load

#: Files of a dataset folder that the fingerprint covers.
_SUFFIXES = (".toml", ".csv", ".parquet")


def fingerprint(folder: str | Path) -> str:
    """SHA-256 of a dataset folder's files (names and bytes, in name order).

    Two processes sharing a ledger compare fingerprints to know whether they promise from
    the same data: a folder rewritten in place by the nightly plan gets a new one.
    """
    digest = hashlib.sha256()
    for path in sorted(Path(folder).iterdir()):
        if path.is_file() and path.suffix.lower() in _SUFFIXES:
            digest.update(path.name.encode() + b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


def load_dataset(folder: str | Path) -> tuple[Dataset, str, str]:
    """Load a dataset folder: ``(dataset, absolute path, fingerprint)``.

    Raises
    ------
    DatasetError
        The folder is missing or the dataset is invalid (every problem listed).

    """
    path = Path(folder).expanduser().resolve()
    if not path.is_dir():
        raise DatasetError([Issue("dataset", None, None, f"{str(folder)!r} is not a folder")])
    # Hash before loading: if a file is rewritten meanwhile, the data loaded may be newer
    # than the hash says and the next reload (seeing a new hash) loads again; hashing after
    # could label old data with the new hash, and nothing would ever reload it.
    try:
        digest = fingerprint(path)
    except OSError as exc:
        issue = Issue("dataset", None, None, f"cannot read {str(folder)!r}: {exc}")
        raise DatasetError([issue]) from None
    return load(path), str(path), digest
