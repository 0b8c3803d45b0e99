"""Every documented misuse: one line on stderr, no traceback, exit status 2. Bugs: a traceback and a hint."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from PIL import Image

import paperzoo.cli.list_models
from paperzoo.cli import main
from paperzoo.training import load_checkpoint, save_checkpoint
from tests.reliability.conftest import TINY


@pytest.fixture
def files(tmp_path, checkpoint, tiny_registry):
    """Paths the misuse cases name, keyed by the placeholders in their command lines."""
    damaged = tmp_path / "damaged.pt"
    data = bytearray(checkpoint.read_bytes())
    data[-2000] ^= 0x40
    damaged.write_bytes(bytes(data))
    state = load_checkpoint(checkpoint)
    del state["num_classes"], state["format"]
    save_checkpoint(state, tmp_path / "partial.pt")
    Image.new("RGB", (32, 32)).save(tmp_path / "image.png")
    Image.new("LAB", (8, 8)).save(tmp_path / "lab.tif")
    (tmp_path / "file").write_text("")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "metrics.jsonl").write_text("")
    coco = tmp_path / "coco"
    (coco / "annotations").mkdir(parents=True)
    (coco / "train2017").mkdir()
    (coco / "annotations" / "instances_train2017.json").write_text(json.dumps({
        "images": [{"id": 1, "file_name": "1.jpg", "width": 32, "height": 32}],
        "categories": [{"id": 1, "name": "thing"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3]}],
    }))  # fmt: skip
    voc = tmp_path / "VOC2007"
    for folder in ("Annotations", "ImageSets/Main", "JPEGImages"):
        (voc / folder).mkdir(parents=True)
    for split in ("trainval", "test"):
        (voc / "ImageSets" / "Main" / f"{split}.txt").write_text("")
    return {"tmp": tmp_path, "ckpt": checkpoint, "damaged": damaged, "partial": tmp_path / "partial.pt",
            "image": tmp_path / "image.png", "lab": tmp_path / "lab.tif", "file": tmp_path / "file",
            "run": tmp_path / "run", "coco": coco, "voc": voc}  # fmt: skip


TRAIN = ["train", "--model", "tiny", "--out", "{tmp}/new", *TINY]
# (command line, what the one line must say). Placeholders name the `files` fixture's paths.
MISUSES = [
    (["train", "--batch-size", "-1"], "argument --batch-size: must be in [1, 4096], got -1"),
    (["train", "--batch-size", "0"], "argument --batch-size: must be in [1, 4096], got 0"),
    (["train", "--epochs", "0"], "argument --epochs: must be in [1, 100000], got 0"),
    (["train", "--image-size", "1000000"], "argument --image-size: must be in [16, 2048], got 1000000"),
    (["train", "--num-train", "0"], "argument --num-train: must be in [1, 1e+06], got 0"),
    (["train", "--num-val", "99999999999"], "argument --num-val: must be in [1, 1e+06]"),
    (["train", "--seed", "-1"], "argument --seed: must be in [0, 2.14748e+09], got -1"),
    (["train", "--workers", "-2"], "argument --workers: must be in [0, 256], got -2"),
    (["train", "--epochs", "two"], "argument --epochs: expected an integer, got 'two'"),
    ([*TRAIN, "--lr", "-1"], "lr > 0"),
    ([*TRAIN, "--lr", "nan"], "lr > 0"),
    (["train", "--resume", "--overwrite"], "argument --overwrite: not allowed with argument --resume"),
    ([*TRAIN, "--force-resume"], "--force-resume only applies with --resume"),
    (["train", "--model", "tiny", "--out", "{run}", *TINY], "already holds a run (metrics.jsonl)"),
    (["train", "--model", "tiny", "--out", "{file}", *TINY], "is a file, not a folder"),
    ([*TRAIN, "--resume"], "checkpoint {tmp}/new/checkpoint.pt does not exist"),
    ([*TRAIN, "--data", "voc:{tmp}/nothing"], "no Pascal VOC 2007 folder"),
    ([*TRAIN, "--data", "voc:{voc}", "--recipe", "ssdlite_mobilenet_v2_shapes"], "the training set is empty"),
    ([*TRAIN, "--data", "coco:{coco}"], "annotations[0] has bbox [1, 2, 3]; expected [x, y, width, height]"),
    ([*TRAIN, "--data", "imagenet"], "unknown data spec 'imagenet'"),
    (["train", "--model", "mobilenet_v2", "--out", "{tmp}/new", *TINY], "is a classification model"),
    (["train", "--model", "yolo", "--out", "{tmp}/new", *TINY], "unknown model 'yolo'"),
    (["train", "--recipe", "nope"], "unknown recipe 'nope'"),
    (["eval", "--checkpoint", "{tmp}/missing.pt"], "checkpoint {tmp}/missing.pt does not exist"),
    (["eval", "--checkpoint", "{damaged}"], "fails its CRC-32 checksum"),
    (["eval", "--checkpoint", "{partial}"], "lacks 'num_classes', needed to rebuild the model"),
    (["eval", "--checkpoint", "{file}"], "is corrupt or truncated"),
    (["eval", "--checkpoint", "{ckpt}", "--batch-size", "-1"], "argument --batch-size: must be in [1, 4096]"),
    (["eval", "--checkpoint", "{ckpt}", "--num-images", "0"], "argument --num-images: must be in [1, 1e+06]"),
    (["eval", "--checkpoint", "{ckpt}", "--model", "rfcn_resnet18"], "was written for model 'tiny'"),
    (["eval"], "the following arguments are required: --checkpoint"),
    (["detect", "--checkpoint", "{ckpt}"], "the following arguments are required: IMAGE"),
    (
        ["detect", "--checkpoint", "{ckpt}", "{tmp}/missing.png"],
        "image file {tmp}/missing.png does not exist",
    ),
    (["detect", "--checkpoint", "{ckpt}", "{ckpt}"], "could not be decoded"),
    (["detect", "--checkpoint", "{ckpt}", "{lab}", "-o", "{tmp}/o"], "has colour mode 'LAB'"),
    (["detect", "--checkpoint", "{ckpt}", "{image}", "-o", "{file}"], "--out {file} is a file, not a folder"),
    (["detect", "--checkpoint", "{ckpt}", "{image}", "-o", "{file}/sub"], "{file}/sub: Not a directory"),
    (["detect", "--checkpoint", "{ckpt}", "{image}", "--score-thresh", "2"], "must be in [0, 1], got 2"),
    (
        ["detect", "--checkpoint", "{ckpt}", "{image}", "--batch-size", "-1"],
        "--batch-size: must be in [1, 4096]",
    ),
    (["info", "mobilenet_v2", "--width-mult", "1e6"], "argument --width-mult: must be in [0.05, 4], got 1e6"),
    (["info", "mobilenet_v2", "--resolution", "100000"], "argument --resolution: must be in [16, 2048]"),
    (
        ["info", "mobilenet_v2", "--num-classes", "1000000000"],
        "argument --num-classes: must be in [1, 100000]",
    ),
    (["info", "yolo"], "unknown model 'yolo'"),
    (["list", "yolo*"], "no registered model matches 'yolo*'"),
    (["list", "--task", "segmentation"], "argument --task: invalid choice: 'segmentation'"),
    (["no-such-command"], "invalid choice: 'no-such-command'"),
    (["train", "--no-such-option"], "unrecognized arguments: --no-such-option"),
]


@pytest.mark.parametrize(("argv", "message"), MISUSES, ids=[" ".join(argv)[:60] for argv, _ in MISUSES])
def test_misuse_is_one_line_without_traceback(files, capsys, argv, message):
    fill = lambda text: text.format(**files)  # noqa: E731
    status = main([fill(arg) for arg in argv])
    captured = capsys.readouterr()
    assert status == 2
    assert "Traceback" not in captured.err and "Traceback" not in captured.out
    assert captured.err.count("\n") == 1 and captured.err.startswith("paperzoo"), captured.err
    assert fill(message) in captured.err


def test_permission_error_on_an_output_is_one_line(files, capsys, monkeypatch):
    from pathlib import Path

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    assert main(["detect", "--checkpoint", str(files["ckpt"]), str(files["image"]), "-o", "/out"]) == 2
    assert capsys.readouterr().err == "paperzoo detect: error: /out: Permission denied\n"


def test_out_of_memory_is_one_line(capsys, monkeypatch):
    def allocate(args):
        raise MemoryError

    monkeypatch.setattr(paperzoo.cli.list_models, "run", allocate)
    assert main(["list"]) == 2
    assert capsys.readouterr().err.startswith("paperzoo list: error: out of memory")


def test_a_bug_keeps_its_traceback_and_asks_for_a_report(capsys, monkeypatch):
    monkeypatch.setattr(paperzoo.cli.list_models, "run", lambda args: {}["missing"])
    assert main(["list"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "KeyError: 'missing'" in err
    assert "internal error: this is a bug in paperzoo" in err and "/issues" in err


def test_the_installed_command_exits_2_with_one_line():
    result = subprocess.run([sys.executable, "-m", "paperzoo", "train", "--batch-size", "-1"],
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr == (
        "paperzoo train: error: argument --batch-size: must be in [1, 4096], got -1 (see paperzoo train --help)\n"
    )
