"""Issue 9 repros on the command line: impossible dates, markup in data, output folders."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from oms_plan.cli.common import fail_invalid
from oms_plan.cli.main import app
from oms_plan.cli.output_folder import MARKER
from tests.foundation.broken import Folder

runner = CliRunner()


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


# -- impossible dates ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("table", "row", "column", "value"),
    [
        ("orders", 2, "requested_date", "2026-11-31"),
        ("orders", 1, "promised_date", "2026-02-29"),
        ("supply", 1, "due_date", "2026-11-30xyz"),
        ("downtime", 1, "start", "2026-11-31T06:00"),
    ],
)
def test_impossible_dates_are_errors_with_table_row_column(
    tmp_path: Path, table: str, row: int, column: str, value: str
) -> None:
    folder = Folder(tmp_path / "T").edit(table, row, column, value)
    result = runner.invoke(app, ["validate", str(folder.path)])
    assert result.exit_code == 2, result.output
    assert f"{table} row {row} [{column}]" in _flat(result.stderr)
    assert repr(value) in _flat(result.stderr)


# -- markup characters in data ---------------------------------------------------------------
def test_markup_in_ids_is_printed_as_is(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "T").edit("orders", 2, "order", "[/]")
    folder.edit("orders", 3, "customer", "[red]x")
    folder.edit("orders", 4, "requested_date", "2026-11-01")  # a warning naming the line
    result = runner.invoke(app, ["validate", str(folder.path)])
    assert result.exit_code == 0, result.output
    assert result.exception is None
    # The warning names the line by its key: shown as written, not read as a closing tag.
    folder.edit("orders", 2, "requested_date", "2026-11-01")
    again = runner.invoke(app, ["validate", str(folder.path)])
    assert again.exit_code == 0 and "order '[/]' line '1'" in _flat(again.stderr)
    item = runner.invoke(
        app,
        ["promise", str(folder.path), "--item", "[red]x", "--quantity", "1", "--ship-to",
         "[/]", "--requested-date", "2026-12-01"],
    )  # fmt: skip
    assert item.exit_code == 2
    assert "unknown item '[red]x'" in _flat(item.stderr)
    assert "unknown region '[/]'" in _flat(item.stderr)


def test_install_hints_keep_their_brackets(capsys: pytest.CaptureFixture[str]) -> None:
    fail_invalid("--dask needs the dask extra: pip install 'oms-plan[dask]'")
    assert "pip install 'oms-plan[dask]'" in capsys.readouterr().err


# -- output folders --------------------------------------------------------------------------
def _generate(out: Path, *extra: str) -> object:
    return runner.invoke(
        app, ["generate", "--scale", "40", "--seed", "3", "--out", str(out), *extra]
    )


def test_generate_never_overwrites_a_folder_it_did_not_write(tmp_path: Path) -> None:
    target = Folder(tmp_path / "T")
    (target.path / "notes.txt").write_text("mine\n", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in target.path.iterdir()}
    result = _generate(target.path)
    assert result.exit_code == 2
    assert "--force" in _flat(result.stderr)
    assert {p.name: p.read_bytes() for p in target.path.iterdir()} == before
    forced = _generate(target.path, "--force")
    assert forced.exit_code == 0, forced.output
    # Replaced whole: nothing of the old folder is left beside the new tables.
    names = {p.name for p in target.path.iterdir()}
    assert MARKER in names and "notes.txt" not in names
    assert runner.invoke(app, ["validate", str(target.path)]).exit_code == 0


def test_rerun_into_our_own_folder_leaves_no_stale_tables(tmp_path: Path) -> None:
    out = tmp_path / "gen"
    assert _generate(out).exit_code == 0
    assert _generate(out, "--format", "parquet").exit_code == 0
    assert not list(out.glob("*.csv"))
    assert runner.invoke(app, ["validate", str(out)]).exit_code == 0
    # Nothing left beside it either (no temporary or old folders).
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gen"]


def test_out_naming_a_file_exits_2(tmp_path: Path, tiny_path: Path) -> None:
    file = tmp_path / "plan.csv"
    file.write_text("x\n", encoding="utf-8")
    for args in (["mrp", str(tiny_path)], ["generate", "--scale", "40"]):
        result = runner.invoke(app, [*args, "--out", str(file)])
        assert result.exit_code == 2, (args, result.output)
        assert "is a file, not a folder" in _flat(result.stderr)
    assert file.read_text(encoding="utf-8") == "x\n"


def test_a_symlink_is_never_followed(tmp_path: Path, tiny_path: Path) -> None:
    out = tmp_path / "plan"
    assert runner.invoke(app, ["mrp", str(tiny_path), "--out", str(out)]).exit_code == 0
    victim = tmp_path / "victim.csv"
    victim.write_text("precious\n", encoding="utf-8")
    (out / "projection.csv").unlink()
    (out / "projection.csv").symlink_to(victim)
    again = runner.invoke(app, ["mrp", str(tiny_path), "--out", str(out)])
    assert again.exit_code == 0, again.output
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert not (out / "projection.csv").is_symlink()
    link = tmp_path / "link"
    link.symlink_to(out, target_is_directory=True)
    via_link = runner.invoke(app, ["mrp", str(tiny_path), "--out", str(link)])
    assert via_link.exit_code == 2 and "symbolic link" in _flat(via_link.stderr)


def test_promise_lines_never_destroys_its_input(tmp_path: Path, tiny_path: Path) -> None:
    out = tmp_path / "X"
    lines = tmp_path / "lines.csv"
    lines.write_text(
        "order,line,item,quantity,requested_date,ship_to\nN-1,1,FRAME,1,2026-11-30,EAST\n",
        encoding="utf-8",
    )
    first = runner.invoke(
        app, ["promise", str(tiny_path), "--lines", str(lines), "--out", str(out)]
    )
    assert first.exit_code == 0, first.output
    written = out / "promises.csv"
    text = written.read_text(encoding="utf-8")
    # The promises of the first run are the input of the second: refused, input intact.
    result = runner.invoke(
        app, ["promise", str(tiny_path), "--lines", str(written), "--out", str(out)]
    )
    assert result.exit_code == 2
    assert "holds the input" in _flat(result.stderr)
    assert written.read_text(encoding="utf-8") == text
    # The same for a dataset: a plan written over its own input dataset.
    folder = Folder(tmp_path / "T").path
    over = runner.invoke(app, ["mrp", str(folder), "--out", str(folder), "--force"])
    assert over.exit_code == 2 and (folder / "orders.csv").exists()


def test_a_failed_write_leaves_the_old_folder(
    tmp_path: Path, tiny_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "plan"
    assert runner.invoke(app, ["mrp", str(tiny_path), "--out", str(out)]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    import oms_plan.cli.common as common

    real = common.write_outputs

    def half_then_fail(frames, folder, *, format="csv"):  # type: ignore[no-untyped-def]
        real(dict(list(frames.items())[:1]), folder, format=format)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(common, "write_outputs", half_then_fail)
    result = runner.invoke(app, ["mrp", str(tiny_path), "--out", str(out), "--format", "parquet"])
    assert result.exit_code == 1
    assert "No space left on device" in _flat(result.stderr)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(os.listdir(tmp_path)) == ["plan"]


def test_empty_existing_folder_is_fine(tmp_path: Path, tiny_path: Path) -> None:
    out = tmp_path / "empty"
    out.mkdir()
    result = runner.invoke(app, ["mrp", str(tiny_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "planned_orders.csv").exists() and (out / MARKER).exists()
    assert pd.read_csv(out / "kpis.csv").shape[0] > 0
