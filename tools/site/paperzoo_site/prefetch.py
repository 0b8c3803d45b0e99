"""MkDocs hook: compute the figures (in a worker process) and the claims (here) before pages need them.

A cold build spends most of its time computing: figures (models counted on the `meta` device, datasets
drawn, Plotly JSON written) and the paper cards' claims (models built and counted), all in the one
Python process that MkDocs also keeps busy with Markdown and templates. On `on_files`, this hook finds
the `plotly` fences in the documentation and starts one worker, `python -m paperzoo_site.prefetch
PATH...`, that builds those figures with the same `render_figure` the fence uses; meanwhile this process
checks every claim of the cards (the results are cached, so the pages reuse them), and the pages with
figures are moved to the end of the build order. The fence then takes the worker's HTML
(`plotly_fence.figure_html`); a figure that failed in the worker raises there, with the worker's error,
and fails the build as if it had been built in place. A claim that fails here is left to fail where its
page is rendered, with the page named.

The worker is a plain subprocess rather than `multiprocessing`, whose `spawn` start method re-imports
the parent's `__main__` (a script that calls MkDocs' `build()` without a main guard would run twice)
and whose `fork` would copy a half-initialised MkDocs and torch's thread pools.

Both processes also keep CPython's cyclic garbage collector off what they imported: after torch and
the models are loaded, every full collection walks millions of long-lived objects (1.2 s of a cold
build here), and so does the last one when the interpreter exits (0.9 s after `import torch` alone,
which the build spent waiting for the worker and then again on its own exit). `gc.freeze()` moves the
objects alive after `on_files` out of the collector's sight; `on_post_build` gives them back (so a
`mkdocs serve` session still collects each build's garbage) and `on_shutdown` freezes everything again
before the exit.

Nothing is started when every figure was already handed to a worker in this process (`mkdocs serve`
rebuilds, and the Chinese build that `mkdocs-static-i18n` runs inside the English one), or when
`PAPERZOO_FIGURE_WORKERS=0` (figures and claims are then computed in place, when a page needs them).
Listed under `hooks:` in `mkdocs.yml`.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files

from paperzoo_site import cards, plotly_fence

__all__ = ["FENCE", "FigureWorker", "check_claims", "figure_targets"]

# MkDocs imports hooks by file path, under a name of its own; the worker runs this module by its real name.
WORKER_MODULE = "paperzoo_site.prefetch"
FENCE = re.compile(r"^[ \t]*```plotly[ \t]*\n\s*(\S+)\s*\n[ \t]*```", re.MULTILINE)


def figure_targets(markdown: str) -> list[str]:
    """The figure paths of the `plotly` fences in `markdown`, in page order."""
    return FENCE.findall(markdown)


class FigureWorker:
    """A subprocess that builds `targets` with `render_figure` and returns their HTML (or errors)."""

    def __init__(self, targets: list[str]) -> None:
        self.targets = list(targets)
        self.process = subprocess.Popen(
            [sys.executable, "-m", WORKER_MODULE, *self.targets],
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    @functools.cached_property
    def results(self) -> dict[str, dict[str, str]]:
        """Per path, `{"html": ...}` or `{"error": ...}`; waits for the worker."""
        output, _ = self.process.communicate()
        if self.process.returncode != 0:
            raise RuntimeError(
                f"the figure worker exited with status {self.process.returncode} (its errors are above)"
            )
        return json.loads(output)

    def html(self, target: str) -> str:
        """The HTML of `target`.

        Raises:
            RuntimeError: With the worker's error if the figure failed to build.
        """
        result = self.results[target]
        if "error" in result:
            raise RuntimeError(f"in the figure worker: {result['error']}")
        return result["html"]


def check_claims(cards_dir: Path) -> None:
    """Compute every claim of the cards in `cards_dir` once, filling the per-process cache."""
    if not cards_dir.is_dir():
        return
    for card in cards.load_cards(cards_dir).values():
        for claim in card["claims"]:
            # A failure is raised again, with its page named, when the page renders the claim.
            with contextlib.suppress(Exception):
                cards.check_claim(card["id"], claim)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    pages = [file for file in files.documentation_pages() if file.abs_src_path]
    targets = {
        file.src_uri: figure_targets(Path(file.abs_src_path).read_text(encoding="utf-8")) for file in pages
    }
    wanted = list(dict.fromkeys(target for page in targets.values() for target in page))
    pending = [target for target in wanted if not plotly_fence.is_expected(target)]
    if pending and os.environ.get("PAPERZOO_FIGURE_WORKERS", "1") != "0":
        worker = FigureWorker(pending)
        for target in pending:
            plotly_fence.expect(target, functools.partial(worker.html, target))
        check_claims(Path(config.docs_dir) / "_cards")
    gc.freeze()  # imports and computed claims live as long as the build (see the module docstring)
    # Stable sort: pages without figures first, in their own order (the nav is set in mkdocs.yml).
    return Files(sorted(files, key=lambda file: bool(targets.get(file.src_uri))))


def on_post_build(config: MkDocsConfig) -> None:
    gc.unfreeze()


def on_shutdown() -> None:
    gc.freeze()  # the process is ending: skip the final full collection


def _main(targets: list[str]) -> None:
    import torch

    torch.set_num_threads(1)  # the machine's other cores are MkDocs's
    gc.freeze()  # torch lives as long as this process
    results = {}
    with contextlib.redirect_stdout(sys.stderr):  # stdout carries the JSON only
        for target in targets:
            try:
                results[target] = {"html": plotly_fence.render_figure(target)}
            except Exception as exc:  # reported to the build, which raises it for the page
                results[target] = {"error": f"{type(exc).__name__}: {exc}"}
    json.dump(results, sys.stdout)
    gc.freeze()  # the build waits for this process to exit: skip the final full collection


if __name__ == "__main__":
    _main(sys.argv[1:])
