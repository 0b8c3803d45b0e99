"""End-to-end eval-mode SSD300: paperzoo's `ssd300_vgg16` against torchvision's, same weights and images.

Both models hold the same random weights (torchvision's state dict converted with
`convert_torchvision_ssd300_state_dict`) and see the same list of images; the timed call is the whole
`model(images)`: resize, normalisation, VGG16, heads, decoding and NMS. Runs alternate between the two
models so that a busy machine slows both alike. Prints medians and the ratio torchvision / paperzoo
(> 1 means paperzoo is faster).

    python benchmarks/bench_ssd_e2e.py --batch 4 --repeats 7
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torchvision

from paperzoo.models.ssd import ssd300_vgg16
from paperzoo.weights.convert import convert_torchvision_ssd300_state_dict


def _time(model: torch.nn.Module, images: list[torch.Tensor]) -> float:
    if images[0].is_cuda:
        torch.cuda.synchronize()
    start = time.perf_counter()
    model(images)
    if images[0].is_cuda:
        torch.cuda.synchronize()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=4, help="images per call")
    parser.add_argument("--repeats", type=int, default=7, help="timed calls per model")
    parser.add_argument("--height", type=int, default=480, help="height of the input images")
    parser.add_argument("--width", type=int, default=640, help="width of the input images")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()

    torch.manual_seed(0)
    theirs = torchvision.models.detection.ssd300_vgg16(weights=None, weights_backbone=None, num_classes=91)
    # Same post-processing threshold work for both: random heads give many boxes above 0.01.
    ours = ssd300_vgg16(num_classes=91)
    ours.load_state_dict(convert_torchvision_ssd300_state_dict(theirs.state_dict()))
    ours_no_aa = ssd300_vgg16(num_classes=91, antialias=False)  # torchvision's detectors do not antialias
    ours_no_aa.load_state_dict(ours.state_dict())
    models = {"torchvision": theirs, "paperzoo": ours, "paperzoo (antialias=False)": ours_no_aa}
    for model in models.values():
        model.eval().to(args.device)

    images = [torch.rand(3, args.height, args.width, device=args.device) for _ in range(args.batch)]
    times: dict[str, list[float]] = {name: [] for name in models}
    with torch.inference_mode():
        for model in models.values():  # warm-up
            model(images)
        for _ in range(args.repeats):
            for name, model in models.items():
                times[name].append(_time(model, images))

    print(
        f"SSD300 eval forward, {args.batch} images of {args.height}x{args.width}, {args.device}, "
        f"{torch.get_num_threads()} threads, median of {args.repeats}"
    )
    base = statistics.median(times["torchvision"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:28s} {median * 1000:9.1f} ms   torchvision / this = {base / median:5.2f}")


if __name__ == "__main__":
    main()
