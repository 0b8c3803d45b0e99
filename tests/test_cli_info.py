"""`paperzoo info`: numbers, JSON output and user errors (exit status 2, one line, close matches)."""

import json

import pytest
import torch

import paperzoo.cli.info
from paperzoo.cli import main
from paperzoo.registry import ModelInfo, Paper


def _json(capsys, *argv):
    assert main(["info", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_has_integer_params_macs_breakdown_and_output_shape(capsys):
    result = _json(capsys, "mobilenet_v2")
    assert result["params"] == 3_504_872 and isinstance(result["params"], int)
    assert result["macs"] == 300_774_272 and isinstance(result["macs"], int)
    assert result["params_without_bn"] == 3_470_760
    assert result["input_shape"] == [1, 3, 224, 224]
    assert result["output_shape"] == [1, 1000]
    assert set(result["breakdown"]) == {"conv1x1", "depthwise", "conv", "fc"}
    assert sum(kind["macs"] for kind in result["breakdown"].values()) == result["macs"]


def test_options_reach_the_builder_and_the_input(capsys):
    result = _json(
        capsys, "mobilenet_v1", "--width-mult", "0.5", "--resolution", "160", "--num-classes", "10"
    )
    assert result["input_shape"] == [1, 3, 160, 160]
    assert result["output_shape"] == [1, 10]
    assert result["breakdown"]["fc"]["weights"] == 512 * 10


def test_text_output_shows_table_2(capsys):
    assert main(["info", "mobilenet_v1"]) == 0
    out = capsys.readouterr().out
    assert "568,740,352" in out
    assert "Conv 1×1" in out and "94.86" in out and "74.59" in out
    assert "output    [1, 1000]" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["mobilenet_v3"], "unknown model 'mobilenet_v3'; did you mean mobilenet_v2, mobilenet_v1"),
        (["mobilenet_v2", "--width-mult", "0"], "argument --width-mult: must be in [0.05, 4], got 0"),
        (["mobilenet_v2", "--num-classes", "0"], "argument --num-classes: must be in [1, 100000], got 0"),
        (["mobilenet_v2", "--resolution", "16"], "expected height and width >= 32, got 16x16"),
        (["mobilenet_v2", "--resolution", "0"], "argument --resolution: must be in [16, 2048], got 0"),
    ],
)
def test_user_errors_exit_2_with_one_line(capsys, argv, message):
    assert main(["info", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"paperzoo info: error: {message}")
    assert err.count("\n") == 1 and err.endswith("\n")


class _TinyDetector(torch.nn.Module):
    """Detector contract in miniature: a list of images in, a list of detection dicts out (eval mode)."""

    def __init__(self, *, num_classes: int = 3) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, num_classes, 3, padding=1, bias=False)

    def forward(self, images: list[torch.Tensor]) -> list[dict[str, torch.Tensor]]:
        assert not self.training
        scores = self.conv(torch.stack(images)).amax((2, 3))  # (B, 3, H, W) -> (B, K)
        return [{"boxes": torch.zeros(1, 4), "scores": s.max(0, keepdim=True).values} for s in scores]


def _tiny_detector(*, num_classes: int = 3, weights: None = None) -> _TinyDetector:
    return _TinyDetector(num_classes=num_classes)


def test_detectors_run_in_eval_mode_on_one_image_of_their_input_size(capsys, monkeypatch):
    info = ModelInfo("tiny_det", Paper("Tiny", "0000.00000"), "detection", (40, 56), "x/", _tiny_detector)
    monkeypatch.setattr(paperzoo.registry, "get_model_info", lambda name: info)
    result = _json(capsys, "tiny_det", "--num-classes", "5")
    assert result["input_shape"] == [1, 3, 40, 56]
    assert result["macs"] == 9 * 3 * 5 * 40 * 56
    assert result["output_shape"] == [{"boxes": [1, 4], "scores": [1]}]
    assert main(["info", "tiny_det", "--width-mult", "0.5"]) == 2
    assert "model 'tiny_det' has no option --width-mult" in capsys.readouterr().err


def test_layers_option_lists_every_conv_and_fc(capsys):
    assert main(["info", "mobilenet_v1", "--layers", "--resolution", "32"]) == 0
    rows = capsys.readouterr().out.split("\nlayer ")[-1].splitlines()[1:]
    assert len(rows) == 1 + 13 * 2 + 1
    assert rows[0].split()[:2] == ["features.0.0", "Full"]
    assert rows[-1].split()[:2] == ["classifier.1", "Fully"]
