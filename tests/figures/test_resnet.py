"""ResNet figures: stage costs add up to the models' counts; the CIFAR ladder shows the counted parameters."""

import pytest
import torch

from paperzoo.analysis import count_macs, count_params
from paperzoo.figures import resnet as fig
from paperzoo.models.resnet import ResNet


@pytest.mark.parametrize(("depth", "variant"), [(18, "v1"), (50, "v1"), (50, "v1.5")])
def test_stage_costs_add_up_to_the_model(depth, variant):
    costs = fig.imagenet_stage_costs(depth, variant)
    assert [c.stage for c in costs] == ["conv1", "conv2_x", "conv3_x", "conv4_x", "conv5_x", "fc"]
    with torch.device("meta"):
        model = ResNet(depth=depth, variant=variant)
    assert sum(c.macs for c in costs) == count_macs(model, (1, 3, 224, 224))
    assert sum(c.params for c in costs) == count_params(model)
    assert costs[-1].params == 512 * (4 if depth >= 50 else 1) * 1000 + 1000  # the fc layer


def test_the_variants_differ_only_where_a_stage_starts_with_a_stride():
    v1, v15 = fig.imagenet_stage_costs(50, "v1"), fig.imagenet_stage_costs(50, "v1.5")
    same = {c.stage for c, d in zip(v1, v15, strict=True) if c.macs == d.macs}
    assert same == {"conv1", "conv2_x", "fc"}  # conv2_x starts after the max pool, at stride 1


def test_stage_costs_figure_switches_quantity_and_variant():
    figure = fig.stage_costs()
    (menu,) = figure.layout.updatemenus
    assert [b.label for b in menu.buttons][0].startswith("Count: MACs, paper")
    assert fig.stage_costs(lang="zh").layout.title.text.startswith("各阶段")
    assert len(figure.data) == 3 * 6
    assert sum(trace.visible for trace in figure.data) == 6


def test_cifar_ladder_uses_counted_parameters_and_the_papers_errors():
    figure = fig.cifar_depths()
    params, error = figure.data
    assert [round(v, 2) for v in params.y[:4]] == [0.27, 0.46, 0.66, 0.85]  # Table 6
    assert list(error.y) == [8.75, 7.51, 7.17, 6.97, 6.43, 7.93]
