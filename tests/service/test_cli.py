"""``oms-plan serve`` refuses bad settings with exit 2 and a message, before binding."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from oms_plan.cli.main import app
from oms_plan.errors import PlanningError
from oms_plan.service import default_ledger, read_token


def serve(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["serve", *args])
    return result.exit_code, " ".join(result.output.split())  # rich wraps long lines


def test_invalid_dataset(tmp_path: Path) -> None:
    code, out = serve(str(tmp_path / "missing"))
    assert code == 2 and "not a folder" in out


@pytest.mark.parametrize(
    ("ledger", "message"),
    [
        ("mysql://x", "use sqlite:///PATH or postgresql://"),
        ("sqlite:///", "expected sqlite:///PATH"),
        ("sqlite:////no/such/folder/ledger.sqlite", "cannot open the ledger"),
        ("postgresql://nobody:pw@127.0.0.1:1/none", "cannot connect to the ledger"),
    ],
)
def test_bad_ledger(dataset: Path, ledger: str, message: str) -> None:
    code, out = serve(str(dataset), "--ledger", ledger)
    assert code == 2 and message in out
    assert "pw@" not in out  # passwords are not printed


def test_bad_token_file(dataset: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("  \n")
    assert serve(str(dataset), "--token-file", str(empty))[0] == 2
    assert serve(str(dataset), "--token-file", str(tmp_path / "none"))[0] == 2


def test_a_file_that_is_not_a_ledger(dataset: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    code, out = serve(str(dataset), "--ledger", f"sqlite:///{junk}")
    assert code == 2 and "cannot open the ledger" in out


def test_defaults(tmp_path: Path) -> None:
    assert default_ledger(tmp_path / "data") == f"sqlite:///{tmp_path / 'oms_plan_ledger.sqlite'}"
    token = tmp_path / "token"
    token.write_text("\n  abc123 \n")
    assert read_token(token) == "abc123"
    token.write_text("two words")
    with pytest.raises(PlanningError):
        read_token(token)
