"""Output folders written whole or not at all, and never over something we did not write.

Every command writes its tables into a temporary folder beside ``--out`` and renames it into
place once every file is written, so a failed run leaves the previous folder as it was and a
folder never mixes two runs. Every folder written this way holds a small marker file
(:data:`MARKER`); a command replaces a non-empty folder only when it holds that marker (a
folder oms-plan wrote), or when given ``--force``. Nothing is written through a symbolic
link: ``--out`` may not be one, and the new folder is made from scratch, so links that were
inside the old folder are removed, never followed. An ``--out`` that holds one of the
command's inputs (``promise --lines X/lines.csv --out X``) is refused: replacing it would
destroy the input.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

#: The file that marks a folder written by oms-plan (hidden; not a table).
MARKER = ".oms-plan-output.json"


class OutputFolderError(ValueError):
    """``--out`` cannot be written safely; the message says why and what to do."""


def check_output_folder(out: Path, *, force: bool = False, inputs: Sequence[Path] = ()) -> None:
    """Check that ``out`` may be (re)written, before any work is done.

    Parameters
    ----------
    out
        The ``--out`` folder.
    force
        Replace a non-empty folder oms-plan did not write.
    inputs
        Files and folders the command reads; none may lie inside ``out``.

    Raises
    ------
    OutputFolderError
        ``out`` is a symbolic link or a file, holds an input, or is a non-empty folder
        without the marker while ``force`` is false.

    """
    if out.is_symlink():
        raise OutputFolderError(
            f"--out {out} is a symbolic link: give the folder itself (links are not followed)"
        )
    if out.exists() and not out.is_dir():
        raise OutputFolderError(f"--out {out} is a file, not a folder")
    target = out.resolve()
    for given in inputs:
        source = given.resolve()
        if source == target or target in source.parents:
            raise OutputFolderError(
                f"--out {out} holds the input {given}: writing there would replace it; choose "
                "another folder"
            )
    if out.is_dir() and not force and any(out.iterdir()) and not is_ours(out):
        raise OutputFolderError(
            f"--out {out} is a non-empty folder that oms-plan did not write; choose a new or "
            "empty folder, or pass --force to replace it and everything in it"
        )


def is_ours(folder: Path) -> bool:
    """Whether ``folder`` holds the marker of a folder oms-plan wrote (a regular file)."""
    try:
        mode = (folder / MARKER).lstat().st_mode
    except OSError:
        return False
    return stat.S_ISREG(mode)


@contextmanager
def staged_output(
    out: Path, command: str, *, force: bool = False, inputs: Sequence[Path] = ()
) -> Iterator[Path]:
    """Yield a new empty folder beside ``out`` to write into; then move it to ``out``.

    On leaving the block normally the marker is added, ``out`` is checked again (it may
    have changed meanwhile) and replaced by the new folder: the old one is renamed aside,
    the new one renamed into place, and the old one deleted (its symbolic links removed,
    never followed). If the block raises, the new folder is deleted and ``out`` is left
    as it was.

    Parameters
    ----------
    out
        The ``--out`` folder.
    command
        The command writing it (recorded in the marker).
    force
        As :func:`check_output_folder`.
    inputs
        As :func:`check_output_folder`.

    Yields
    ------
    pathlib.Path
        The temporary folder; paths written in it end up at the same place in ``out``.

    Raises
    ------
    OutputFolderError
        As :func:`check_output_folder`.
    OSError
        The file system refused (no space, no permission, ...); ``out`` is unchanged.

    """
    check_output_folder(out, force=force, inputs=inputs)
    out = out.absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        # mkdtemp makes the folder private (0700); give it the usual mode of a new folder.
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)
        yield staging
        files = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*"))
        record = {"written_by": f"oms-plan {command}", "files": files}
        (staging / MARKER).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        check_output_folder(out, force=force, inputs=inputs)
        _install(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _install(staging: Path, out: Path) -> None:
    """Rename ``staging`` to ``out``, replacing the folder that is there."""
    if not os.path.lexists(out):
        os.rename(staging, out)
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    aside.rmdir()  # only its unique name is needed
    os.rename(out, aside)
    try:
        os.rename(staging, out)
    except OSError:
        os.rename(aside, out)  # put the old folder back
        raise
    shutil.rmtree(aside, ignore_errors=True)
