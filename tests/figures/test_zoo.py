"""The model-zoo figure lists every registered model with the analyser's counts."""

from __future__ import annotations

from paperzoo.figures import zoo
from paperzoo.registry import list_models


def test_every_registered_model_is_plotted_once():
    figure = zoo.all_models()
    plotted = [name for trace in figure.data for name in trace.text]
    assert sorted(plotted) == list_models()


def test_costs_match_the_known_counts():
    assert zoo.model_cost("mobilenet_v2") == (3_504_872, 300_774_272)  # torchvision's count; 300M MACs
    assert zoo.model_cost("ssd300_vgg16") == (35_641_826, 34_858_153_472)  # torchvision COCO_V1 meta
