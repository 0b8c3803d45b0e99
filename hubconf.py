"""torch.hub entry points: `torch.hub.load("paperzoo/paperzoo", "mobilenet_v2", weights="IMAGENET1K_V2")`.

Every registered paperzoo builder is an entry point (keyword-only arguments, `weights=None` by default);
`paperzoo.list_models()` and `torch.hub.list(...)` name the same models (tests/test_hubconf.py).
"""

dependencies = ["torch", "torchvision"]

from paperzoo.models.mobilenet_v1 import mobilenet_v1  # noqa: E402
from paperzoo.models.mobilenet_v2 import mobilenet_v2  # noqa: E402
from paperzoo.models.resnet import (  # noqa: E402
    resnet18,
    resnet20_cifar,
    resnet32_cifar,
    resnet34,
    resnet44_cifar,
    resnet50,
    resnet56_cifar,
    resnet101,
    resnet110_cifar,
    resnet152,
    resnet1202_cifar,
)
from paperzoo.models.rfcn import rfcn_resnet18, rfcn_resnet50, rfcn_resnet101  # noqa: E402
from paperzoo.models.ssd import ssd300_vgg16, ssd512_vgg16  # noqa: E402
from paperzoo.models.ssdlite import ssdlite_mobilenet_v1, ssdlite_mobilenet_v2  # noqa: E402

__all__ = [
    "mobilenet_v1",
    "mobilenet_v2",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "resnet152",
    "resnet20_cifar",
    "resnet32_cifar",
    "resnet44_cifar",
    "resnet56_cifar",
    "resnet110_cifar",
    "resnet1202_cifar",
    "rfcn_resnet18",
    "rfcn_resnet50",
    "rfcn_resnet101",
    "ssd300_vgg16",
    "ssd512_vgg16",
    "ssdlite_mobilenet_v1",
    "ssdlite_mobilenet_v2",
]
