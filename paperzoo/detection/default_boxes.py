r"""SSD default boxes (priors), from the paper's formula and the released configurations.

Liu et al., *SSD: Single Shot MultiBox Detector*, [arXiv 1512.02325](https://arxiv.org/abs/1512.02325),
Sec. 2.2 "Choosing scales and aspect ratios for default boxes". Each feature map $k$ tiles one set of
boxes per location: scale $s_k$ with aspect ratios $\{1, 2, \tfrac12 (, 3, \tfrac13)\}$ plus an extra
square box of scale $s'_k = \sqrt{s_k s_{k+1}}$, centred at $((i + 0.5)\,\mathrm{step}_k / W,
(j + 0.5)\,\mathrm{step}_k / H)$.

The paper's formula $s_k = s_\min + \frac{s_\max - s_\min}{m - 1}(k - 1)$ is not what the released
Caffe scripts use, so several presets are kept side by side in
[`PRESETS`][paperzoo.detection.default_boxes.PRESETS]:

| preset | SSD300 scales $s_k$ (fraction of the image) | clip |
|---|---|---|
| `paper` | conv4_3 0.1, then the formula for the 5 other maps: 0.2, 0.375, 0.55, 0.725, 0.9 | no |
| `caffe_voc` | 30, 60, 111, 162, 213, 264 px / 300 (`ssd_pascal.py`) | no |
| `caffe_coco` | 21, 45, 99, 153, 207, 261 px / 300 (`ssd_coco.py`) | no |
| `torchvision` | 0.07, 0.15, 0.33, 0.51, 0.69, 0.87 (= `caffe_coco`) | yes |

Boxes are ordered location by location (row-major) and, within a location, as Caffe's
`PriorBoxLayer` and torchvision's `DefaultBoxGenerator` order them: $s_k$, $s'_k$, then $(ar, 1/ar)$
for each aspect ratio, so a head's `(N, A·4, H, W)` output lines up with the boxes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

__all__ = [
    "PRESETS",
    "DefaultBoxConfig",
    "DefaultBoxes",
    "default_boxes",
    "layer_box_sizes",
    "layer_scales",
    "num_boxes_per_location",
    "paper_scales",
]


@dataclass(frozen=True)
class DefaultBoxConfig:
    r"""Where and how large the default boxes of each feature map are.

    Attributes:
        feature_maps: Side of each (square) feature map at `input_size`, e.g. 38, 19, ... for SSD300.
        steps: Distance between neighbouring box centres, in input pixels; `None` spreads the
            centres evenly over the image (`(i + 0.5) / f_k`, the paper's formula).
        min_sizes: Scale $s_k$ of each map, as a fraction of the image side.
        max_sizes: $s_{k+1}$ of each map (for the extra box $s'_k = \sqrt{s_k s_{k+1}}$), as a
            fraction of the image.
        aspect_ratios: Aspect ratios besides 1 for each map; each $ar$ adds the boxes $ar$ and $1/ar$.
        clip: Clamp the widths and heights to `[0, 1]` (torchvision does, Caffe does not).
        input_size: Side of the square network input the configuration is made for.
    """

    feature_maps: tuple[int, ...]
    steps: tuple[float, ...] | None
    min_sizes: tuple[float, ...]
    max_sizes: tuple[float, ...]
    aspect_ratios: tuple[tuple[float, ...], ...]
    clip: bool
    input_size: int = 300

    def __post_init__(self) -> None:
        m = len(self.feature_maps)
        lengths = {"min_sizes": len(self.min_sizes), "max_sizes": len(self.max_sizes)}
        lengths["aspect_ratios"] = len(self.aspect_ratios)
        if self.steps is not None:
            lengths["steps"] = len(self.steps)
        wrong = {name: n for name, n in lengths.items() if n != m}
        if wrong:
            raise ValueError(f"expected one value per feature map ({m} maps), got lengths {wrong}")
        if any(s <= 0 for s in (*self.min_sizes, *self.max_sizes)):
            raise ValueError(f"box sizes must be positive, got {self.min_sizes} / {self.max_sizes}")
        if any(ar <= 0 for ars in self.aspect_ratios for ar in ars):
            raise ValueError(f"aspect ratios must be positive, got {self.aspect_ratios}")


def paper_scales(num_maps: int, s_min: float = 0.2, s_max: float = 0.9) -> list[float]:
    r"""The paper's scales $s_k = s_\min + \frac{s_\max - s_\min}{m - 1}(k - 1)$, $k = 1..m+1$ (Sec. 2.2).

    The paper does not define $s_{m+1}$, needed for the last map's $s'_m$; the formula's next term is
    returned (Caffe uses 1.05 instead, torchvision 1.0).
    """
    step = (s_max - s_min) / (num_maps - 1)
    return [s_min + step * k for k in range(num_maps + 1)]


def _ssd300(
    min_sizes: list[float], max_sizes: list[float], clip: bool, scale: float = 1.0
) -> DefaultBoxConfig:
    return DefaultBoxConfig(
        feature_maps=(38, 19, 10, 5, 3, 1),
        steps=(8, 16, 32, 64, 100, 300),  # ssd_pascal.py L318
        min_sizes=tuple(s / scale for s in min_sizes),
        max_sizes=tuple(s / scale for s in max_sizes),
        aspect_ratios=((2,), (2, 3), (2, 3), (2, 3), (2,), (2,)),  # ssd_pascal.py L319
        clip=clip,
        input_size=300,
    )


def _ssd512(min_sizes: list[float], max_sizes: list[float]) -> DefaultBoxConfig:
    return DefaultBoxConfig(
        feature_maps=(64, 32, 16, 8, 4, 2, 1),
        steps=(8, 16, 32, 64, 128, 256, 512),
        min_sizes=tuple(s / 512 for s in min_sizes),
        max_sizes=tuple(s / 512 for s in max_sizes),
        aspect_ratios=((2,), (2, 3), (2, 3), (2, 3), (2, 3), (2,), (2,)),
        clip=False,
        input_size=512,
    )


_PAPER = [0.1, *paper_scales(5)]  # conv4_3 at 0.1 is the released code's extra source layer (Sec. 3.1)
_VOC300 = [30, 60, 111, 162, 213, 264, 315]
_COCO300 = [21, 45, 99, 153, 207, 261, 315]
_TV300 = [0.07, 0.15, 0.33, 0.51, 0.69, 0.87, 1.05]
# SSD512 sizes: the Caffe generator with VOC 15..90 % (conv4_3 7/15 %) and COCO 10..90 % (4/10 %), as
# in lufficc/SSD's configs; Caffe truncates sizes to integers (35.84 -> 35), these keep the fractions.
_VOC512 = [35.84, 76.8, 153.6, 230.4, 307.2, 384.0, 460.8, 537.6]
_COCO512 = [20.48, 51.2, 133.12, 215.04, 296.96, 378.88, 460.8, 542.72]

PRESETS: dict[str, DefaultBoxConfig] = {
    "paper": _ssd300(_PAPER[:-1], _PAPER[1:], clip=False),
    "caffe_voc": _ssd300(_VOC300[:-1], _VOC300[1:], clip=False, scale=300),
    "caffe_coco": _ssd300(_COCO300[:-1], _COCO300[1:], clip=False, scale=300),
    "torchvision": _ssd300(_TV300[:-1], _TV300[1:], clip=True),
    "caffe_voc_512": _ssd512(_VOC512[:-1], _VOC512[1:]),
    "caffe_coco_512": _ssd512(_COCO512[:-1], _COCO512[1:]),
}
"""Named default-box configurations; SSD300 unless the key ends in `_512`.

`paper` is Sec. 2.2's formula with conv4_3 at 0.1, `caffe_voc` / `caffe_coco` the released Caffe
models' pixel sizes, `torchvision` the sizes of `torchvision.models.detection.ssd300_vgg16` (clipped).
"""


def num_boxes_per_location(config: DefaultBoxConfig) -> list[int]:
    """Boxes at each location of each map: 2 squares plus 2 per aspect ratio (4 or 6 in SSD)."""
    return [2 + 2 * len(ars) for ars in config.aspect_ratios]


def layer_scales(config: DefaultBoxConfig) -> list[tuple[float, float]]:
    r"""$(s_k, s'_k)$ of each feature map, as fractions of the image side (for plots and tables)."""
    return [(s, math.sqrt(s * s_next)) for s, s_next in zip(config.min_sizes, config.max_sizes, strict=True)]


def layer_box_sizes(config: DefaultBoxConfig) -> list[Tensor]:
    """Widths and heights `[n_k, 2]` of the boxes at one location of each map, in box order.

    Clamped to `[0, 1]` when `config.clip` is set, as in the generated boxes.
    """
    sizes = []
    for (s_k, s_prime), ars in zip(layer_scales(config), config.aspect_ratios, strict=True):
        pairs = [(s_k, s_k), (s_prime, s_prime)]
        for ar in ars:
            root = math.sqrt(ar)
            pairs += [(s_k * root, s_k / root), (s_k / root, s_k * root)]
        wh = torch.tensor(pairs, dtype=torch.float64)
        sizes.append(wh.clamp(0, 1) if config.clip else wh)
    return sizes


def default_boxes(
    config: DefaultBoxConfig,
    image_size: tuple[int, int] | None = None,
    feature_map_sizes: list[tuple[int, int]] | None = None,
    *,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> Tensor:
    """Generate the default boxes `[A, 4]` as `cx, cy, w, h` in fractions of the image.

    Args:
        config: Feature maps, steps, sizes and aspect ratios.
        image_size: `(H, W)` of the network input; defaults to `config.input_size` square.
        feature_map_sizes: `(H_k, W_k)` of each map; defaults to `config.feature_maps` square.
        dtype: Output dtype (computed in float64 first).
        device: Output device.

    Returns:
        `[A, 4]` boxes, A = sum over maps of `H_k·W_k·n_k` (8732 for SSD300, 24564 for SSD512).
    """
    height, width = image_size if image_size is not None else (config.input_size, config.input_size)
    sizes = feature_map_sizes if feature_map_sizes is not None else [(f, f) for f in config.feature_maps]
    if len(sizes) != len(config.feature_maps):
        raise ValueError(f"expected {len(config.feature_maps)} feature map sizes, got {len(sizes)}")
    boxes = []
    for k, ((rows, cols), wh) in enumerate(zip(sizes, layer_box_sizes(config), strict=True)):
        if config.steps is not None:
            cx = (torch.arange(cols, dtype=torch.float64) + 0.5) * config.steps[k] / width
            cy = (torch.arange(rows, dtype=torch.float64) + 0.5) * config.steps[k] / height
        else:
            cx = (torch.arange(cols, dtype=torch.float64) + 0.5) / cols
            cy = (torch.arange(rows, dtype=torch.float64) + 0.5) / rows
        grid_y, grid_x = torch.meshgrid(cy, cx, indexing="ij")
        centres = torch.stack((grid_x, grid_y), dim=-1).reshape(-1, 1, 2)  # (H_k, W_k, 2) -> (H_k·W_k, 1, 2)
        layer = torch.cat(  # (H_k·W_k, n_k, 2) twice -> (H_k·W_k, n_k, 4)
            (centres.expand(-1, len(wh), 2), wh.expand(centres.shape[0], -1, 2)), dim=-1
        )
        boxes.append(layer.reshape(-1, 4))  # (H_k·W_k, n_k, 4) -> (H_k·W_k·n_k, 4)
    return torch.cat(boxes).to(dtype=dtype, device=device)  # per map (H_k·W_k·n_k, 4) -> (A, 4)


class DefaultBoxes(nn.Module):
    """Caches the default boxes per input size, so a forward pass does not rebuild them.

    The boxes for `config.input_size` are built at construction; any other size is built on first
    use. Each size is a non-persistent buffer (it follows `.to(device)` but is not saved in the
    state dict, since it is derived from the configuration).

    Args:
        config: The default-box configuration (e.g. `PRESETS["caffe_voc"]`).
    """

    def __init__(self, config: DefaultBoxConfig) -> None:
        super().__init__()
        self.config = config
        self.forward((config.input_size, config.input_size))

    @staticmethod
    def _buffer_name(image_size: tuple[int, int], feature_map_sizes: list[tuple[int, int]]) -> str:
        maps = "_".join(f"{h}x{w}" for h, w in feature_map_sizes)
        return f"boxes_{image_size[0]}x{image_size[1]}_{maps}"

    def forward(
        self, image_size: tuple[int, int], feature_map_sizes: list[tuple[int, int]] | None = None
    ) -> Tensor:
        """Return the `[A, 4]` `cx, cy, w, h` boxes for an `(H, W)` input (and its feature map sizes)."""
        sizes = feature_map_sizes
        if sizes is None:
            if tuple(image_size) != (self.config.input_size, self.config.input_size):
                raise ValueError(
                    f"feature_map_sizes are needed for an input of {tuple(image_size)} "
                    f"(the configuration is for {self.config.input_size}x{self.config.input_size})"
                )
            sizes = [(f, f) for f in self.config.feature_maps]
        sizes = [(int(h), int(w)) for h, w in sizes]
        name = self._buffer_name((int(image_size[0]), int(image_size[1])), sizes)
        cached = getattr(self, name, None)
        if cached is None:
            device = next((b.device for b in self.buffers()), None)
            cached = default_boxes(self.config, tuple(image_size), sizes, device=device)
            self.register_buffer(name, cached, persistent=False)
        return cached

    def extra_repr(self) -> str:
        return f"config={self.config}"
