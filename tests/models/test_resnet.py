"""ResNet: torchvision parity, Table 1's multiply-adds for both bottleneck variants, Table 6's CIFAR
parameters, the shortcut options, plain networks and bad input."""

import pytest
import timm
import torch
import torchvision
from torchvision.models.feature_extraction import create_feature_extractor

from paperzoo import create_model
from paperzoo.analysis import count_macs, count_params
from paperzoo.models.resnet import (
    CIFAR_N,
    Bottleneck,
    CifarResNet,
    ResNet,
    ZeroPadShortcut,
    resnet18,
    resnet20_cifar,
    resnet50,
)
from tests.weights.local_weights import local_weights


def _macs(model: torch.nn.Module, size: int) -> int:
    with torch.device("meta"):
        return count_macs(model.to("meta"), (1, 3, size, size))


@pytest.mark.parametrize(("depth", "variant"), [(18, "v1"), (34, "v1"), (50, "v1.5"), (101, "v1.5")])
def test_torchvision_state_dict_gives_identical_logits(depth, variant):
    torch.manual_seed(0)
    reference = getattr(torchvision.models, f"resnet{depth}")().eval()
    model = ResNet(depth=depth, variant=variant).eval()
    assert list(model.state_dict()) == list(reference.state_dict())
    model.load_state_dict(reference.state_dict())
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(model(x), reference(x))


def test_paper_variant_loads_torchvision_weights_but_computes_differently():
    torch.manual_seed(0)
    reference = torchvision.models.resnet50().eval()
    model = resnet50(variant="v1").eval()
    model.load_state_dict(reference.state_dict())  # same keys and shapes: only the strides move
    assert model.layer2[0].conv1.stride == (2, 2) and model.layer2[0].conv2.stride == (1, 1)
    assert reference.layer2[0].conv1.stride == (1, 1) and reference.layer2[0].conv2.stride == (2, 2)
    with torch.no_grad():
        x = torch.rand(1, 3, 64, 64)
        assert not torch.allclose(model(x), reference(x))


# Table 1, "FLOPs" (multiply-adds) at 224x224: 1.8, 3.6, 3.8, 7.6, 11.3 (x 10^9).
@pytest.mark.parametrize(
    ("depth", "shortcut", "variant", "macs"),
    [
        (18, "A", "v1", 1_794_805_760),
        (18, "B", "v1", 1_814_073_344),  # = torchvision's resnet18
        (34, "A", "v1", 3_644_493_824),
        (34, "B", "v1", 3_663_761_408),
        (50, "B", "v1", 3_857_973_248),
        (50, "B", "v1.5", 4_089_184_256),  # = torchvision's resnet50
        (101, "B", "v1", 7_570_194_432),
        (152, "B", "v1", 11_282_415_616),
    ],
)
def test_table1_multiply_adds(depth, shortcut, variant, macs):
    assert _macs(ResNet(depth=depth, shortcut=shortcut, variant=variant), 224) == macs


def test_table1_rounding_the_paper_matches_and_where_it_does_not():
    table1 = {18: 1.8, 34: 3.6, 50: 3.8, 101: 7.6, 152: 11.3}
    # ResNet-18/34 as compared in Table 2 (option A), the bottleneck nets with option B (Sec. 4.1).
    counted = {
        depth: _macs(ResNet(depth=depth, shortcut="A" if depth < 50 else "B"), 224) / 1e9 for depth in table1
    }
    assert {d: round(v, 1) for d, v in counted.items() if d != 50} == {
        d: table1[d] for d in table1 if d != 50
    }
    # ResNet-50 counts 3.86e9 with the paper's own bottleneck: 3.8 is truncated, not rounded (3.9).
    assert round(counted[50], 1) == 3.9 and int(counted[50] * 10) / 10 == table1[50]


def test_torchvision_variant_costs_six_percent_more_at_equal_parameters():
    v1, v15 = resnet50(variant="v1"), resnet50(variant="v1.5")
    assert count_params(v1) == count_params(v15) == 25_557_032
    assert _macs(v15, 224) / _macs(v1, 224) == pytest.approx(1.0599, abs=1e-4)


# Table 6, "# params": 0.27M, 0.46M, 0.66M, 0.85M, 1.7M, 19.4M.
@pytest.mark.parametrize(
    ("depth", "params", "stated"),
    [
        (20, 269_722, 0.27),
        (32, 464_154, 0.46),
        (44, 658_586, 0.66),
        (56, 853_018, 0.85),
        (110, 1_727_962, 1.7),
    ],
)
def test_table6_cifar_parameters(depth, params, stated):
    model = CifarResNet(n=CIFAR_N[depth])
    assert count_params(model) == params
    digits = 1 if stated >= 1 else 2
    assert round(params / 1e6, digits) == stated


def test_table6_resnet1202_parameters():
    with torch.device("meta"):
        model = create_model("resnet1202_cifar")
    assert count_params(model) == 19_421_274
    assert round(count_params(model) / 1e6, 1) == 19.4
    assert sum(isinstance(m, torch.nn.Conv2d) for m in model.modules()) + 1 == 1202  # 6n + 2 weighted layers


def test_cifar_layout_of_section_4_2():
    model = resnet20_cifar().eval()
    nodes = create_feature_extractor(model, {"layer1": "s1", "layer2": "s2", "layer3": "s3", "fc": "logits"})
    out = nodes(torch.rand(2, 3, 32, 32))
    assert out["s1"].shape == (2, 16, 32, 32)
    assert out["s2"].shape == (2, 32, 16, 16)
    assert out["s3"].shape == (2, 64, 8, 8)
    assert out["logits"].shape == (2, 10)
    # Option A everywhere: no projection, so no 1x1 convolution at all.
    assert not any(m.kernel_size == (1, 1) for m in model.modules() if isinstance(m, torch.nn.Conv2d))


def test_option_a_is_a_strided_identity_with_zero_channels():
    shortcut = ZeroPadShortcut(16, 32, stride=2)
    x = torch.randn(2, 16, 8, 8)
    y = shortcut(x)
    assert y.shape == (2, 32, 4, 4)
    assert torch.equal(y[:, :16], x[:, :, ::2, ::2])
    assert not y[:, 16:].any()
    with pytest.raises(ValueError, match="cannot reduce channels"):
        ZeroPadShortcut(32, 16, stride=1)


def test_plain_networks_have_no_shortcut_and_the_same_layers():
    residual, plain = resnet18(), resnet18(shortcut=None)
    projections = count_params(residual) - count_params(plain)
    # Option B's three projections (and their batch norms) are the only difference.
    assert projections == (64 * 128 + 128 * 256 + 256 * 512) + 2 * (128 + 256 + 512)
    torch.manual_seed(0)
    block = Bottleneck(64, 16, shortcut=None).eval()
    x = torch.rand(1, 64, 8, 8)
    with torch.no_grad():
        manual = block.relu(
            block.bn3(block.conv3(block.relu(block.bn2(block.conv2(block.relu(block.bn1(block.conv1(x))))))))
        )
        assert torch.equal(block(x), manual)


def test_forward_head_pre_logits_and_registry():
    model = create_model("resnet50", num_classes=5).eval()
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        features = model.forward_features(x)
        assert features.shape == (1, 2048, 2, 2)
        assert model.forward_head(features, pre_logits=True).shape == (1, 2048)
        assert model(x).shape == (1, 5)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"depth": 42}, ValueError, "depth must be one of"),
        ({"shortcut": "C"}, ValueError, "shortcut must be"),
        ({"variant": "v2"}, ValueError, "variant must be"),
        ({"num_classes": 0}, ValueError, "num_classes"),
        ({"num_classes": 2.0}, TypeError, "num_classes"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        ResNet(**kwargs)


def test_bad_input_is_named():
    model = resnet20_cifar()
    with pytest.raises(ValueError, match="input channels"):
        model(torch.rand(1, 1, 32, 32))
    with pytest.raises(ValueError, match="n \\(blocks per stage\\)"):
        CifarResNet(n=0)


def test_torchvision_weights_pick_their_bottleneck_and_load_through_the_catalog(tmp_path):
    torch.manual_seed(0)
    reference = torchvision.models.resnet50().eval()
    weights = local_weights(tmp_path, "resnet50", "IMAGENET1K_V1", reference.state_dict())
    model = create_model("resnet50", weights=weights).eval()
    assert model.layer2[0].conv2.stride == (2, 2)  # v1.5, which torchvision's weights were trained with
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(model(x), reference(x))
    with pytest.raises(ValueError, match=r"resnet50.IMAGENET1K_V1 fit shortcut='B' and variant=v1.5"):
        create_model("resnet50", weights=weights, variant="v1")
    ten = create_model("resnet50", weights=weights, num_classes=10)  # fresh fc, as timm
    assert ten.fc.out_features == 10 and torch.equal(
        ten.layer4[2].conv3.weight, reference.layer4[2].conv3.weight
    )
    assert create_model("resnet50").layer2[0].conv1.stride == (2, 2)  # no weights: the paper's v1


def test_features_only_equals_timms_stage_maps():
    torch.manual_seed(0)
    ours = create_model("resnet50", variant="v1.5", features_only=True).eval()
    theirs = timm.create_model("resnet50", features_only=True).eval()  # timm's ResNet-50 is v1.5 too
    theirs.load_state_dict({key.removeprefix("body."): value for key, value in ours.state_dict().items()})
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        assert all(torch.equal(a, b) for a, b in zip(ours(x), theirs(x), strict=True))
    assert ours.feature_info.channels() == theirs.feature_info.channels() == [64, 256, 512, 1024, 2048]
    assert ours.feature_info.reduction() == theirs.feature_info.reduction() == [2, 4, 8, 16, 32]
    picked = create_model("resnet18", features_only=True, out_indices=(1, 4))
    assert [tuple(m.shape) for m in picked(x)] == [(2, 64, 16, 16), (2, 512, 2, 2)]
    cifar = create_model("resnet20_cifar", features_only=True)
    assert cifar.feature_info.channels() == [16, 16, 32, 64] and cifar.feature_info.reduction() == [
        1,
        1,
        2,
        4,
    ]
    with pytest.raises(ValueError, match="out_indices must be a non-empty subset of 0..3"):
        create_model("resnet20_cifar", features_only=True, out_indices=(4,))


def test_reset_classifier_as_timm():
    model = create_model("resnet34").eval()
    model.reset_classifier(7)
    assert model(torch.rand(1, 3, 64, 64)).shape == (1, 7)
    model.reset_classifier(0)  # pooled features
    assert model(torch.rand(1, 3, 64, 64)).shape == (1, 512)
    with pytest.raises(ValueError, match="num_classes must be an int >= 0"):
        model.reset_classifier(-1)
