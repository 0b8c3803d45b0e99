"""Detection building blocks, vectorised over the images of a batch, and the paper each one serves.

Most of this package is SSD's (Liu et al., [arXiv 1512.02325](https://arxiv.org/abs/1512.02325)),
shared by SSD and SSDLite; `targets` and `grouping` serve R-FCN too, and `rcnn` and `ps_roi` are
R-FCN's alone (Dai et al., [arXiv 1605.06409](https://arxiv.org/abs/1605.06409)).

- [`targets`][paperzoo.detection.targets]: validation and padding of ground-truth boxes and labels
  (both detectors; torchvision's target format).
- [`grouping`][paperzoo.detection.grouping]: the first `k` entries of each image in a score-sorted
  list (SSD's 200 detections per image, Sec. 3.7; R-FCN's OHEM, Sec. 3.1, and its detections).
- [`default_boxes`][paperzoo.detection.default_boxes]: SSD's default boxes and their presets
  (Sec. 2.1; scales and aspect ratios, Sec. 2.2).
- [`box_coder`][paperzoo.detection.box_coder]: SSD's centre-size offsets with variances (Sec. 2.2, Eq. 2).
- [`matcher`][paperzoo.detection.matcher]: SSD's matching strategy (Sec. 2.2).
- [`multibox_loss`][paperzoo.detection.multibox_loss]: SSD's MultiBox loss (Sec. 2.2, Eq. 1) with hard
  negative mining (Sec. 2.2).
- [`ssd_postprocess`][paperzoo.detection.ssd_postprocess]: SSD's inference: score threshold, top-k and
  per-class NMS (Sec. 3.7).
- [`ssd_transforms`][paperzoo.detection.ssd_transforms]: SSD's data augmentation (Sec. 2.2, Sec. 3.6)
  from torchvision's transforms v2.
- [`rcnn`][paperzoo.detection.rcnn]: the Faster R-CNN pieces R-FCN reuses from torchvision, set as
  R-FCN trains and tests: the RPN with the official 512-channel conv, separate training and test
  scales (Sec. 4.1).
- [`ps_roi`][paperzoo.detection.ps_roi]: R-FCN's position-sensitive RoI pooling (Sec. 2), through
  torchvision's kernels with their border defect fixed.
"""
