"""The lock and its hashed copy agree: same pins, and every pin carries PyPI's SHA-256s (tools/lock_hashes.py)."""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def _pins(text: str) -> dict[str, str]:
    return dict(re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s\\]+)", text, flags=re.MULTILINE))


def test_the_hashed_lock_pins_what_the_lock_pins_each_with_hashes():
    lock = (REPO_ROOT / "requirements" / "constraints.txt").read_text()
    hashed = (REPO_ROOT / "requirements" / "lock-hashes.txt").read_text()
    assert _pins(hashed) == _pins(lock), "run `make lock` (or python tools/lock_hashes.py)"
    entries = re.split(r"\n(?=[A-Za-z0-9])", hashed.split("\n", 1)[1].strip())
    assert len(entries) == len(_pins(lock))
    for entry in entries:
        hashes = re.findall(r"--hash=sha256:(\S+)", entry)
        assert hashes and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), entry.split()[0]


def test_the_publishing_job_installs_with_hashes():
    workflow = (REPO_ROOT / ".github" / "workflows" / "pages.yml").read_text()
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert workflow.index("make install-locked") < workflow.index("make docs")
    assert "--require-hashes --no-deps -r requirements/lock-hashes.txt" in makefile
