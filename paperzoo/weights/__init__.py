"""Published weights: a torchvision-style registry, hash-checked downloads, and exact conversions.

```python
import paperzoo
paperzoo.list_weights("mobilenet_v2")                # the Weights entries, with metadata
model = paperzoo.create_model("mobilenet_v2", pretrained=True)              # the default weights
model = paperzoo.create_model("ssd300_vgg16", weights="COCO_V1")
model = paperzoo.create_model("rfcn_resnet101", backbone_weights="IMAGENET1K_V1")
model = paperzoo.create_model("mobilenet_v2", weights="IMAGENET1K_V1", weights_file="mobilenet_v2-b0353104.pth")
```

Files are cached in `torch.hub.get_dir()/checkpoints`, checked against the publisher's hash, read with
`torch.load(weights_only=True)` or safetensors, and converted by an explicit key map
([`convert_state_dict`][paperzoo.weights.convert_state_dict]). Importing this package does not import torch.
"""

from paperzoo.weights.catalog import Preprocessing, Weights, default_weights, get_weights, list_weights
from paperzoo.weights.convert import convert_state_dict
from paperzoo.weights.download import WeightsError, cache_dir, fetch_weights_file
from paperzoo.weights.load import apply_weights, load_state_dict, resolve_weights

__all__ = [
    "Preprocessing",
    "Weights",
    "WeightsError",
    "apply_weights",
    "cache_dir",
    "convert_state_dict",
    "default_weights",
    "fetch_weights_file",
    "get_weights",
    "list_weights",
    "load_state_dict",
    "resolve_weights",
]
