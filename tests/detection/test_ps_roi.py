"""Position-sensitive RoI pooling: torchvision's border defect and paperzoo's fix."""

from __future__ import annotations

import math

import pytest
import torch
from torchvision.ops import ps_roi_align, ps_roi_pool

from paperzoo.detection.ps_roi import position_sensitive_roi_pool, rois_with_batch_index

H = W = 8


def _reference_ps_roi_pool(maps: torch.Tensor, rois: torch.Tensor, k: int, scale: float) -> torch.Tensor:
    """The Caffe/torchvision bin arithmetic (round half away from zero at both ends, >= 1 cell), bins
    clipped to [0, H]; a RoI starting in the last half cell starts on the last cell (not past the map)."""
    _, channels, height, width = maps.shape
    out = maps.new_zeros(len(rois), channels // (k * k), k, k)
    for r, (b, x1, y1, x2, y2) in enumerate(rois.tolist()):
        sx, sy = min(math.floor(x1 * scale + 0.5), width - 1), min(math.floor(y1 * scale + 0.5), height - 1)
        ex, ey = math.floor(x2 * scale + 0.5), math.floor(y2 * scale + 0.5)
        bw, bh = max(ex - sx, 1) / k, max(ey - sy, 1) / k
        for i in range(k):
            for j in range(k):
                h0, h1 = (
                    min(max(math.floor(i * bh) + sy, 0), height),
                    min(max(math.ceil((i + 1) * bh) + sy, 0), height),
                )
                w0, w1 = (
                    min(max(math.floor(j * bw) + sx, 0), width),
                    min(max(math.ceil((j + 1) * bw) + sx, 0), width),
                )
                if h1 > h0 and w1 > w0:
                    group = maps[
                        int(b), i * k + j :: k * k, h0:h1, w0:w1
                    ]  # class-major: channel (c·k + i)·k + j
                    out[r, :, i, j] = group.mean(dim=(1, 2))
    return out


def _one_bin_maps(k: int, i: int, j: int, classes: int = 2) -> torch.Tensor:
    """Score maps that are 1 only on the channels of bin (i, j) (for every class), 0 elsewhere."""
    maps = torch.zeros(1, classes, k, k, H, W, dtype=torch.float64)  # (N, D, k, k, H, W)
    maps[:, :, i, j] = 1.0
    return maps.view(1, classes * k * k, H, W)  # (N, D, k, k, H, W) -> (N, D·k², H, W)


# RoIs on an 8×8 map at scale 1: inside, touching the right border, the bottom border, both, and a
# 3-cell RoI in the corner whose last bin is only the last row/column.
BORDER_ROIS = [
    (1.0, 1.0, 7.0, 7.0),
    (2.0, 1.0, 8.0, 7.0),
    (1.0, 2.0, 7.0, 8.0),
    (0.0, 0.0, 8.0, 8.0),
    (5.0, 5.0, 8.0, 8.0),
]


@pytest.mark.parametrize("mode", ["pool", "align"])
@pytest.mark.parametrize("roi", BORDER_ROIS)
def test_only_bin_ij_lights_up(roi, mode):
    k = 3
    rois = torch.tensor([[0.0, *roi]], dtype=torch.float64)
    for i in range(k):
        for j in range(k):
            out = position_sensitive_roi_pool(
                _one_bin_maps(k, i, j), rois, k, 1.0, mode=mode, sampling_ratio=2
            )
            expected = torch.zeros(1, 2, k, k, dtype=torch.float64)
            expected[:, :, i, j] = 1.0
            torch.testing.assert_close(out, expected)


def test_torchvision_ps_roi_pool_skips_last_row_and_column():
    """The upstream defect, pinned: if this fails, torchvision changed its clipping (our fix stays valid)."""
    k = 3
    corner = torch.tensor([[0.0, 5.0, 5.0, 8.0, 8.0]], dtype=torch.float64)  # bins of one cell each
    out = ps_roi_pool(_one_bin_maps(k, 2, 2), corner, k, 1.0)
    assert out[0, :, 2, 2].tolist() == [0.0, 0.0]  # bin (2, 2) is cell (7, 7): never read
    # A bin that covers the last row averages one row too few: cells hold their row index.
    rows = torch.arange(H, dtype=torch.float64).view(1, 1, H, 1).expand(1, 4, H, W).contiguous()
    whole = torch.tensor([[0.0, 0.0, 0.0, 8.0, 8.0]], dtype=torch.float64)
    assert ps_roi_pool(rows, whole, 2, 1.0)[0, 0, 1, 1].item() == 5.0  # rows 4..6, should be 5.5 (4..7)
    assert position_sensitive_roi_pool(rows, whole, 2, 1.0)[0, 0, 1, 1].item() == 5.5


def test_torchvision_ps_roi_pool_gradient_is_wrong_at_the_border():
    torch.manual_seed(0)
    maps = torch.rand(1, 4, H, W, dtype=torch.float64, requires_grad=True)
    whole = torch.tensor([[0.0, 0.0, 0.0, 8.0, 8.0]], dtype=torch.float64)
    inside = torch.tensor([[0.0, 1.0, 1.0, 5.0, 5.0]], dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda m: ps_roi_pool(m, inside, 2, 1.0), (maps,))
    assert not torch.autograd.gradcheck(
        lambda m: ps_roi_pool(m, whole, 2, 1.0), (maps,), raise_exception=False
    )


@pytest.mark.parametrize("mode", ["pool", "align"])
def test_gradcheck_float64_including_border_rois(mode):
    torch.manual_seed(0)
    maps = torch.rand(2, 9, H, W, dtype=torch.float64, requires_grad=True)  # D = 1 keeps gradcheck fast
    rois = torch.tensor(
        [[0.0, *roi] for roi in BORDER_ROIS] + [[1.0, 0.3, 2.2, 6.7, 7.9]], dtype=torch.float64
    )
    assert torch.autograd.gradcheck(
        lambda m: position_sensitive_roi_pool(m, rois, 3, 1.0, mode=mode, sampling_ratio=2), (maps,)
    )


def test_matches_reference_on_random_rois_at_stride_16():
    torch.manual_seed(0)
    k, scale = 3, 1.0 / 16
    maps = torch.randn(2, 4 * k * k, H, W, dtype=torch.float64)
    xy = torch.rand(40, 2, 2, dtype=torch.float64) * (H * 16)
    boxes = torch.cat([xy.min(dim=1).values, xy.max(dim=1).values], dim=1)  # (R, 2, 2) -> (R, 4)
    rois = torch.cat([torch.randint(0, 2, (40, 1)).double(), boxes], dim=1)  # (R, 1 + 4)
    out = position_sensitive_roi_pool(maps, rois, k, scale)
    torch.testing.assert_close(out, _reference_ps_roi_pool(maps, rois, k, scale))


def test_align_mode_is_torchvision_ps_roi_align():
    torch.manual_seed(0)
    maps = torch.randn(1, 2 * 49, 12, 12)
    boxes = [torch.tensor([[10.0, 20.0, 150.0, 180.0], [0.0, 0.0, 192.0, 192.0]])]
    out = position_sensitive_roi_pool(maps, boxes, 7, 1 / 16, mode="align", sampling_ratio=2)
    torch.testing.assert_close(out, ps_roi_align(maps, boxes, 7, 1 / 16, 2))
    assert out.shape == (2, 2, 7, 7)


def test_rois_with_batch_index_and_errors():
    rois = rois_with_batch_index([torch.ones(2, 4), torch.zeros(1, 4)])
    assert rois[:, 0].tolist() == [0.0, 0.0, 1.0]
    with pytest.raises(ValueError, match=r"\[K, 4\]"):
        rois_with_batch_index([torch.ones(2, 3)])
    with pytest.raises(ValueError, match="multiple of k²"):
        position_sensitive_roi_pool(torch.ones(1, 10, 4, 4), rois, 3, 1.0)
    with pytest.raises(ValueError, match="mode"):
        position_sensitive_roi_pool(torch.ones(1, 9, 4, 4), rois, 3, 1.0, mode="max")
