"""torch.hub entry points: `torch.hub.load("paperzoo/paperzoo", "mobilenet_v2", num_classes=10)`.

Every entry point is a registered paperzoo builder (keyword-only arguments, `weights=None` by default).
"""

dependencies = ["torch", "torchvision"]

from paperzoo.models.mobilenet_v1 import mobilenet_v1  # noqa: E402
from paperzoo.models.mobilenet_v2 import mobilenet_v2  # noqa: E402

__all__ = ["mobilenet_v1", "mobilenet_v2"]
