"""paperzoo: checked PyTorch reference implementations of deep-learning papers.

```python
import paperzoo
model = paperzoo.create_model("mobilenet_v2", num_classes=10)
model = paperzoo.create_model("ssd300_vgg16", pretrained=True)  # torchvision's COCO weights
print(paperzoo.list_models(task="detection"), paperzoo.list_weights("mobilenet_v2"))
```
"""

from paperzoo.__about__ import __version__
from paperzoo.registry import create_model, get_model_builder, get_model_info, list_models
from paperzoo.weights import list_weights

__all__ = [
    "__version__",
    "create_model",
    "get_model_builder",
    "get_model_info",
    "list_models",
    "list_weights",
]
