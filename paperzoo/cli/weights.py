"""`paperzoo weights [MODEL]`: the published weights paperzoo can load, with their source and metrics."""

from __future__ import annotations

import argparse
import json

from paperzoo.weights import list_weights

NAME = "weights"
HELP = "List the published weights each model can load: tag, size, the publisher's metrics, licence."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", nargs="?", help="only this model's weights (default: all)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON (every field)")


def run(args: argparse.Namespace) -> int:
    entries = list_weights(args.model)
    if args.json:
        rows = [
            {
                "model": w.model, "tag": w.tag, "part": w.part, "default": w.default, "url": w.url,
                "sha256": w.sha256, "file_size_mb": w.file_size_mb, "num_params": w.num_params,
                "metrics": dict(w.metrics), "metrics_source": w.metrics_source, "publisher": w.publisher,
                "licence": w.licence, "notes": w.notes,
            }
            for w in entries
        ]  # fmt: skip
        print(json.dumps(rows, indent=2))
        return 0
    if not entries:
        print(f"{args.model} has no published weights yet (train it: `paperzoo train --model {args.model}`)")
        return 0
    print(f"{'model':<22} {'weights':<32} {'MB':>6} {'params':>11}  publisher's metrics")
    for w in entries:
        tag = f"{'' if w.part == 'model' else 'backbone:'}{w.tag}{'*' if w.default else ''}"
        size = f"{w.file_size_mb:.1f}" if w.file_size_mb is not None else "?"
        metrics = ", ".join(f"{key} {value:g}" for key, value in w.metrics.items()) or "-"
        print(f"{w.model:<22} {tag:<32} {size:>6} {w.num_params:>11,}  {metrics}")
    print("* default (pretrained=True). Load with paperzoo.create_model(NAME, weights=TAG) or "
          "backbone_weights=TAG; `paperzoo weights --json` gives URLs, hashes, sources and licences.")  # fmt: skip
    return 0
