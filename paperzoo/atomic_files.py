"""Writing files so that readers only ever see a complete old version or a complete new one.

[`write_atomically`][paperzoo.atomic_files.write_atomically] writes to a temporary file in the target's
folder, flushes it to disk and renames it over the target with `os.replace`, which is atomic on POSIX
and Windows. The temporary name carries the writer's process id (`.NAME.PID.XXXXXXXX.tmp`), so a
later write can tell the leftovers of a writer that was killed (SIGKILL, power loss) from the file of
one still running, and remove them.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["remove_stale_temporaries", "write_atomically", "write_bytes_atomically"]

# A temporary file without a process id (written by paperzoo 0.1) is stale once this old.
LEGACY_STALE_AFTER_S = 600


def _temporary_prefix(path: Path) -> str:
    return f".{path.name}."


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by another user
        return True
    except OSError:  # e.g. a pid beyond the platform's range
        return False
    return True


def remove_stale_temporaries(path: str | Path) -> list[Path]:
    """Delete the temporary files that writers of `path` killed mid-write left beside it.

    Returns:
        The files removed.
    """
    path = Path(path)
    removed = []
    prefix = _temporary_prefix(path)
    for candidate in path.parent.glob(f"{prefix}*.tmp"):
        middle = candidate.name[len(prefix) : -len(".tmp")]
        pid_text, _, _ = middle.partition(".")
        try:
            if pid_text.isdigit():
                stale = int(pid_text) != os.getpid() and not _process_alive(int(pid_text))
            else:
                stale = time.time() - candidate.stat().st_mtime > LEGACY_STALE_AFTER_S
            if stale:
                candidate.unlink()
                removed.append(candidate)
        except FileNotFoundError:  # another process removed it first
            continue
    return removed


def write_atomically(path: str | Path, write: Callable[[BinaryIO], None]) -> Path:
    """Call `write(file)` on a temporary file, then rename it to `path` (see the module docstring).

    Stale temporaries of `path` are removed first. If `write` raises (or the process is interrupted),
    the temporary file is deleted and `path` is left as it was.

    Raises:
        OSError: If the folder cannot be written (it is not created here).
    """
    path = Path(path)
    remove_stale_temporaries(path)
    handle, temporary = tempfile.mkstemp(
        prefix=f"{_temporary_prefix(path)}{os.getpid()}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def write_bytes_atomically(path: str | Path, data: bytes) -> Path:
    """[`write_atomically`][paperzoo.atomic_files.write_atomically] for a bytes payload."""
    return write_atomically(path, lambda file: file.write(data))
