"""timm-style feature extraction and classifier reset, shared by the classification backbones.

`features_only=True` in a classifier's builder returns a `StageFeatures`:
the same `features` modules, returning the output of the last layer of each stage (each output stride
2, 4, 8, 16, 32), with `feature_info` listing their channels and strides as timm's `FeatureInfo` does.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["FeatureInfo", "NodeFeatures", "StageFeatures", "new_classifier"]


class FeatureInfo(list):
    """One `{"module", "num_chs", "reduction"}` dict per returned feature map (timm's layout)."""

    def channels(self) -> list[int]:
        """Channels of each returned map."""
        return [info["num_chs"] for info in self]

    def reduction(self) -> list[int]:
        """Output stride of each returned map."""
        return [info["reduction"] for info in self]


class StageFeatures(nn.Module):
    """Run a classifier's `features` and return the last map of each selected stage.

    Args:
        features: The classifier's `features` (an `nn.Sequential`); the modules are shared, not copied.
        stages: `(index in features, output stride)` of each stage's last layer, in order.
        out_indices: Which stages to return (default: all), as timm's `out_indices`.
    """

    def __init__(
        self,
        features: nn.Sequential,
        stages: Sequence[tuple[int, int]],
        out_indices: Sequence[int] | None = None,
    ) -> None:
        super().__init__()
        out_indices = _check_out_indices(out_indices, len(stages))
        last = stages[max(out_indices)][0]
        self.features = features[: last + 1]
        self.return_layers = [stages[i][0] for i in out_indices]
        self.feature_info = FeatureInfo(
            {"module": f"features.{index}", "num_chs": features[index].out_channels, "reduction": stride}
            for index, stride in (stages[i] for i in out_indices)
        )

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """One map `(N, C_i, H/r_i, W/r_i)` per selected stage."""
        outputs = []
        for index, layer in enumerate(self.features):
            x = layer(x)
            if index in self.return_layers:
                outputs.append(x)
        return outputs


class NodeFeatures(nn.Module):
    """The output of each stage of a classifier whose stages are not one `features` sequence (ResNet).

    The nodes are taken by torchvision's `create_feature_extractor` (an FX graph of the model up to the
    last selected node; the modules are shared, not copied).

    Args:
        model: The classifier.
        nodes: `(node name, channels, output stride)` of each stage's output, in order.
        out_indices: Which stages to return (default: all), as timm's `out_indices`.
    """

    def __init__(
        self,
        model: nn.Module,
        nodes: Sequence[tuple[str, int, int]],
        out_indices: Sequence[int] | None = None,
    ) -> None:
        super().__init__()
        from torchvision.models.feature_extraction import create_feature_extractor

        chosen = [nodes[i] for i in _check_out_indices(out_indices, len(nodes))]
        self.body = create_feature_extractor(model, return_nodes=[name for name, _, _ in chosen])
        self.feature_info = FeatureInfo(
            {"module": name, "num_chs": channels, "reduction": stride} for name, channels, stride in chosen
        )

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """One map `(N, C_i, H/r_i, W/r_i)` per selected stage."""
        return list(self.body(x).values())


def _check_out_indices(out_indices: Sequence[int] | None, count: int) -> tuple[int, ...]:
    out_indices = tuple(range(count)) if out_indices is None else tuple(out_indices)
    if not out_indices or any(not 0 <= i < count for i in out_indices):
        raise ValueError(f"out_indices must be a non-empty subset of 0..{count - 1}, got {out_indices}")
    return out_indices


def new_classifier(in_features: int, num_classes: int) -> nn.Module:
    """A fresh FC layer initialised as the MobileNets' (N(0, 0.01), zero bias); `num_classes=0`: none."""
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 0:
        raise ValueError(f"num_classes must be an int >= 0 (0 removes the classifier), got {num_classes!r}")
    if num_classes == 0:
        return nn.Identity()
    layer = nn.Linear(in_features, num_classes)
    nn.init.normal_(layer.weight, 0, 0.01)
    nn.init.zeros_(layer.bias)
    return layer
