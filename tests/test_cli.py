"""The `paperzoo` command line: version, listing, and clear errors for bad input."""

import subprocess
import sys

import pytest

import paperzoo
from paperzoo.cli import main


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"paperzoo {paperzoo.__version__}"


def test_unknown_subcommand_lists_valid_ones_without_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "paperzoo", "no-such-command"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "invalid choice: 'no-such-command'" in result.stderr
    assert "'list'" in result.stderr
    assert "Traceback" not in result.stderr
