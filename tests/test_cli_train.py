"""`paperzoo train / eval / detect` end to end, with a tiny contract-following model in place of a registry model."""

import json

import pytest
import torch
import torchvision
from PIL import Image

import paperzoo.training
import paperzoo.weights.load
from paperzoo.cli import main
from paperzoo.data import ShapesDataset
from tests.training.tiny_detector import TinyDetector
from tests.weights.local_weights import local_weights

TINY = ["--num-train", "4", "--num-val", "2", "--image-size", "32", "--batch-size", "2", "--no-progress"]


@pytest.fixture
def tiny_registry(monkeypatch):
    """`build_model` returns the tiny detector for the name "tiny" (and refuses others)."""

    def build_model(name, num_classes, model_kwargs=None, **weights):
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
    assert len(report["images"]) == 1 and report["images"][0]["detections"] == 1  # the tiny model: one box
    assert [c["name"] for c in report["categories"]] == ["circle", "square", "triangle", "cross"]
    (result,) = json.loads((detections / "shapes.json").read_text())  # COCO results format
    assert result["image_id"] == 0 and result["category_name"] in ("circle", "square", "triangle", "cross")
    x, y, w, h = result["bbox"]
    assert min(x, y) >= 0 and w > 0 and h > 0 and x + w <= 32.01 and y + h <= 32.01
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


def test_recipes_for_real_data_start_from_imagenet_backbones_and_shapes_from_scratch():
    assert (
        paperzoo.training.default_recipe("ssd300_vgg16", "voc:/data/VOCdevkit").backbone_weights == "DEFAULT"
    )
    assert paperzoo.training.default_recipe("ssd512_vgg16", "coco:/data/coco").backbone_weights == "DEFAULT"
    assert paperzoo.training.default_recipe("rfcn_resnet18", "shapes").backbone_weights is None


@pytest.mark.slow
def test_train_from_a_local_backbone_weights_file(tmp_path, monkeypatch, capsys):
    torch.manual_seed(0)
    state = torchvision.models.resnet18().state_dict()
    weights = local_weights(tmp_path, "rfcn_resnet18", "IMAGENET1K_V1", state, "backbone")
    monkeypatch.setattr(paperzoo.weights.load, "get_weights", lambda model, tag, part: weights)
    out = tmp_path / "run"
    argv = ["train", "--model", "rfcn_resnet18", "--backbone-weights", "IMAGENET1K_V1", "--backbone-weights-file",
            str(weights.local_file), "--epochs", "1", "--lr", "1e-12", "--eval-every", "5", "--out", str(out),
            "--num-train", "2", "--num-val", "1", "--image-size", "64", "--batch-size", "2", "--no-progress"]  # fmt: skip
    assert main(argv) == 0
    assert "rfcn_resnet18 (backbone IMAGENET1K_V1)" in capsys.readouterr().out
    trained = torch.load(out / "checkpoint.pt", weights_only=True)["model"]
    # One step at lr 1e-12 leaves the converted ImageNet weights where they started.
    torch.testing.assert_close(trained["conv5.0.conv1.weight"], state["layer4.0.conv1.weight"])


def test_a_wrong_backbone_weights_file_stops_before_training(tmp_path, capsys):
    fake = tmp_path / "resnet18-f37072fd.pth"
    fake.write_bytes(b"not the published file")
    out = tmp_path / "run"
    argv = ["train", "--model", "rfcn_resnet18", "--backbone-weights", "IMAGENET1K_V1",
            "--backbone-weights-file", str(fake), "--out", str(out), *TINY]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not the published file of rfcn_resnet18.IMAGENET1K_V1" in err, err
    assert not (out / "checkpoint.pt").exists()
