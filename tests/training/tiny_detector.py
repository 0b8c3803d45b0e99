"""A tiny detector that follows torchvision's detection contract, for fast training-loop tests.

It predicts one box and class per image from pooled features. Its loss is a mean over images (no
batch normalisation), so gradients averaged by DDP over equal halves of a batch equal the gradients
of the whole batch in one process.
"""

import torch
import torch.nn.functional as F
from torch import nn


class TinyDetector(nn.Module):
    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.features = nn.Conv2d(3, 8, kernel_size=3, stride=2, padding=1)
        self.classifier = nn.Linear(8, num_classes)
        self.box = nn.Linear(8, 4)

    def forward(self, images, targets=None):
        batch = torch.stack(images)  # list of [3, H, W] -> (N, 3, H, W)
        height, width = batch.shape[-2:]
        scale = batch.new_tensor([width, height, width, height])
        pooled = self.features(batch).relu().mean(dim=(2, 3))  # (N, 8, h, w) -> (N, 8)
        logits, boxes = self.classifier(pooled), self.box(pooled).sigmoid()
        if self.training:
            labels = torch.stack([t["labels"][0] for t in targets])
            gt_boxes = torch.stack([t["boxes"][0] for t in targets]) / scale
            return {
                "classification": F.cross_entropy(logits, labels),
                "bbox_regression": F.smooth_l1_loss(boxes, gt_boxes),
            }
        xyxy = torch.cat([boxes[:, :2].minimum(boxes[:, 2:]), boxes[:, :2].maximum(boxes[:, 2:]) + 1e-3], 1)
        scores, labels = logits.softmax(-1)[:, 1:].max(-1)
        return [
            {"boxes": xyxy[i : i + 1] * scale, "scores": scores[i : i + 1], "labels": labels[i : i + 1] + 1}
            for i in range(len(images))
        ]
