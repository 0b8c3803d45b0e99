"""The `paperzoo` command line: version, listing, and clear errors for bad input."""

import json
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


def test_list_shows_the_models_and_with_weights_their_tags(capsys):
    assert main(["list", "ssd[35]*", "mobilenet_v2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["mobilenet_v2", "ssd300_vgg16", "ssd512_vgg16"]
    assert lines[1].split()[1:3] == ["detection", "arXiv:1512.02325"]
    assert main(["list", "--weights", "--task", "classification", "mobilenet*"]) == 0
    assert (
        capsys.readouterr().out.splitlines()[1].split(None, 2)[2] == "IMAGENET1K_V1, IMAGENET1K_V2 (default)"
    )
    assert main(["list", "--pretrained", "--task", "detection", "--json", "--weights"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (
        row["name"] == "ssd300_vgg16"
        and {"tag": "COCO_V1", "part": "model", "default": True} in row["weights"]
    )


def test_weights_lists_every_entry_with_its_metadata(capsys):
    assert main(["weights", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == len(paperzoo.list_weights())
    ssd = next(r for r in rows if (r["model"], r["tag"]) == ("ssd300_vgg16", "COCO_V1"))
    assert (
        ssd["sha256"] == "b556d3b4" and ssd["metrics"] == {"box_map": 25.1} and ssd["file_size_mb"] == 135.988
    )
    assert main(["weights", "mobilenet_v2"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[2].split()[:3] == ["mobilenet_v2", "IMAGENET1K_V2*", "13.6"]
    assert main(["weights", "resnet20_cifar"]) == 0
    assert "resnet20_cifar has no published weights" in capsys.readouterr().out
    assert main(["weights", "resnet5"]) == 2
    assert "unknown model 'resnet5'; did you mean resnet50" in capsys.readouterr().err


def test_the_fast_commands_import_no_torch():
    probe = (
        "import sys, contextlib, io\n"
        "from paperzoo.cli import build_parser, main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    build_parser().format_help(); main(['list', '--weights']); main(['weights']); main(['list', '--json'])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'torchvision', 'numpy')))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
