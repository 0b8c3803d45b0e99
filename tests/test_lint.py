"""`make lint` as a test: ruff's checks and its formatting hold over the whole repository."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("command", [["check", "."], ["format", "--check", "."]], ids=["check", "format"])
def test_ruff(command: list[str]):
    pytest.importorskip("ruff", reason="ruff is a dev dependency (pip install -e '.[dev]')")
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *command], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, (
        f"ruff {' '.join(command)} (fix with `ruff format .`):\n{result.stdout}{result.stderr}"
    )
