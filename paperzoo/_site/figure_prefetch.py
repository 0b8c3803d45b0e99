"""MkDocs hook: build the pages' figures in a second process while MkDocs renders the other pages.

A cold build spends about a third of its time building figures (models counted on the `meta` device,
datasets drawn, Plotly JSON written), all in one Python process that MkDocs keeps busy with Markdown
and templates. On `on_files`, this hook finds the `plotly` fences in the documentation, starts one
worker process (`spawn`: no forked copy of a half-initialised MkDocs or of torch's thread pools) that
builds those figures with the same `render_figure` the fence uses, and moves the pages with figures to
the end of the build order, so the worker has the time of the other pages to finish. The fence then
takes the worker's HTML (`plotly_fence.figure_html`); a figure that fails in the worker raises
there, and fails the build, as if it had been built in place.

Nothing is started when every figure was already handed to a worker in this process (`mkdocs serve`
rebuilds, and the Chinese build that `mkdocs-static-i18n` runs inside the English one), or when
`PAPERZOO_FIGURE_WORKERS=0` (figures are then built in place). Listed under `hooks:` in
`mkdocs.yml`.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files

from paperzoo._site import plotly_fence

__all__ = ["FENCE", "figure_targets"]

FENCE = re.compile(r"^[ \t]*```plotly[ \t]*\n\s*(\S+)\s*\n[ \t]*```", re.MULTILINE)


def figure_targets(markdown: str) -> list[str]:
    """The figure paths of the `plotly` fences in `markdown`, in page order."""
    return FENCE.findall(markdown)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    pages = [file for file in files.documentation_pages() if file.abs_src_path]
    targets = {file.src_uri: figure_targets(Path(file.abs_src_path).read_text(encoding="utf-8")) for file in pages}
    wanted = list(dict.fromkeys(target for page in targets.values() for target in page))
    pending = [target for target in wanted if not plotly_fence.is_expected(target)]
    if pending and os.environ.get("PAPERZOO_FIGURE_WORKERS", "1") != "0":
        # One worker: the machine's other core is MkDocs's; shutdown(wait=False) lets it finish the queue.
        worker = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        for target in pending:
            plotly_fence.expect(target, worker.submit(plotly_fence.render_figure, target))
        worker.shutdown(wait=False)
    # Stable sort: pages without figures first, in their own order (the nav is set in mkdocs.yml).
    return Files(sorted(files, key=lambda file: bool(targets.get(file.src_uri))))
