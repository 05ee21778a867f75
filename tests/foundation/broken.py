"""A copy of data/tiny to break one way per test: edit cells, drop columns, add rows, files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

TINY = Path(__file__).resolve().parents[2] / "data" / "tiny"


class Folder:
    """A writable copy of data/tiny with small editing helpers (rows are 1-based)."""

    def __init__(self, path: Path) -> None:
        shutil.copytree(TINY, path)
        self.path = path

    def read(self, table: str) -> pd.DataFrame:
        return pd.read_csv(
            self.path / f"{table}.csv", dtype=str, keep_default_na=False, na_values=[]
        )

    def save(self, table: str, frame: pd.DataFrame) -> None:
        frame.to_csv(self.path / f"{table}.csv", index=False)

    def edit(self, table: str, row: int, column: str, value: str) -> Folder:
        frame = self.read(table)
        if column not in frame.columns:
            frame[column] = ""
        frame.loc[row - 1, column] = value
        self.save(table, frame)
        return self

    def drop_column(self, table: str, column: str) -> Folder:
        self.save(table, self.read(table).drop(columns=[column]))
        return self

    def append(self, table: str, **values: str) -> Folder:
        frame = self.read(table)
        row = {c: "" for c in frame.columns} | values
        self.save(table, pd.concat([frame, pd.DataFrame([row])], ignore_index=True))
        return self

    def duplicate(self, table: str, row: int) -> Folder:
        frame = self.read(table)
        self.save(table, pd.concat([frame, frame.iloc[[row - 1]]], ignore_index=True))
        return self

    def to_parquet(self, table: str, *, keep_csv: bool = False) -> Folder:
        self.read(table).to_parquet(self.path / f"{table}.parquet", index=False)
        if not keep_csv:
            self.remove(f"{table}.csv")
        return self

    def remove(self, name: str) -> Folder:
        (self.path / name).unlink()
        return self

    def write(self, name: str, content: str | bytes) -> Folder:
        target = self.path / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
        return self
