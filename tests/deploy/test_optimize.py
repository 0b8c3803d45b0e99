"""`optimize` folds every batch norm and keeps the outputs of every model (within the export tolerances)."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torchvision.ops.misc import FrozenBatchNorm2d

import paperzoo
from paperzoo.deploy import fold_batch_norms, optimize
from tests.deploy.models import FAST, build, images, set_score_thresh, spread_scores
from tests.deploy.test_export import assert_same

MODELS = [
    name if name in FAST else pytest.param(name, marks=pytest.mark.slow) for name in paperzoo.list_models()
]


def _randomise_batch_norms(model: nn.Module) -> None:
    # Fresh batch norms are identities (mean 0, var 1); fold real-looking statistics instead.
    generator = torch.Generator().manual_seed(3)
    for norm in model.modules():
        if isinstance(norm, (nn.BatchNorm2d, FrozenBatchNorm2d)):
            channels = norm.running_mean.shape
            norm.running_mean.copy_(0.1 * torch.randn(channels, generator=generator))
            norm.running_var.copy_(torch.empty(channels).uniform_(0.8, 1.25, generator=generator))
            norm.weight.data.copy_(torch.empty(channels).uniform_(0.8, 1.25, generator=generator))


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("channels_last", [True, False])
def test_optimized_model_equals_eager(name, channels_last):
    model, size = build(name)
    _randomise_batch_norms(model)
    batch = images(size)
    if paperzoo.get_model_info(name).task == "detection":
        set_score_thresh(model, batch[-1])
    else:  # the new statistics undo a deep ResNet's shrunken residual branches: shrink them again
        spread_scores(model, batch)
    norms = sum(isinstance(m, (nn.BatchNorm2d, FrozenBatchNorm2d)) for m in model.modules())
    fast = optimize(model, channels_last=channels_last)
    assert not any(isinstance(m, (nn.BatchNorm2d, FrozenBatchNorm2d)) for m in fast.modules())
    assert sum(isinstance(m, (nn.BatchNorm2d, FrozenBatchNorm2d)) for m in model.modules()) == norms  # a copy
    with torch.no_grad():
        assert_same(fast(batch), model(batch))


def test_fold_batch_norms_counts_and_refuses_train_mode():
    model = paperzoo.create_model("mobilenet_v2", width_mult=0.5)
    with pytest.raises(ValueError, match="eval mode"):
        fold_batch_norms(model)
    norms = sum(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    assert fold_batch_norms(model.eval()) == norms == 52
