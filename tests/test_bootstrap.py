"""The README's commands stop with one clear sentence on a Python that cannot run the project."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
CHECK = REPO_ROOT / "tools" / "check_python.py"

# Python statements run before tools/check_python.py, to fake an interpreter this machine does not have.
OLD_PYTHON = "import sys; sys.version_info = (3, 9, 1, 'final', 0)"
NO_ENSUREPIP = "import sys; sys.modules['ensurepip'] = None"  # as on Debian without python3-venv
NO_VENV = "import sys; sys.modules['venv'] = None"


def _run_check(prelude: str) -> subprocess.CompletedProcess:
    code = f"{prelude}; import runpy; runpy.run_path({str(CHECK)!r}, run_name='__main__')"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_this_python_passes_silently():
    result = subprocess.run([sys.executable, str(CHECK)], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_python_older_than_3_10_gets_one_sentence():
    result = _run_check(OLD_PYTHON)
    assert result.returncode == 1
    assert result.stdout == ""
    message = result.stderr.strip()
    assert "\n" not in message
    assert "needs Python 3.10 or newer" in message and "is Python 3.9.1" in message
    assert "PYTHON=" in message  # says how to pick another interpreter


@pytest.mark.parametrize("prelude", [NO_ENSUREPIP, NO_VENV], ids=["no-ensurepip", "no-venv"])
def test_python_without_venv_or_ensurepip_gets_one_sentence(prelude: str):
    result = _run_check(prelude)
    assert result.returncode == 1
    message = result.stderr.strip()
    assert "\n" not in message
    assert "lacks the venv/ensurepip modules" in message
    assert "python3-venv" in message  # says what to install


def _fake_python(tmp_path: Path, prelude: str) -> Path:
    """An executable that behaves like `python SCRIPT` on an interpreter faked by `prelude`."""
    fake = tmp_path / "fake-python"
    fake.write_text(
        f'#!/bin/sh\nexec {sys.executable} -c "{prelude}; import runpy, sys; sys.argv = sys.argv[1:]; '
        'runpy.run_path(sys.argv[0], run_name=\'__main__\')" "$@"\n',
        encoding="utf-8",
    )
    fake.chmod(0o755)
    return fake


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize(
    ("prelude", "sentence"),
    [
        (OLD_PYTHON, "needs Python 3.10 or newer"),
        (NO_ENSUREPIP, "lacks the venv/ensurepip modules"),
    ],
    ids=["old-python", "no-ensurepip"],
)
@pytest.mark.parametrize("target", ["test", "serve"])
def test_readme_commands_stop_before_creating_the_venv(
    tmp_path: Path, target: str, prelude: str, sentence: str
):
    # A fresh clone's files that `make test` / `make serve` read before it creates .venv; no .venv here yet.
    clone = tmp_path / "clone"
    for name in (
        "Makefile",
        "pyproject.toml",
        "tools/check_python.py",
        "tools/site/pyproject.toml",
        "requirements/constraints.txt",
    ):
        (clone / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / name, clone / name)
    result = subprocess.run(
        ["make", target, f"PYTHON={_fake_python(tmp_path, prelude)}"],
        cwd=clone,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert sentence in result.stderr
    assert not (clone / ".venv").exists()
