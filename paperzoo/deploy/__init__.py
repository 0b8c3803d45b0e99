"""Deployment: export every model (`torch.export`, ONNX end to end) and run it fast on the CPU.

```python
import paperzoo
from paperzoo.deploy import OnnxModel, export, optimize

model = paperzoo.create_model("ssdlite_mobilenet_v2", num_classes=21).eval()
export(model, "ssdlite.onnx")             # images in [0, 1] -> boxes, scores, labels, num_detections
detections = OnnxModel("ssdlite.onnx", threads=2)(images)  # as model(images), 3-5x faster
fast = optimize(model)                     # eager: batch norms folded, channels_last
```

The ONNX export needs the `deploy` extra (`pip install paperzoo[deploy]`: onnx, onnxscript, onnxruntime).
"""

from paperzoo.deploy.detections import OUTPUT_NAMES
from paperzoo.deploy.export import FORMATS, export, export_graph
from paperzoo.deploy.optimize import fold_batch_norms, optimize
from paperzoo.deploy.runtime import OnnxModel, fastest, onnx_session

__all__ = [
    "FORMATS",
    "OUTPUT_NAMES",
    "OnnxModel",
    "export",
    "export_graph",
    "fastest",
    "fold_batch_norms",
    "onnx_session",
    "optimize",
]
