"""Site build and page budgets (issue 8): build time, rebuild time, page sizes, time to interactive.

    .venv/bin/python benchmarks/site_budgets.py [--runs N] [--write-docs]

Measures, on this machine:

1. the cold `mkdocs build --strict` of the whole site, figures included, in a fresh process (budget 20 s);
2. the warm rebuild in `mkdocs serve` (127.0.0.1) after one page is edited: the time from the edit until
   the served HTML of that page changes (budget 3 s), as `make serve` runs it (`SERVE_FLAGS` from the
   Makefile: `--dirty`, only the edited pages are rebuilt) for a text page and for a page with figures
   and API blocks, and, for reference, full rebuilds (`SERVE_FLAGS=`) of both languages and of English
   only (`make preview`); the edits go to a temporary copy of `docs/`;
3. the size of every built HTML page (budget 400 KB each) and that plotly.js is loaded exactly on the
   pages with figures;
4. in Chromium, the time from navigation to the first `plotly_afterplot` of each figure page (budget 1 s),
   with the site served by a local `http.server`: with the plotly.js bundle the page loads (the basic
   partial bundle where its figures allow, see `tools/site/paperzoo_site/plotly_asset.py`) and, for reference, with
   the plotly package's full bundle served in its place; and the floor under it, each bundle run alone
   on an empty page.

Prints medians over `--runs` runs and, with `--write-docs`, rewrites the "Site build and page budgets"
section of `docs/benchmarks.md` (only that section).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import platform
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MARKER = 'class="paperzoo-figure"'
PLOTLY_TAG = re.compile(r'<script src="[^"]*(assets/javascripts/plotly[^"/]*\.js)"')  # a plotly.js bundle
TEXT_PAGE = "object-detection/index.md"
API_PAGE = "object-detection/ssd.md"  # figures, claims and mkdocstrings blocks
SECTION = "## Site build and page budgets"
BUDGETS = {"cold_build_s": 20.0, "warm_rebuild_s": 3.0, "page_kb": 400.0, "interactive_ms": 1000.0}  # issue 8
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def site_copy(root: Path) -> Path:
    """A throw-away copy of the repository for `mkdocs serve`: `docs/` and the top-level files are
    copied (snippets include e.g. CHANGELOG.md), the other folders are linked."""
    for entry in REPO.iterdir():
        if entry.name in {".git", ".venv", "site"}:
            continue
        if entry.name == "docs":
            shutil.copytree(entry, root / entry.name)
        elif entry.is_dir():
            (root / entry.name).symlink_to(entry)
        else:
            shutil.copy2(entry, root / entry.name)
    return root


def cold_build(site_dir: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one strict build in a fresh process. The CPU time (user + system
    of the build process) is what the build costs on an idle machine; the wall time also counts waiting
    for a CPU on a shared one."""
    shutil.rmtree(site_dir, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=REPO,
        env=ENV,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"mkdocs build --strict failed:\n{result.stdout}{result.stderr}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8")
    except OSError:
        return None


def make_serve_flags() -> list[str]:
    """The `mkdocs serve` flags `make serve` passes (`SERVE_FLAGS ?= ...` in the Makefile)."""
    found = re.search(r"^SERVE_FLAGS \?=(.*)$", (REPO / "Makefile").read_text(encoding="utf-8"), re.MULTILINE)
    if found is None:
        raise SystemExit("no `SERVE_FLAGS ?=` line in the Makefile")
    return found.group(1).split()


def _page_url(base: str, page: str) -> str:
    return base + page.removesuffix(".md").removesuffix("index") + ("" if page.endswith("index.md") else "/")


def warm_rebuilds(
    runs: int, pages: list[str], flags: list[str], locale: str | None = None
) -> dict[str, list[float]]:
    """Per page, seconds from editing it to the served page showing the edit, in one `mkdocs serve`
    session started with `flags`, of both languages or of `locale` only (`make preview` sets
    `PAPERZOO_LOCALE`); the pages are edited in turn, `runs` times each."""
    with tempfile.TemporaryDirectory() as tmp:
        root = site_copy(Path(tmp))
        port = _free_port()
        # `mkdocs serve` serves under site_url's path (e.g. /paperzoo/).
        site_url = re.search(r"^site_url:\s*(\S+)", (root / "mkdocs.yml").read_text(), re.MULTILINE)
        prefix = urllib.parse.urlsplit(site_url.group(1)).path if site_url else "/"
        base = f"http://127.0.0.1:{port}{prefix.rstrip('/')}/"
        env = {**ENV, "PAPERZOO_LOCALE": locale} if locale else ENV
        server = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "serve", "--dev-addr", f"127.0.0.1:{port}", *flags],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.perf_counter() + 600
            while _get(_page_url(base, pages[0])) is None:
                if server.poll() is not None or time.perf_counter() > deadline:
                    raise SystemExit(f"mkdocs serve {' '.join(flags)} did not start")
                time.sleep(0.2)
            originals = {page: (root / "docs" / page).read_text(encoding="utf-8") for page in pages}
            times: dict[str, list[float]] = {page: [] for page in pages}
            for run in range(runs):
                for page in pages:
                    token = f"paperzoo-rebuild-{run}-{time.time_ns()}"
                    time.sleep(1.0)  # let the watcher settle after the previous build
                    start = time.perf_counter()
                    (root / "docs" / page).write_text(
                        f"{originals[page]}\n<!-- {token} -->\n", encoding="utf-8"
                    )
                    while token not in (_get(_page_url(base, page)) or ""):
                        if time.perf_counter() - start > 120:
                            raise SystemExit(f"{page} was not rebuilt within 120 s")
                        time.sleep(0.05)
                    times[page].append(time.perf_counter() - start)
            return times
        finally:
            server.terminate()
            server.wait(timeout=30)


def page_sizes(site_dir: Path) -> dict[str, object]:
    pages = {str(p.relative_to(site_dir)): p for p in sorted(site_dir.rglob("*.html"))}
    sizes = {name: path.stat().st_size for name, path in pages.items()}
    texts = {name: path.read_text(encoding="utf-8") for name, path in pages.items()}
    figure_pages = sorted(name for name, text in texts.items() if MARKER in text)
    loading = sorted(name for name, text in texts.items() if PLOTLY_TAG.search(text))
    largest = max(sizes, key=sizes.get)
    return {
        "pages": len(sizes),
        "largest": (largest, sizes[largest]),
        "figure_pages": {name: (sizes[name], texts[name].count(MARKER)) for name in figure_pages},
        "plotly_only_on_figure_pages": figure_pages == loading,
        "plotly_js_files": sorted(str(p.relative_to(site_dir)) for p in site_dir.rglob("plotly*.js")),
        "plotly_bundles_loaded": sorted({uri for text in texts.values() for uri in PLOTLY_TAG.findall(text)}),
        "site_mb": sum(p.stat().st_size for p in site_dir.rglob("*") if p.is_file()) / 1e6,
    }


# Records, per page, when plotly.js has run (it sets `window.Plotly`) and when the first figure fires
# `plotly_afterplot` (ms since navigation start).
_AFTERPLOT_PROBE = """
(() => {
  let plotly;
  Object.defineProperty(window, "Plotly", {
    configurable: true,
    get() { return plotly; },
    set(value) {
      plotly = value;
      if (window.__plotlyReady === undefined) { window.__plotlyReady = performance.now(); }
      const newPlot = value.newPlot;
      value.newPlot = function (id, ...rest) {
        const result = newPlot.call(this, id, ...rest);
        const gd = typeof id === "string" ? document.getElementById(id) : id;
        gd.on("plotly_afterplot", () => {
          if (window.__firstAfterplot === undefined) { window.__firstAfterplot = performance.now(); }
        });
        return result;
      };
    },
  });
})();
"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site quietly; `substitutes` maps URL paths to files served in their place."""

    def __init__(self, *args: object, substitutes: dict[str, str], **kwargs: object) -> None:
        self.substitutes = substitutes  # set first: the base class handles the request in __init__
        super().__init__(*args, **kwargs)

    def translate_path(self, path: str) -> str:
        return self.substitutes.get(urllib.parse.urlsplit(path).path) or super().translate_path(path)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


def _plotly_js_alone(browser, base: str, uri: str) -> float:
    """Milliseconds to fetch, compile and run the plotly.js bundle at `uri` on an empty page: the floor
    under the time to first plot of a figure page that loads it, on this machine."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(base + "404.html", wait_until="load")
    elapsed = page.evaluate(
        """async (src) => {
        const start = performance.now();
        await new Promise((resolve, reject) => {
            const script = Object.assign(document.createElement("script"), {src, onload: resolve, onerror: reject});
            document.head.appendChild(script);
        });
        return performance.now() - start;
    }""",
        base + uri,
    )
    context.close()
    return elapsed


def figure_build_cpu() -> tuple[float, int]:
    """CPU seconds to build every figure the docs embed, once each, in a fresh process (imports of
    torch and the models included), and the number of figures."""
    fence = re.compile(r"^```plotly[ \t]*\n\s*(\S+)\s*\n```", re.MULTILINE)
    targets = sorted(
        {t for md in (REPO / "docs").rglob("*.md") for t in fence.findall(md.read_text(encoding="utf-8"))}
    )
    code = (
        "import sys, time; from paperzoo_site.plotly_fence import render_figure; "
        "[render_figure(t) for t in sys.argv[1:]]; print(time.process_time())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *targets], cwd=REPO, env=ENV, capture_output=True, text=True, check=True
    )
    return float(result.stdout.strip().splitlines()[-1]), len(targets)


def _serve(site_dir: Path, substitutes: dict[str, str]) -> http.server.ThreadingHTTPServer:
    handler = functools.partial(_QuietHandler, directory=str(site_dir), substitutes=substitutes)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.handle_error = lambda request, client_address: None  # a closed context drops its transfers
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _first_afterplot(browser, url: str) -> tuple[float, float]:
    """(first `plotly_afterplot`, plotly.js ready), ms since navigation started."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(_AFTERPLOT_PROBE)
    page = context.new_page()
    page.goto(url, wait_until="load")
    page.wait_for_function("window.__firstAfterplot !== undefined", timeout=30_000)
    first, ready = page.evaluate("[window.__firstAfterplot, window.__plotlyReady]")
    context.close()
    return first, ready


def time_to_interactive(site_dir: Path, pages: list[str], bundles: list[str], runs: int) -> dict[str, dict]:
    """Milliseconds from navigation to the first `plotly_afterplot` of each figure page, with the bundles
    the pages load (`"site"`) and with the plotly package's full bundle served in their place
    (`"full bundle"`), alternating the two so both see the same machine load; when plotly.js had run on
    the pages as built (`"ready"`); and each bundle alone on an empty page (`"alone"`, keyed by a label)."""
    from playwright.sync_api import sync_playwright

    from paperzoo_site.plotly_asset import full_bundle

    full = full_bundle().source
    servers = {
        "site": _serve(site_dir, {}),
        "full bundle": _serve(site_dir, {f"/{uri}": str(full) for uri in bundles}),
    }
    bases = {key: f"http://127.0.0.1:{server.server_address[1]}/" for key, server in servers.items()}
    results: dict[str, dict] = {"site": {}, "full bundle": {}, "ready": {}, "alone": {}}
    alone = {
        f"`{Path(uri).name}` ({(site_dir / uri).stat().st_size / 1e6:.1f} MB)": (bases["site"], uri)
        for uri in bundles
    }
    alone[f"the full `plotly.min.js` ({full.stat().st_size / 1e6:.1f} MB)"] = (
        bases["full bundle"],
        bundles[0],
    )
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name in pages:
                for run in range(runs + 1):  # the first round warms the HTTP and disk caches
                    for key, base in bases.items():
                        first, ready = _first_afterplot(browser, base + name.removesuffix("index.html"))
                        if run:
                            results[key].setdefault(name, []).append(first)
                            if key == "site":
                                results["ready"].setdefault(name, []).append(ready)
            for _ in range(runs):
                for label, (base, uri) in alone.items():
                    results["alone"].setdefault(label, []).append(_plotly_js_alone(browser, base, uri))
            browser.close()
    finally:
        for server in servers.values():
            server.shutdown()
    return results


def machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        model = found.group(1).strip() if found else model
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def markdown_section(results: dict[str, object]) -> str:
    sizes = results["sizes"]
    largest_name, largest_bytes = sizes["largest"]
    one_copy_each = sizes["plotly_js_files"] == sizes["plotly_bundles_loaded"]
    floors = [f"{label} {statistics.median(t):.0f} ms" for label, t in results["tti"]["alone"].items()]
    rows = [
        "| Budget | Limit | Measured (median) | |",
        "|---|---|---|---|",
        f"| Cold `mkdocs build --strict`, figures included, wall clock (load average {results['load']:.1f} on "
        f"{os.cpu_count()} cores) | ≤ {BUDGETS['cold_build_s']:g} s | {results['cold_s']:.1f} s ({results['cold_runs']} runs) | "
        f"{'✓' if results['cold_s'] <= BUDGETS['cold_build_s'] else '✗'} |",
        f"| Same build, CPU time (user + system) of MkDocs and its figure worker | – | "
        f"{results['cold_cpu_s']:.1f} s | |",
        *(
            f"| Warm rebuild in `make serve` (`mkdocs serve {' '.join(results['serve_flags'])}`, both languages) "
            f"after editing {what} | ≤ {BUDGETS['warm_rebuild_s']:g} s | {results['warm'][page]:.1f} s "
            f"({results['warm_runs']} edits) | {'✓' if results['warm'][page] <= BUDGETS['warm_rebuild_s'] else '✗'} |"
            for page, what in (
                (TEXT_PAGE, f"a text page (`{TEXT_PAGE}`)"),
                (API_PAGE, f"a page with figures and API blocks (`{API_PAGE}`)"),
            )
        ),
        f"| For reference: full rebuild of the site on every edit (`make serve SERVE_FLAGS=`), text page | – | "
        f"{results['full']:.1f} s | |",
        f"| Same, one language (`make preview SERVE_FLAGS=`, English) | – | {results['full_en']:.1f} s | |",
        f"| Largest HTML page (`{largest_name}`) | ≤ {BUDGETS['page_kb']:g} KB | {largest_bytes / 1e3:.0f} KB | "
        f"{'✓' if largest_bytes <= BUDGETS['page_kb'] * 1e3 else '✗'} |",
        f"| plotly.js only on pages with figures, one copy of each bundle they load "
        f"(`{', '.join(sizes['plotly_js_files'])}`) | yes | "
        f"{'yes' if sizes['plotly_only_on_figure_pages'] else 'no'} | "
        f"{'✓' if sizes['plotly_only_on_figure_pages'] and one_copy_each else '✗'} |",
        f"| Navigation to first `plotly_afterplot`, slowest figure page (load average {results['tti_load']:.1f} "
        f"before Chromium ran) | ≤ {BUDGETS['interactive_ms'] / 1000:g} s | {results['interactive_ms']:.0f} ms | "
        f"{'✓' if results['interactive_ms'] <= BUDGETS['interactive_ms'] else '✗'} |",
        "",
        f"Of the build's CPU time, building the {results['figures']} figures (in a fresh process, imports "
        f"of torch and the models included) takes {results['figure_cpu_s']:.1f} s.",
        "",
        "A figure page loads the smallest plotly.js bundle that draws every trace type of its figures "
        "(`tools/site/paperzoo_site/plotly_asset.py`): plotly.js's basic partial bundle (scatter, bar and pie traces, "
        "vendored from npm at the plotly.js version the plotly Python package embeds) when it can, the full "
        "bundle the plotly package ships otherwise (a figure with, say, a heatmap works, only slower). "
        "Every figure today is scatter and bar. On this machine, fetching and running a bundle alone on an "
        f"empty page, the floor under a figure page's time to first plot, takes: {'; '.join(floors)}. The "
        "last column below is, for reference, the same page with the full bundle served in place of the one "
        'it loads, measured alternately with it. "plotly.js ready" is when the page\'s bundle had run (it '
        "sets `window.Plotly`; the parser reaches it after the stylesheets and the header); the rest, up to "
        "the first `plotly_afterplot`, is the first figure's `Plotly.newPlot`, which on any page includes "
        "V8 compiling, on first use, the plotly.js functions a plot runs: the first plot of a page costs "
        "two to three times what the same figure costs when drawn second.",
    ]
    figure_rows = [
        "| Figure page | Figures | HTML | plotly.js ready (median) | First `plotly_afterplot` (median) "
        "| With the full bundle |",
        "|---|---|---|---|---|---|",
    ]
    for name, (size, count) in sizes["figure_pages"].items():
        medians = [results["tti"][key].get(name) for key in ("ready", "site", "full bundle")]
        cells = [f"{statistics.median(t):.0f} ms" if t else "–" for t in medians]
        figure_rows.append(f"| `{name}` | {count} | {size / 1e3:.0f} KB | {' | '.join(cells)} |")
    return "\n".join(
        [
            SECTION,
            "",
            f"Measured by `benchmarks/site_budgets.py` on {results['machine']} ({results['date']}), "
            f"{sizes['pages']} HTML pages, {sizes['site_mb']:.1f} MB in all. Chromium is Debian's "
            "`/usr/bin/chromium`, headless, on a site served from 127.0.0.1.",
            "",
            *rows,
            "",
            *figure_rows,
            "",
        ]
    )


def write_docs(section: str) -> None:
    path = REPO / "docs" / "benchmarks.md"
    text = path.read_text(encoding="utf-8")
    start = text.index(SECTION)
    following = text.find("\n## ", start + len(SECTION))
    end = len(text) if following == -1 else following + 1
    path.write_text(text[:start] + section + ("\n" + text[end:] if following != -1 else ""), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each measurement (median reported)")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md's section")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site_dir = Path(tmp) / "site"
        builds = [cold_build(site_dir) for _ in range(args.runs)]
        cold, cold_cpu = [wall for wall, _ in builds], [cpu for _, cpu in builds]
        print(
            f"cold build --strict: median {statistics.median(cold):.1f} s wall, "
            f"{statistics.median(cold_cpu):.1f} s CPU ({', '.join(f'{w:.1f}/{c:.1f}' for w, c in builds)})"
        )
        sizes = page_sizes(site_dir)
        name, size = sizes["largest"]
        print(
            f"pages: {sizes['pages']}, largest {name} {size / 1e3:.0f} KB; plotly.js only on figure pages: "
            f"{sizes['plotly_only_on_figure_pages']}; copies: {sizes['plotly_js_files']}"
        )
        tti_load = os.getloadavg()[0]
        print(f"load average before the browser runs: {tti_load:.1f}")
        tti = time_to_interactive(
            site_dir, list(sizes["figure_pages"]), sizes["plotly_bundles_loaded"], args.runs
        )
        for key, times_by_name in tti.items():
            for name, times in times_by_name.items():
                what = {"alone": f"plotly.js alone, {name}", "ready": f"plotly.js ready, {name}"}.get(
                    key, f"first plotly_afterplot ({key}), {name}"
                )
                each = ", ".join(f"{t:.0f}" for t in times)
                print(f"{what}: median {statistics.median(times):.0f} ms ({each})")
    figure_cpu, figure_count = figure_build_cpu()
    print(f"building the {figure_count} figures: {figure_cpu:.1f} s CPU")
    flags = make_serve_flags()
    warm = warm_rebuilds(args.runs, [TEXT_PAGE, API_PAGE], flags)
    full = warm_rebuilds(args.runs, [TEXT_PAGE], [])[TEXT_PAGE]
    full_en = warm_rebuilds(args.runs, [TEXT_PAGE], [], locale="en")[TEXT_PAGE]
    for label, times in (
        *((f"make serve ({' '.join(flags)}), {page}", t) for page, t in warm.items()),
        ("full rebuild, both languages", full),
        ("full rebuild, English only", full_en),
    ):
        print(
            f"warm rebuild in mkdocs serve, {label}: median {statistics.median(times):.2f} s "
            f"({', '.join(f'{t:.2f}' for t in times)})"
        )
    results = {
        "cold_s": statistics.median(cold),
        "cold_cpu_s": statistics.median(cold_cpu),
        "cold_runs": len(cold),
        "load": os.getloadavg()[0],
        "warm": {page: statistics.median(times) for page, times in warm.items()},
        "warm_runs": args.runs,
        "serve_flags": flags,
        "full": statistics.median(full),
        "full_en": statistics.median(full_en),
        "sizes": sizes,
        "tti": tti,
        "tti_load": tti_load,
        "interactive_ms": max((statistics.median(t) for t in tti["site"].values()), default=float("nan")),
        "figure_cpu_s": figure_cpu,
        "figures": figure_count,
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d"),
    }
    if args.write_docs:
        write_docs(markdown_section(results))
        print("wrote the 'Site build and page budgets' section of docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
