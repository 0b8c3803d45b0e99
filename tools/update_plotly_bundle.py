"""Vendor plotly.js's basic partial bundle at the version the plotly Python package embeds.

    .venv/bin/python tools/update_plotly_bundle.py [--version X.Y.Z]

The site's figure pages load `plotly.js-basic-dist-min` (trace types scatter, bar and pie; about a quarter
of the full bundle), vendored in `tools/site/paperzoo_site/vendor/` because the plotly Python package ships only
the full bundle. Run this after bumping plotly in `requirements/constraints.txt`: it fetches the npm
package of the same plotly.js version (`plotly.offline.get_plotlyjs_version()`) with `npm pack`,
checks that it is that version, and replaces the bundle, its LICENSE and `manifest.json` (package,
version, file, SHA-256, trace types, the registry's tarball integrity). The site hook
(`tools/site/paperzoo_site/plotly_asset.py`) refuses to build when the manifest and the plotly package disagree.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "plotly.js-basic-dist-min"
BUNDLE_IN_PACKAGE = "package/plotly-basic.min.js"
VENDOR = Path(__file__).resolve().parent / "site" / "paperzoo_site" / "vendor"
# The package README's one line naming its traces: "Contains trace modules `bar`, `pie` and `scatter`."
TRACES_LINE = re.compile(r"^Contains trace modules (?P<names>.+)\.$", re.MULTILINE)


def npm_pack(version: str, directory: Path) -> tuple[Path, str]:
    """Download the package tarball with npm; return its path and the registry's integrity string."""
    result = subprocess.run(
        ["npm", "pack", f"{PACKAGE}@{version}", "--json"], cwd=directory, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"npm pack {PACKAGE}@{version} failed:\n{result.stderr}")
    (packed,) = json.loads(result.stdout)
    return directory / packed["filename"], packed["integrity"]


def read_package(tarball: Path, version: str) -> dict[str, bytes]:
    """The files of the tarball that are vendored, checked to be `version` of `PACKAGE`."""
    with tarfile.open(tarball) as archive:
        names = ("package/package.json", "package/LICENSE", "package/README.md", BUNDLE_IN_PACKAGE)
        members = {name: archive.extractfile(name).read() for name in names}
    metadata = json.loads(members["package/package.json"])
    if (metadata["name"], metadata["version"]) != (PACKAGE, version):
        raise SystemExit(
            f"npm returned {metadata['name']}@{metadata['version']}, expected {PACKAGE}@{version}"
        )
    header = members[BUNDLE_IN_PACKAGE][:200].decode("utf-8")
    if f"plotly.js (basic - minified) v{version}\n" not in header:
        raise SystemExit(f"{BUNDLE_IN_PACKAGE} does not announce plotly.js v{version}: {header!r}")
    return members


def trace_types(readme: str) -> list[str]:
    found = TRACES_LINE.search(readme)
    if found is None:
        raise SystemExit(
            f"the {PACKAGE} README no longer lists its trace modules; read it and update TRACES_LINE"
        )
    return sorted(re.findall(r"`([a-z0-9]+)`", found["names"]))


def vendor(version: str, members: dict[str, bytes], integrity: str) -> Path:
    """Replace the vendored bundle, LICENSE and manifest; return the manifest's path."""
    bundle = members[BUNDLE_IN_PACKAGE]
    file_name = f"plotly-basic-{version}.min.js"
    for old in VENDOR.glob("plotly-basic-*.min.js"):
        old.unlink()
    (VENDOR / file_name).write_bytes(bundle)
    (VENDOR / "LICENSE").write_bytes(members["package/LICENSE"])
    manifest = {
        "package": PACKAGE,
        "version": version,
        "file": file_name,
        "sha256": hashlib.sha256(bundle).hexdigest(),
        "traces": trace_types(members["package/README.md"].decode("utf-8")),
        "npm_integrity": integrity,
        "license": "MIT (LICENSE)",
    }
    path = VENDOR / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", help="plotly.js version (default: the one the plotly package embeds)")
    args = parser.parse_args()
    if args.version is None:
        import plotly.offline

        args.version = plotly.offline.get_plotlyjs_version()
    with tempfile.TemporaryDirectory() as tmp:
        tarball, integrity = npm_pack(args.version, Path(tmp))
        members = read_package(tarball, args.version)
    manifest = vendor(args.version, members, integrity)
    print(f"vendored {PACKAGE}@{args.version}: {manifest.read_text(encoding='utf-8')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
