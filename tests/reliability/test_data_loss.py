"""Never lose or overwrite data: detect's outputs, train's run folder, killed saves."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from PIL import Image

from paperzoo.atomic_files import remove_stale_temporaries
from paperzoo.cli import main
from paperzoo.training import load_checkpoint, save_checkpoint
from tests.reliability.conftest import TINY


def _png(path, colour):
    Image.new("RGB", (32, 32), colour).save(path)
    return path.read_bytes()


def test_detect_into_the_input_folder_never_replaces_an_input(tmp_path, tiny_registry, checkpoint):
    original = _png(tmp_path / "photo.png", (200, 10, 10))
    assert (
        main(["detect", "--checkpoint", str(checkpoint), str(tmp_path / "photo.png"), "-o", str(tmp_path)])
        == 0
    )
    assert (tmp_path / "photo.png").read_bytes() == original
    report = json.loads((tmp_path / "detections.json").read_text())
    assert report["images"][0]["annotated"] == str(tmp_path / "photo-2.png")
    assert not list(tmp_path.glob("*.tmp"))


def test_detect_inputs_with_the_same_stem_get_one_output_each(tmp_path, tiny_registry, checkpoint):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _png(tmp_path / "a" / "x.png", (255, 0, 0))
    _png(tmp_path / "b" / "x.png", (0, 0, 255))
    Image.new("RGB", (32, 32), (0, 255, 0)).save(tmp_path / "a" / "x.jpg")
    inputs = [str(tmp_path / "a" / "x.png"), str(tmp_path / "b" / "x.png"), str(tmp_path / "a" / "x.jpg")]
    out = tmp_path / "out"
    assert main(["detect", "--checkpoint", str(checkpoint), *inputs, "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "detections.json",
        "x-2.json",
        "x-2.png",
        "x-3.json",
        "x-3.png",
        "x.json",
        "x.png",
    ]
    # Each output holds its own input's pixels (the corner is never covered by the one drawn box).
    corners = [Image.open(out / name).getpixel((0, 31)) for name in ("x.png", "x-2.png", "x-3.png")]
    assert corners[0][0] > 200 and corners[1][2] > 200 and corners[2][1] > 200


def test_train_refuses_a_folder_that_holds_a_run(tmp_path, tiny_registry, capsys):
    out = tmp_path / "run"
    assert main(["train", "--model", "tiny", "--epochs", "1", "--out", str(out), *TINY]) == 0
    before = {name: (out / name).read_bytes() for name in ("checkpoint.pt", "metrics.jsonl")}
    capsys.readouterr()
    assert main(["train", "--model", "tiny", "--epochs", "1", "--out", str(out), *TINY]) == 2
    err = capsys.readouterr().err
    assert "already holds a run (checkpoint.pt, metrics.jsonl); continue it with --resume" in err
    assert {name: (out / name).read_bytes() for name in before} == before


def test_overwrite_replaces_the_run_instead_of_interleaving_it(tmp_path, tiny_registry):
    out = tmp_path / "run"
    args = ["train", "--model", "tiny", "--out", str(out), *TINY]
    assert main([*args, "--epochs", "2"]) == 0
    assert main([*args, "--epochs", "1", "--overwrite", "--seed", "3"]) == 0
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == [1]
    assert load_checkpoint(out / "checkpoint.pt")["settings"]["seed"] == 3


def test_overwrite_keeps_the_old_run_when_the_new_one_cannot_start(tmp_path, tiny_registry):
    out = tmp_path / "run"
    args = ["train", "--model", "tiny", "--out", str(out), *TINY]
    assert main([*args, "--epochs", "1"]) == 0
    assert main([*args, "--epochs", "1", "--overwrite", "--data", "voc:/nonexistent"]) == 2
    assert (out / "checkpoint.pt").is_file() and (out / "metrics.jsonl").is_file()


KILLED_SAVE = """
import os, signal, sys, torch
from paperzoo.training import save_checkpoint
def killed(obj, file):
    file.write(b"partial")
    file.flush()
    os.kill(os.getpid(), signal.SIGKILL)
torch.save = killed
save_checkpoint({"epoch": 2}, sys.argv[1])
"""


def test_a_save_killed_by_sigkill_leaves_the_old_checkpoint_and_the_next_save_cleans_up(tmp_path):
    path = save_checkpoint({"epoch": 1}, tmp_path / "checkpoint.pt")
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(KILLED_SAVE), str(path)], timeout=120)
    assert result.returncode == -9
    leftovers = list(tmp_path.glob(".checkpoint.pt.*.tmp"))
    assert len(leftovers) == 1 and leftovers[0].read_bytes() == b"partial"
    assert load_checkpoint(path)["epoch"] == 1
    save_checkpoint({"epoch": 3}, path)
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]


def test_a_live_writers_temporary_file_is_kept(tmp_path):
    import os

    live = tmp_path / f".checkpoint.pt.{os.getppid()}.abcd1234.tmp"  # the parent process is alive
    live.write_bytes(b"being written")
    assert remove_stale_temporaries(tmp_path / "checkpoint.pt") == []
    assert live.exists()


@pytest.mark.parametrize("name", ["metrics.jsonl", "checkpoint.pt"])
def test_a_stale_file_from_either_run_file_alone_blocks_a_new_run(tmp_path, tiny_registry, name):
    out = tmp_path / "run"
    out.mkdir()
    (out / name).write_text("{}\n")
    assert main(["train", "--model", "tiny", "--epochs", "1", "--out", str(out), *TINY]) == 2
    assert (out / name).read_text() == "{}\n"
