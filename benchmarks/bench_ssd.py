"""Benchmark: paperzoo's SSD matching + loss and post-processing against torchvision's SSD300.

Both sides get the same tensors: a batch of random head outputs for SSD300 (8732 default boxes,
21 classes) and 1-8 random ground-truth boxes per image. torchvision's side is its own code path
(`box_iou` + `SSDMatcher` per image, then `SSD.compute_loss`; `SSD.postprocess_detections`) on a
`ssd300_vgg16` built with random weights; paperzoo's side is `pad_targets` + `match_priors` +
`encode_targets` + `multibox_loss`, and `postprocess_detections`. Runs alternate between the two
implementations; the script prints the median of each and the ratio, and checks that the results
agree before timing.

`--parts nms` times the one hand-tuned step kept in `postprocess_detections`, NMS on each image's best
candidates with doubling, against the plain library call (one `batched_nms` over every candidate),
at SSD300's 8732 and SSDLite's 3000 default boxes.

    python benchmarks/bench_ssd.py [--batch 32] [--repeats 7] [--device cpu] [--threads N] [--parts loss post nms]
"""

from __future__ import annotations

import argparse
import functools
import platform
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torchvision.models.detection import ssd300_vgg16
from torchvision.models.detection.image_list import ImageList
from torchvision.ops import batched_nms, box_convert, box_iou

from paperzoo.detection.box_coder import decode
from paperzoo.detection.default_boxes import PRESETS, default_boxes
from paperzoo.detection.grouping import first_k_per_group
from paperzoo.detection.matcher import match_priors
from paperzoo.detection.multibox_loss import encode_targets, multibox_loss
from paperzoo.detection.ssd_postprocess import postprocess_detections
from paperzoo.detection.targets import pad_targets
from paperzoo.models.ssdlite import ssdlite_box_config

NUM_CLASSES = 21
SIZE = 300


def make_inputs(
    batch: int, device: torch.device, seed: int = 0
) -> tuple[list[dict], dict[str, torch.Tensor]]:
    """Random targets (1-8 boxes per image, pixels) and random SSD300 head outputs."""
    generator = torch.Generator().manual_seed(seed)
    targets = []
    for _ in range(batch):
        n = int(torch.randint(1, 9, (1,), generator=generator))
        xy = torch.rand(n, 2, generator=generator) * 240
        boxes = torch.cat((xy, (xy + 8 + torch.rand(n, 2, generator=generator) * 150).clamp(max=SIZE)), dim=1)
        labels = torch.randint(1, NUM_CLASSES, (n,), generator=generator)
        targets.append({"boxes": boxes.to(device), "labels": labels.to(device)})
    num_priors = 8732
    head_outputs = {
        "cls_logits": torch.randn(batch, num_priors, NUM_CLASSES, generator=generator).to(device),
        "bbox_regression": torch.randn(batch, num_priors, 4, generator=generator).to(device),
    }
    return targets, head_outputs


def torchvision_anchors(model: torch.nn.Module, batch: int, device: torch.device) -> list[torch.Tensor]:
    images = ImageList(torch.zeros(batch, 3, SIZE, SIZE, device=device), [(SIZE, SIZE)] * batch)
    features = [torch.zeros(batch, 1, f, f, device=device) for f in (38, 19, 10, 5, 3, 1)]
    return model.anchor_generator(images, features)  # per image (8732, 4) x1, y1, x2, y2 pixels


def torchvision_side(
    model: torch.nn.Module, anchors: list[torch.Tensor], batch: int
) -> tuple[Callable, Callable]:
    def loss(targets: list[dict], head_outputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        matched = [
            model.proposal_matcher(box_iou(t["boxes"], a)) for t, a in zip(targets, anchors, strict=True)
        ]
        return model.compute_loss(targets, head_outputs, anchors, matched)

    def postprocess(head_outputs: dict[str, torch.Tensor]) -> list[dict[str, torch.Tensor]]:
        return model.postprocess_detections(head_outputs, anchors, [(SIZE, SIZE)] * batch)

    return loss, postprocess


def paperzoo_side(anchors: torch.Tensor) -> tuple[Callable, Callable]:
    # The very same default boxes as torchvision (equal to PRESETS["torchvision"] to 1e-6), and
    # matching in pixels like torchvision, so the agreement check is exact: in fractions of the
    # image a few IoUs tied at 0.5 or between two priors round the other way (same cost either way).
    torch.testing.assert_close(
        anchors / SIZE,
        box_convert(default_boxes(PRESETS["torchvision"]), "cxcywh", "xyxy").to(anchors.device),
        atol=1e-6,
        rtol=0,
    )
    priors_xyxy = anchors
    priors_pixels = box_convert(anchors, "xyxy", "cxcywh")
    priors = priors_pixels / SIZE  # (8732, 4) cx, cy, w, h in [0, 1]

    def loss(targets: list[dict], head_outputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        boxes, labels, mask = pad_targets(targets)
        matched = match_priors(boxes, mask, priors_xyxy)
        gt_labels, gt_deltas = encode_targets(matched, boxes, labels, priors_pixels)
        return multibox_loss(
            head_outputs["cls_logits"], head_outputs["bbox_regression"], gt_labels, gt_deltas
        )

    def postprocess(head_outputs: dict[str, torch.Tensor]) -> list[dict[str, torch.Tensor]]:
        logits, deltas = head_outputs["cls_logits"], head_outputs["bbox_regression"]
        return postprocess_detections(logits, deltas, priors, [(SIZE, SIZE)] * len(logits))

    return loss, postprocess


def plain_postprocess(
    cls_logits: torch.Tensor, box_deltas: torch.Tensor, priors: torch.Tensor, size: int
) -> list[dict[str, torch.Tensor]]:
    """`postprocess_detections` with its defaults, but one `batched_nms` over every candidate."""
    batch, num_priors, num_classes = cls_logits.shape
    scores = F.softmax(cls_logits, dim=-1)[..., 1:].transpose(1, 2)  # (B, A, C) -> (B, C - 1, A)
    boxes = decode(box_deltas, priors).clamp(0, 1) * size  # (B, A, 4) pixels
    top_scores, top_priors = scores.topk(min(400, num_priors), dim=2)  # (B, C - 1, k)
    image, label, slot = (top_scores > 0.01).nonzero(as_tuple=True)
    prior, score = top_priors[image, label, slot], top_scores[image, label, slot]
    keep = batched_nms(boxes[image, prior], score, image * num_classes + label, 0.45)
    image, prior, score, label = image[keep], prior[keep], score[keep], label[keep] + 1
    order, counts = first_k_per_group(image, 200, batch)
    split = counts.clamp(max=200).tolist()
    return [
        {"boxes": b, "scores": s, "labels": c}
        for b, s, c in zip(
            boxes[image, prior][order].split(split),
            score[order].split(split),
            label[order].split(split),
            strict=True,
        )
    ]


def compare_nms(batch: int, repeats: int, device: torch.device) -> None:
    """Post-processing with NMS on the best candidates (doubling) vs one NMS over all of them."""
    for name, priors in (
        ("SSD300", default_boxes(PRESETS["torchvision"])),
        ("SSDLite", default_boxes(ssdlite_box_config("ssdlite"))),
    ):
        generator = torch.Generator().manual_seed(0)
        priors = priors.to(device)
        logits = torch.randn(batch, len(priors), NUM_CLASSES, generator=generator).to(device)
        deltas = torch.randn(batch, len(priors), 4, generator=generator).to(device)
        ours = functools.partial(postprocess_detections, logits, deltas, priors, [(SIZE, SIZE)] * batch)
        plain = functools.partial(plain_postprocess, logits, deltas, priors, SIZE)
        for mine, theirs in zip(ours(), plain(), strict=True):  # same detections (ties may swap order)
            torch.testing.assert_close(mine["scores"], theirs["scores"])
        compare(f"{name} ({len(priors)}) NMS", ours, plain, repeats, device, baseline="one NMS")


def timed(fn: Callable[[], object], device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - start


def compare(
    name: str,
    ours: Callable[[], object],
    theirs: Callable[[], object],
    repeats: int,
    device,
    baseline: str = "torchvision",
) -> float:
    ours(), theirs()  # warm-up
    times: dict[str, list[float]] = {"paperzoo": [], baseline: []}
    for _ in range(repeats):  # alternate, so load changes on the machine hit both sides alike
        times[baseline].append(timed(theirs, device))
        times["paperzoo"].append(timed(ours, device))
    tv, pz = statistics.median(times[baseline]), statistics.median(times["paperzoo"])
    print(f"{name:<28} {baseline} {tv * 1e3:10.1f} ms   paperzoo {pz * 1e3:9.1f} ms   ratio {tv / pz:6.1f}x")
    return tv / pz


def check_agreement(targets, head_outputs, tv_loss, pz_loss, tv_post, pz_post) -> None:
    """The timed code paths compute the same thing (losses to 1e-3, same detection counts and scores)."""
    expected, got = tv_loss(targets, head_outputs), pz_loss(targets, head_outputs)
    for key in expected:
        torch.testing.assert_close(got[key], expected[key], rtol=1e-3, atol=1e-3)
    for mine, theirs in zip(pz_post(head_outputs), tv_post(head_outputs), strict=True):
        torch.testing.assert_close(mine["scores"].sort().values, theirs["scores"].sort().values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (CPU)")
    parser.add_argument(
        "--parts", nargs="+", choices=("loss", "post", "nms"), default=["loss", "post"], help="what to time"
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.manual_seed(0)
    model = ssd300_vgg16(weights=None, weights_backbone=None, num_classes=NUM_CLASSES).to(device)
    targets, head_outputs = make_inputs(args.batch, device)
    anchors = torchvision_anchors(model, args.batch, device)
    tv_loss, tv_post = torchvision_side(model, anchors, args.batch)
    pz_loss, pz_post = paperzoo_side(anchors[0])
    check_agreement(targets, head_outputs, tv_loss, pz_loss, tv_post, pz_post)

    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "CPU"
    print(f"SSD300, batch {args.batch}, 8732 boxes, {NUM_CLASSES} classes, {args.repeats} alternating runs")
    print(f"device: {name}, torch {torch.__version__}, threads {torch.get_num_threads()}")
    with torch.no_grad():
        if "loss" in args.parts:
            compare(
                "matching + loss",
                lambda: pz_loss(targets, head_outputs),
                lambda: tv_loss(targets, head_outputs),
                args.repeats,
                device,
            )
            # The floor both sides share: the log-softmax over all B·A·C logits (torchvision's
            # F.cross_entropy runs it, then a gather; paperzoo runs it once for mining and loss).
            logits = head_outputs["cls_logits"]
            floor = statistics.median(
                timed(lambda: F.log_softmax(logits, dim=-1), device) for _ in range(args.repeats)
            )
            print(f"{'  of which log-softmax':<28} (the same call on both sides) {floor * 1e3:9.1f} ms")
        if "post" in args.parts:
            compare(
                "post-processing",
                lambda: pz_post(head_outputs),
                lambda: tv_post(head_outputs),
                args.repeats,
                device,
            )
        if "nms" in args.parts:
            compare_nms(args.batch, args.repeats, device)


if __name__ == "__main__":
    main()
