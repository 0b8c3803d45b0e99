"""Tests of paperzoo.detection.box_coder: torchvision cross-check and encode/decode round trip."""

from __future__ import annotations

import math

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torchvision.models.detection._utils import BoxCoder
from torchvision.ops import box_convert

from paperzoo.detection.box_coder import decode, encode


def _random_boxes(n: int, generator: torch.Generator) -> torch.Tensor:
    xy = torch.rand(n, 2, generator=generator) * 0.8
    wh = 0.02 + torch.rand(n, 2, generator=generator) * 0.5
    return torch.cat((xy, xy + wh), dim=1)


def test_encode_and_decode_equal_torchvision_box_coder() -> None:
    generator = torch.Generator().manual_seed(0)
    gt, priors_xyxy = _random_boxes(500, generator), _random_boxes(500, generator)
    priors = box_convert(priors_xyxy, "xyxy", "cxcywh")
    coder = BoxCoder(weights=(10.0, 10.0, 5.0, 5.0))
    torch.testing.assert_close(encode(gt, priors), coder.encode_single(gt, priors_xyxy), atol=1e-5, rtol=1e-5)
    deltas = torch.randn(500, 4, generator=generator) * 3
    deltas[0, 2] = 100.0  # beyond the clamp, as torchvision
    torch.testing.assert_close(
        decode(deltas, priors), coder.decode_single(deltas, priors_xyxy), atol=1e-5, rtol=1e-5
    )


def test_encode_matches_eq2_on_a_hand_example() -> None:
    prior = torch.tensor([0.5, 0.5, 0.2, 0.4])
    box = torch.tensor([0.45, 0.4, 0.65, 0.8])  # cx 0.55, cy 0.6, w 0.2, h 0.4
    expected = torch.tensor([0.05 / (0.1 * 0.2), 0.1 / (0.1 * 0.4), 0.0, 0.0])
    torch.testing.assert_close(encode(box, prior), expected)


def test_broadcasts_over_leading_dims() -> None:
    generator = torch.Generator().manual_seed(1)
    gt = _random_boxes(2 * 7, generator).reshape(2, 7, 4)
    priors = box_convert(_random_boxes(7, generator), "xyxy", "cxcywh")
    deltas = encode(gt, priors)  # priors [7, 4] broadcast over the batch
    assert deltas.shape == (2, 7, 4)
    torch.testing.assert_close(deltas[1], encode(gt[1], priors))
    torch.testing.assert_close(decode(deltas, priors), gt, atol=1e-5, rtol=0)


def test_degenerate_boxes_encode_finite() -> None:
    priors = torch.tensor([[0.5, 0.5, 0.1, 0.1]] * 3)
    boxes = torch.tensor([[0.2, 0.2, 0.2, 0.4], [0.3, 0.3, 0.3, 0.3], [0.0, 0.0, 0.0, 0.0]])
    deltas = encode(boxes, priors)
    assert torch.isfinite(deltas).all()
    floor = math.log(torch.finfo(torch.float32).eps / 0.1) / 0.2  # about -68.6
    torch.testing.assert_close(deltas[0, 2:], torch.tensor([floor, math.log(2.0) / 0.2]))
    torch.testing.assert_close(deltas[2, 2:], torch.tensor([floor, floor]))


coordinate = st.floats(0.0, 0.8, allow_nan=False)
size = st.floats(0.02, 0.9, allow_nan=False)


@settings(derandomize=True, max_examples=60, deadline=None)
@given(x=coordinate, y=coordinate, w=size, h=size, pcx=coordinate, pcy=coordinate, pw=size, ph=size)
def test_round_trip(
    x: float, y: float, w: float, h: float, pcx: float, pcy: float, pw: float, ph: float
) -> None:
    box = torch.tensor([[x, y, x + w, y + h]], dtype=torch.float64)
    prior = torch.tensor([[pcx, pcy, pw, ph]], dtype=torch.float64)
    torch.testing.assert_close(decode(encode(box, prior), prior), box, atol=1e-9, rtol=0)
    # And the other way round: decode then encode recovers bounded deltas.
    deltas = torch.tensor([[x - 0.4, y - 0.4, 5 * (w - 0.4), 5 * (h - 0.4)]], dtype=torch.float64)
    torch.testing.assert_close(encode(decode(deltas, prior), prior), deltas, atol=1e-9, rtol=0)
