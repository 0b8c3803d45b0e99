"""`paperzoo export`: ONNX and .pt2 files with the model's metadata, clear errors."""

from __future__ import annotations

import json

import onnx
import torch

from paperzoo.cli import main


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
