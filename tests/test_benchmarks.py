"""Every benchmark script still imports and parses its options (they run for minutes, so only `--help`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = sorted((Path(__file__).resolve().parents[1] / "benchmarks").glob("*.py"))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_script_starts(script: Path):
    result = subprocess.run(
        [sys.executable, str(script), "--help"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=script.parent,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "usage:" in result.stdout
