"""`paperzoo export`: ONNX and .pt2 files with the model's metadata, clear errors."""

from __future__ import annotations

import json

import onnx
import torch
import torchvision

import paperzoo.weights
from paperzoo.cli import main
from tests.weights.local_weights import local_weights


def test_export_onnx_and_pt2(tmp_path, capsys):
    out = tmp_path / "mnv2.onnx"
    assert (
        main(["export", "mobilenet_v2", "--format", "onnx", "--out", str(out), "--input-size", "96", "96"])
        == 0
    )
    assert "mobilenet_v2 ->" in capsys.readouterr().out
    metadata = {p.key: json.loads(p.value) for p in onnx.load(str(out)).metadata_props}
    assert metadata["model"] == "mobilenet_v2" and metadata["input_size"] == [96, 96]
    assert len(metadata["categories"]) == 1000
    pt2 = tmp_path / "ssdlite.pt2"
    assert main(["export", "ssdlite_mobilenet_v2", "--format", "pt2", "--core", "--out", str(pt2)]) == 0
    cls_logits, deltas = torch.export.load(pt2).module()(torch.rand(2, 3, 300, 300))
    # 19²·4 + 10²·6 + 5²·6 + 3²·6 + 2²·4 + 1·4 = 2268 default boxes
    assert cls_logits.shape == (2, 2268, 91) and deltas.shape == (2, 2268, 4)


def test_export_errors_are_one_line(tmp_path, capsys):
    assert main(["export", "no_such_model", "--out", str(tmp_path / "x.onnx")]) == 2
    assert "no_such_model" in capsys.readouterr().err
    missing = tmp_path / "missing.pt"
    assert (
        main(["export", "rfcn_resnet18", "--checkpoint", str(missing), "--out", str(tmp_path / "x.onnx")])
        == 2
    )
    assert capsys.readouterr().err.strip() == f"paperzoo export: error: checkpoint {missing} does not exist"


def test_export_with_published_weights_records_them_and_their_categories(tmp_path, monkeypatch, capsys):
    torch.manual_seed(0)
    reference = torchvision.models.mobilenet_v2().eval()
    weights = local_weights(tmp_path, "mobilenet_v2", "IMAGENET1K_V2", reference.state_dict())
    monkeypatch.setattr(paperzoo.weights, "get_weights", lambda model, tag, part="model": weights)
    out = tmp_path / "mnv2.pt2"
    argv = ["export", "mobilenet_v2", "--weights", "IMAGENET1K_V2", "--weights-file", str(weights.local_file),
            "--format", "pt2", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    extra = {"paperzoo.json": ""}
    program = torch.export.load(out, extra_files=extra)
    metadata = {key: json.loads(value) for key, value in json.loads(extra["paperzoo.json"]).items()}
    assert metadata["weights"] == "mobilenet_v2.IMAGENET1K_V2" and metadata["categories"][:2] == [
        "tench",
        "goldfish",
    ]
    x = torch.rand(2, 3, 224, 224)
    with torch.no_grad():
        assert torch.allclose(program.module()(x), reference(x), atol=1e-4)
    capsys.readouterr()
    assert main(["export", "mobilenet_v2", "--weights-file", str(weights.local_file), "--out", str(out)]) == 2
    assert "--weights-file goes with --weights" in capsys.readouterr().err
