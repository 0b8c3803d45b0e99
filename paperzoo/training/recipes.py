"""Training recipes: each paper's schedule, and scaled-down `shapes` recipes that train on a CPU.

A recipe is plain data. Learning-rate milestones are fractions of the whole run, so the paper's
iteration schedule carries over to any dataset size: SSD's "lr 1e-3, divided by 10 at 80k and
100k of 120k iterations" is `milestones=(80/120, 100/120)`. The paper recipes' `epochs` are the
papers' iteration counts converted for VOC07+12 trainval (16,551 images).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RECIPES", "Recipe", "default_recipe", "get_recipe"]

VOC0712_TRAINVAL_IMAGES = 16_551


@dataclass(frozen=True)
class Recipe:
    """How to train one model on one kind of data.

    Attributes:
        name: Registered name of the recipe.
        model: Model the recipe is written for (a name from `paperzoo.list_models`).
        data: Dataset spec it is written for (`"shapes"`, `"voc:PATH"`, ...); informative.
        source: Where the numbers come from.
        epochs: Passes over the training set.
        batch_size: Images per optimiser step, over all processes.
        optimizer: `"sgd"` (momentum) or `"adamw"`.
        lr: Base learning rate.
        momentum: SGD momentum (AdamW's beta1 is left at its default).
        weight_decay: L2 weight decay.
        milestones: Fractions of all steps at which the learning rate is multiplied by `gamma`.
        gamma: Learning-rate decay factor at each milestone.
        schedule: `"step"` (the papers: `gamma` at each milestone) or `"cosine"` (half a cosine from
            the base rate to 0 over all steps; no milestones).
        warmup_steps: Steps of linear warm-up from 0 (not in the papers; keeps from-scratch runs stable).
        grad_clip_norm: Clip the gradient norm to this value (`None`: no clipping).
        eval_every: Evaluate on the val split every this many epochs (and after the last).
        augment: Training augmentation from `paperzoo.data.augment.AUGMENTATIONS` (`"ssd"`: SSD's
            photometric distortion, zoom-out, IoU crop and flip, Sec. 2.2), or `None`.
        model_kwargs: Extra keyword arguments of the model builder (e.g. a reduced width).
        backbone_weights: ImageNet weights the backbone starts from (a tag of `paperzoo weights`, e.g.
            `"DEFAULT"`), as the papers train; `None`: from scratch.
        shapes: Options of `ShapesDataset` used when the data is `shapes` (`num_train`, `num_val`,
            `image_size`, `max_objects`).
    """

    name: str
    model: str
    data: str
    source: str
    epochs: int
    batch_size: int
    lr: float
    optimizer: str = "sgd"
    momentum: float = 0.9
    weight_decay: float = 5e-4
    milestones: tuple[float, ...] = ()
    gamma: float = 0.1
    schedule: str = "step"
    warmup_steps: int = 0
    grad_clip_norm: float | None = None
    eval_every: int = 1
    augment: str | None = None
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    shapes: dict[str, Any] = field(default_factory=dict)
    backbone_weights: str | None = None

    def __post_init__(self) -> None:
        if self.optimizer not in ("sgd", "adamw"):
            raise ValueError(
                f"recipe {self.name!r}: optimizer must be 'sgd' or 'adamw', got {self.optimizer!r}"
            )
        if self.epochs < 1 or self.batch_size < 1 or not 0 < self.lr < math.inf or self.eval_every < 1:
            raise ValueError(
                f"recipe {self.name!r}: epochs, batch_size, eval_every must be >= 1 and lr > 0 (finite), got "
                f"epochs={self.epochs}, batch_size={self.batch_size}, eval_every={self.eval_every}, lr={self.lr}"
            )
        if self.schedule not in ("step", "cosine"):
            raise ValueError(
                f"recipe {self.name!r}: schedule must be 'step' or 'cosine', got {self.schedule!r}"
            )
        if self.schedule == "cosine" and self.milestones:
            raise ValueError(
                f"recipe {self.name!r}: a cosine schedule takes no milestones, got {self.milestones}"
            )
        if any(not 0 < m < 1 for m in self.milestones) or list(self.milestones) != sorted(self.milestones):
            raise ValueError(f"recipe {self.name!r}: milestones must be increasing fractions in (0, 1)")

    def replace(self, **changes: Any) -> Recipe:
        """A copy with some fields changed (`None` values are ignored, as for unset CLI flags)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def _epochs(iterations: int, batch_size: int, images: int = VOC0712_TRAINVAL_IMAGES) -> int:
    return round(iterations * batch_size / images)


# The CPU recipes train at 128 x 128 (the models are configured for that size, no resizing).
_SHAPES = {"num_train": 2000, "num_val": 200, "image_size": 128, "max_objects": 4}
# SSDLite: width 0.5; the 128 x 128 images are upsampled to a 256 x 256 input (still below the paper's
# 300) so that the first head's map is 16 x 16, and torchvision's SSDLite boxes (scales 0.2-0.95, 6 per
# location) replace SSD's 0.1-0.9 ones. At 128 x 128 with the paper's boxes the maps are 8, 4, 2, 1, 1, 1,
# only 40 % of the objects have a default box with IoU >= 0.5 and an image has 3.0 positives; here
# 99.5 % have one and an image has 18.9 (docs/benchmarks.md, "Convergence").
_SSDLITE_SHAPES = {"width_mult": 0.5, "size": (256, 256), "default_boxes": "ssdlite"}
# R-FCN: one scale, the images' own. With 100 RoIs per image, the R-FCN paper's OHEM (top 128 by loss)
# would keep every RoI, i.e. mine nothing; the OHEM paper's NMS at 0.7 first keeps mining (and is what
# the recorded convergence runs used).
_RFCN_SHAPES = {
    "min_size": 128, "max_size": 128, "train_min_sizes": (128,), "anchor_sizes": (16, 32, 64),
    "rpn_pre_nms_top_n": 600, "rpn_post_nms_top_n": 100, "ohem_nms_thresh": 0.7,
}  # fmt: skip

RECIPES: dict[str, Recipe] = {
    recipe.name: recipe
    for recipe in [
        # SSD, Sec. 3 and Caffe ssd_pascal.py: SGD 0.9, wd 5e-4, lr 1e-3, batch 32, /10 at 80k and 100k of 120k.
        Recipe("ssd300_vgg16_voc", "ssd300_vgg16", "voc", "SSD paper Sec. 3.1 / ssd_pascal.py",
               epochs=_epochs(120_000, 32), batch_size=32, lr=1e-3, milestones=(80 / 120, 100 / 120),
               augment="ssd", backbone_weights="DEFAULT"),
        Recipe("ssdlite_mobilenet_v2_voc", "ssdlite_mobilenet_v2", "voc", "SSD schedule (ssd_pascal.py)",
               epochs=_epochs(120_000, 32), batch_size=32, lr=1e-3, milestones=(80 / 120, 100 / 120),
               augment="ssd", backbone_weights="DEFAULT"),
        # R-FCN, Sec. 4.1 / rfcn solver: lr 1e-3 for 80k, 1e-4 to 110k iterations, 2 images per batch.
        Recipe("rfcn_resnet18_voc", "rfcn_resnet18", "voc", "R-FCN paper Sec. 4.1 / official solver",
               epochs=_epochs(110_000, 2), batch_size=2, lr=1e-3, milestones=(80 / 110,), backbone_weights="DEFAULT"),
        # CPU recipes on generated shapes: from scratch (no pretrained backbone), so AdamW with a
        # warm-up replaces the papers' SGD from ImageNet weights; the step decay is kept. No augmentation:
        # shapes draws fresh, varied images, and zoom-out would shrink 128-pixel scenes. SSDLite: see
        # _SSDLITE_SHAPES, with a cosine decay; SSD300 keeps its 300 x 300 input (it resizes the images).
        Recipe("ssdlite_mobilenet_v2_shapes", "ssdlite_mobilenet_v2", "shapes", "paperzoo, CPU-sized",
               epochs=3, batch_size=8, optimizer="adamw", lr=2e-3, weight_decay=1e-4, schedule="cosine",
               warmup_steps=50, grad_clip_norm=10.0, eval_every=1, model_kwargs=_SSDLITE_SHAPES, shapes=_SHAPES),
        Recipe("ssd300_vgg16_shapes", "ssd300_vgg16", "shapes", "paperzoo, CPU-sized",
               epochs=4, batch_size=8, optimizer="adamw", lr=2e-4, weight_decay=1e-4, milestones=(0.75,),
               warmup_steps=50, grad_clip_norm=10.0, eval_every=1,
               shapes={**_SHAPES, "num_train": 400, "num_val": 50}),
        Recipe("rfcn_resnet18_shapes", "rfcn_resnet18", "shapes", "paperzoo, CPU-sized",
               epochs=12, batch_size=4, optimizer="adamw", lr=5e-4, weight_decay=1e-4, milestones=(0.75,),
               warmup_steps=50, grad_clip_norm=10.0, eval_every=2, model_kwargs=_RFCN_SHAPES,
               shapes={**_SHAPES, "num_train": 1000}),
    ]
}  # fmt: skip


def get_recipe(name: str) -> Recipe:
    """The registered recipe `name`.

    Raises:
        ValueError: If there is no such recipe (the message lists them).
    """
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}; known recipes: {', '.join(RECIPES)}")
    return RECIPES[name]


def default_recipe(model: str, data: str) -> Recipe:
    """The recipe for `model` on `data`: `<model>_shapes` for shapes, `<model>_voc` otherwise.

    A model without a recipe of its own borrows the SSDLite one with its name swapped in.
    """
    kind = "shapes" if data.partition(":")[0] == "shapes" else "voc"
    name = f"{model}_{kind}"
    if name in RECIPES:
        return RECIPES[name]
    fallback = RECIPES[f"ssdlite_mobilenet_v2_{kind}"]
    return fallback.replace(
        name=name, model=model, source=f"{fallback.source} (borrowed from {fallback.name})"
    )
