"""`paperzoo detect`: run a trained checkpoint on image files; write annotated images and JSON."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from paperzoo.cli.options import add_device_argument, resolve_device

NAME = "detect"
HELP = "Detect objects in images with a trained checkpoint; write annotated PNGs and detections.json."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("images", nargs="+", type=Path, metavar="IMAGE", help="image files")
    parser.add_argument("--model", help="model the checkpoint must belong to (default: the one it records)")
    parser.add_argument(
        "--checkpoint", type=Path, required=True, help="checkpoint.pt written by paperzoo train"
    )
    parser.add_argument("-o", "--out", type=Path, default=Path("detections"), help="output folder")
    parser.add_argument(
        "--score-thresh", type=float, default=0.5, help="keep detections above (default: 0.5)"
    )
    parser.add_argument("--batch-size", type=int, default=8, help="images per forward pass (default: 8)")
    add_device_argument(parser)


def run(args: argparse.Namespace) -> int:
    import torch
    from PIL import Image
    from torchvision.utils import draw_bounding_boxes

    from paperzoo.data.files import read_image
    from paperzoo.training import load_trained_model

    if not 0 <= args.score_thresh <= 1:
        raise ValueError(f"--score-thresh must be in [0, 1], got {args.score_thresh}")
    device = resolve_device(args.device)
    model, state = load_trained_model(args.checkpoint, args.model, device)
    classes = list(state.get("classes") or [])
    images = [read_image(path) for path in args.images]  # fails early, naming a bad file
    args.out.mkdir(parents=True, exist_ok=True)
    report = []
    for start in range(0, len(images), args.batch_size):
        batch = images[start : start + args.batch_size]
        with torch.inference_mode():
            outputs = model([image.to(device) for image in batch])
        for path, image, output in zip(args.images[start:], batch, outputs, strict=False):
            keep = output["scores"] >= args.score_thresh
            boxes, scores, labels = (
                output["boxes"][keep].cpu(),
                output["scores"][keep].cpu(),
                output["labels"][keep].cpu(),
            )
            names = [
                classes[label - 1] if 0 < label <= len(classes) else str(label) for label in labels.tolist()
            ]
            captions = [f"{name} {score:.2f}" for name, score in zip(names, scores.tolist(), strict=True)]
            drawn = draw_bounding_boxes((image * 255).to(torch.uint8), boxes, captions, width=2)
            target = args.out / f"{path.stem}.png"
            Image.fromarray(drawn.permute(1, 2, 0).numpy()).save(target)  # (3, H, W) -> (H, W, 3)
            report.append({
                "image": str(path), "annotated": str(target),
                "detections": [{"box": box, "score": score, "label": int(label), "class": name}
                               for box, score, label, name in zip(boxes.tolist(), scores.tolist(),
                                                                  labels.tolist(), names, strict=True)],
            })  # fmt: skip
    (args.out / "detections.json").write_text(json.dumps(report, indent=2))
    total = sum(len(r["detections"]) for r in report)
    print(f"{total} detections in {len(report)} images -> {args.out}/ (annotated PNGs, detections.json)")
    return 0
