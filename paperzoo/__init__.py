"""paperzoo: checked PyTorch reference implementations of deep-learning papers.

```python
import paperzoo
model = paperzoo.create_model("mobilenet_v2", num_classes=10)
print(paperzoo.list_models(task="detection"))
```
"""

from paperzoo.__about__ import __version__
from paperzoo.registry import create_model, get_model_builder, get_model_info, list_models

__all__ = ["__version__", "create_model", "get_model_builder", "get_model_info", "list_models"]
