"""Detection metrics: Pascal VOC mAP (vectorised devkit rules) and COCO mAP through pycocotools.

```python
from paperzoo.evaluation import evaluate_voc
evaluate_voc(predictions, targets, num_classes=21)["map"]
```
"""

from paperzoo.evaluation.coco import coco_from_targets, evaluate_coco
from paperzoo.evaluation.detector import evaluate_detector, predict, score_detections
from paperzoo.evaluation.voc import ELEVEN_POINT_RULES, evaluate_voc, matlab_colon, voc_ap

__all__ = [
    "ELEVEN_POINT_RULES",
    "coco_from_targets",
    "evaluate_coco",
    "evaluate_detector",
    "evaluate_voc",
    "matlab_colon",
    "predict",
    "score_detections",
    "voc_ap",
]
