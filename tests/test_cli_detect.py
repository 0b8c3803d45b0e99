"""`paperzoo detect` with published weights: torchvision's SSD300 COCO file format, converted on load."""

import json

import pytest
import torch
import torchvision
from PIL import Image

import paperzoo.weights
from paperzoo.cli import main
from tests.weights.local_weights import local_weights


@pytest.fixture(scope="module")
def torchvision_ssd():
    torch.manual_seed(0)
    return torchvision.models.detection.ssd300_vgg16(weights=None, weights_backbone=None).eval()


@pytest.fixture
def published_file(tmp_path, monkeypatch, torchvision_ssd):
    """`ssd300_vgg16.COCO_V1` as a local file of torchvision's format with its own hash recorded."""
    weights = local_weights(tmp_path, "ssd300_vgg16", "COCO_V1", torchvision_ssd.state_dict())
    monkeypatch.setattr(paperzoo.weights, "get_weights", lambda model, tag, part="model": weights)
    return weights.local_file


@pytest.mark.slow
def test_detect_with_weights_writes_coco_results_equal_to_torchvision(
    tmp_path, published_file, torchvision_ssd
):
    generator = torch.Generator().manual_seed(3)
    pixels = (torch.rand(3, 240, 320, generator=generator) * 255).to(torch.uint8)
    Image.fromarray(pixels.permute(1, 2, 0).numpy()).save(tmp_path / "street.png")
    Image.fromarray(pixels.flip(-1).permute(1, 2, 0).numpy()).save(tmp_path / "mirror.png")
    argv = ["detect", str(tmp_path / "street.png"), str(tmp_path / "mirror.png"), "--model", "ssd300_vgg16",
            "--weights", "COCO_V1", "--weights-file", str(published_file), "--score-threshold", "0.011",
            "-o", str(tmp_path / "out"), "--no-progress"]  # fmt: skip
    assert main(argv) == 0

    report = json.loads((tmp_path / "out" / "detections.json").read_text())
    assert [image["results"] for image in report["images"]] == [
        str(tmp_path / "out" / "street.json"),
        str(tmp_path / "out" / "mirror.json"),
    ]
    assert report["categories"][0] == {"id": 1, "name": "person"}  # COCO's 91 ids, names from the weights
    results = json.loads((tmp_path / "out" / "street.json").read_text())
    with torch.no_grad():
        expected = torchvision_ssd([pixels.float() / 255])[0]
    keep = expected["scores"] >= 0.011
    assert len(results) == int(keep.sum()) > 0
    assert {r["category_id"] for r in results} == set(expected["labels"][keep].tolist())
    best = max(results, key=lambda r: r["score"])
    top = expected["scores"].argmax()
    x1, y1, x2, y2 = expected["boxes"][top].tolist()
    assert best["score"] == pytest.approx(expected["scores"][top].item(), abs=1e-4)
    assert best["bbox"] == pytest.approx([x1, y1, x2 - x1, y2 - y1], abs=0.02)
    assert best["category_name"] == report["categories"][best["category_id"] - 1]["name"]
    with Image.open(tmp_path / "out" / "street.png") as annotated:
        assert annotated.size == (320, 240)


def test_detect_with_weights_needs_a_detection_model(tmp_path, capsys):
    Image.new("RGB", (32, 32)).save(tmp_path / "x.png")
    assert main(["detect", str(tmp_path / "x.png"), "--weights", "COCO_V1"]) == 2
    assert "--weights needs --model" in capsys.readouterr().err
    assert main(["detect", str(tmp_path / "x.png"), "--model", "mobilenet_v2", "--weights", "DEFAULT"]) == 2
    assert "mobilenet_v2 is a classification model" in capsys.readouterr().err
    assert main(["detect", str(tmp_path / "x.png"), "--model", "ssd512_vgg16", "--weights", "COCO_V1"]) == 2
    assert "ssd512_vgg16" in capsys.readouterr().err  # no such weights: the error names the model


def test_a_wrong_local_weights_file_is_one_line_and_writes_nothing(tmp_path, capsys):
    Image.new("RGB", (32, 32)).save(tmp_path / "x.png")
    fake = tmp_path / "ssd300_vgg16_coco-b556d3b4.pth"
    fake.write_bytes(b"not the published file")
    argv = ["detect", str(tmp_path / "x.png"), "--model", "ssd300_vgg16", "--weights", "COCO_V1",
            "--weights-file", str(fake), "-o", str(tmp_path / "out")]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fake.name in err and "is not the published file" in err, err
    assert not (tmp_path / "out").exists()
