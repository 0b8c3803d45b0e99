"""`paperzoo train / eval / detect` end to end, with a tiny contract-following model in place of a registry model."""

import json

import pytest
from PIL import Image

import paperzoo.training
from paperzoo.cli import main
from paperzoo.data import ShapesDataset
from tests.training.tiny_detector import TinyDetector

TINY = ["--num-train", "4", "--num-val", "2", "--image-size", "32", "--batch-size", "2", "--no-progress"]


@pytest.fixture
def tiny_registry(monkeypatch):
    """`build_model` returns the tiny detector for the name "tiny" (and refuses others)."""

    def build_model(name, num_classes, model_kwargs=None):
        if name != "tiny":
            raise ValueError(f"unknown model {name!r}")
        return TinyDetector(num_classes)

    monkeypatch.setattr(paperzoo.training, "build_model", build_model)


def test_train_eval_detect_and_resume(tmp_path, tiny_registry, capsys):
    out = tmp_path / "run"
    assert main(["train", "--model", "tiny", "--epochs", "1", "--out", str(out), *TINY]) == 0
    assert "done: epoch 1/1" in capsys.readouterr().out
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 1

    assert main(["train", "--model", "tiny", "--epochs", "2", "--out", str(out), "--resume", *TINY]) == 0
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == [1, 2] and records[1]["step"] == 4
    capsys.readouterr()

    checkpoint = str(out / "checkpoint.pt")
    assert main(["eval", "--model", "tiny", "--checkpoint", checkpoint, "--num-images", "2", "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["model"] == "tiny" and 0 <= metrics["voc_map"] <= 1 and "coco_ap50" in metrics

    image, _ = ShapesDataset("val", num_images=1, image_size=32)[0]
    Image.fromarray((image * 255).byte().permute(1, 2, 0).numpy()).save(tmp_path / "shapes.png")
    detections = tmp_path / "detections"
    assert main(["detect", "--checkpoint", checkpoint, "--score-thresh", "0", str(tmp_path / "shapes.png"),
                 "-o", str(detections)]) == 0  # fmt: skip
    report = json.loads((detections / "detections.json").read_text())
    assert len(report) == 1 and len(report[0]["detections"]) == 1  # the tiny model predicts one box
    assert report[0]["detections"][0]["class"] in ("circle", "square", "triangle", "cross")
    with Image.open(detections / "shapes.png") as annotated:
        assert annotated.size == (32, 32)


def test_user_errors_are_one_line_naming_the_problem(tmp_path, tiny_registry, capsys):
    missing = tmp_path / "missing.pt"
    assert main(["eval", "--checkpoint", str(missing)]) == 2
    assert capsys.readouterr().err.strip() == f"paperzoo eval: error: checkpoint {missing} does not exist"
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x00" * 64)
    assert main(["detect", "--checkpoint", str(bad), str(bad)]) == 2
    assert f"checkpoint {bad} is corrupt or truncated" in capsys.readouterr().err
    assert main(["train", "--model", "tiny", "--data", f"voc:{tmp_path}", *TINY]) == 2
    assert "no Pascal VOC 2007 folder" in capsys.readouterr().err
    assert main(["train", "--recipe", "nope"]) == 2
    assert "unknown recipe 'nope'; known recipes: ssd300_vgg16_voc" in capsys.readouterr().err


def test_checkpoint_of_another_model_is_refused(tmp_path, tiny_registry, capsys):
    out = tmp_path / "run"
    assert (
        main(["train", "--model", "tiny", "--epochs", "1", "--out", str(out), "--eval-every", "5", *TINY])
        == 0
    )
    assert main(["eval", "--model", "rfcn_resnet18", "--checkpoint", str(out / "checkpoint.pt")]) == 2
    assert "was written for model 'tiny', not 'rfcn_resnet18'" in capsys.readouterr().err
