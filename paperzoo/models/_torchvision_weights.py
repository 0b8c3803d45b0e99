"""Loading torchvision's published weights into paperzoo models whose state dict is torchvision's."""

from __future__ import annotations

from torch import nn
from torchvision.models import WeightsEnum

__all__ = ["load_torchvision_weights"]


def load_torchvision_weights(
    model: nn.Module, enum: type[WeightsEnum], weights: WeightsEnum | str, *, num_classes: int, progress: bool
) -> None:
    """Load `weights` (a member of `enum` or its name, e.g. `"DEFAULT"`) into `model`, hash checked.

    Raises:
        ValueError: If the weights are not a member of `enum`, or were trained for another class count.
    """
    try:
        member = enum.verify(weights)
    except KeyError:
        names = ", ".join(enum.__members__)
        raise ValueError(f"unknown weights {weights!r}; expected None or one of {names}") from None
    categories = len(member.meta["categories"])
    if num_classes != categories:
        raise ValueError(f"{member} has {categories} classes, got num_classes={num_classes}")
    model.load_state_dict(member.get_state_dict(progress=progress, check_hash=True))
