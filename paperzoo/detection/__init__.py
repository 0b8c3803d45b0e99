"""Detection building blocks shared by the detectors (SSD, SSDLite, R-FCN).

Each module is one piece of the pipeline, vectorised over the images of a batch:

- [`targets`][paperzoo.detection.targets]: validation and padding of ground-truth boxes and labels.
- [`default_boxes`][paperzoo.detection.default_boxes]: SSD default boxes (priors) and their presets.
- [`box_coder`][paperzoo.detection.box_coder]: centre-size box encoding with variances.
- [`matcher`][paperzoo.detection.matcher]: batched SSD prior matching.
- [`multibox_loss`][paperzoo.detection.multibox_loss]: the MultiBox loss with hard negative mining.
- [`ssd_postprocess`][paperzoo.detection.ssd_postprocess]: batched score threshold, top-k and NMS.
- [`ssd_transforms`][paperzoo.detection.ssd_transforms]: SSD's data augmentation from torchvision v2.
"""
