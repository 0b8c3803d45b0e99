"""The distributions: sdist and wheel build offline, the wheel installs and imports, and holds only the package."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import paperzoo

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`python -m build` as CI runs it: the sdist, then the wheel built from that sdist."""
    out = tmp_path_factory.mktemp("dist")
    # --no-isolation: the build backend (hatchling) is already in this environment and no index is needed.
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO_ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    wheels, sdists = sorted(out.glob("*.whl")), sorted(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(out.iterdir())
    return {"wheel": wheels[0], "sdist": sdists[0]}


def test_distributions_are_named_after_the_version(dists: dict[str, Path]):
    assert dists["wheel"].name == f"paperzoo-{paperzoo.__version__}-py3-none-any.whl"
    assert dists["sdist"].name == f"paperzoo-{paperzoo.__version__}.tar.gz"


def test_wheel_holds_only_the_package(dists: dict[str, Path]):
    names = zipfile.ZipFile(dists["wheel"]).namelist()
    dist_info = f"paperzoo-{paperzoo.__version__}.dist-info/"
    strays = [name for name in names if not name.startswith(("paperzoo/", dist_info))]
    assert not strays, f"files outside the package: {strays}"
    # The docs site's build machinery (tools/site/paperzoo_site) stays out of the installed package.
    assert not [name for name in names if "paperzoo_site" in name or name.startswith("tools/")]
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    assert "paperzoo/py.typed" in names
    assert "paperzoo/__init__.py" in names
    assert f"{dist_info}licenses/LICENSE" in names


def test_wheel_declares_the_console_script_and_metadata(dists: dict[str, Path]):
    wheel = zipfile.ZipFile(dists["wheel"])
    dist_info = f"paperzoo-{paperzoo.__version__}.dist-info/"
    entry_points = wheel.read(f"{dist_info}entry_points.txt").decode()
    assert "[console_scripts]" in entry_points
    assert "paperzoo = paperzoo.cli:main" in entry_points
    metadata = wheel.read(f"{dist_info}METADATA").decode()
    assert "Requires-Python: >=3.10" in metadata
    requirements = [line.split(":", 1)[1].strip() for line in metadata.splitlines()
                    if line.startswith("Requires-Dist:") and "extra ==" not in line]
    # Runtime dependencies stay small; docs and test tools are extras. Pillow reads images,
    # safetensors reads published weights (timm's).
    assert sorted(req.split(">")[0].split("=")[0].split("<")[0] for req in requirements) == [
        "pillow", "safetensors", "torch", "torchvision", "tqdm"
    ]


def test_sdist_has_the_sources_and_no_build_junk(dists: dict[str, Path]):
    with tarfile.open(dists["sdist"]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    for required in ("pyproject.toml", "README.md", "LICENSE", "paperzoo/__init__.py", "paperzoo/py.typed"):
        assert required in names
    junk = [name for name in names if name.split("/")[0] in {".venv", "site", "dist", "build", ".git"}
            or "__pycache__" in name]
    assert not junk, junk


def test_the_sdist_holds_only_tests_that_pass_from_it(dists: dict[str, Path], tmp_path: Path):
    with tarfile.open(dists["sdist"]) as sdist:
        sdist.extractall(tmp_path, filter="data")
    (root,) = tmp_path.iterdir()
    assert not (root / "tests" / "site").exists() and (root / "tests" / "models").is_dir()
    # PYTHONPATH leads, so `paperzoo` comes from the unpacked sdist, not from this checkout.
    env = {**os.environ, "PYTHONPATH": str(root)}
    probe = subprocess.run([sys.executable, "-c", "import paperzoo; print(paperzoo.__file__)"], cwd=root,
                           env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert Path(probe.stdout.strip()).is_relative_to(root), probe.stdout + probe.stderr
    # The fast tests; the slow ones (training runs, full-size models) are the repository's CI's.
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-m", "not slow", "-p", "no:cacheprovider"],
        cwd=root, env=env, capture_output=True, text=True, timeout=2400,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert " passed" in run.stdout.splitlines()[-1] and " failed" not in run.stdout.splitlines()[-1]


def test_wheel_installs_and_imports_from_a_target_folder(dists: dict[str, Path], tmp_path: Path):
    target = tmp_path / "target"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--disable-pip-version-check",
         "--quiet", "--target", str(target), str(dists["wheel"])],
        capture_output=True, text=True, timeout=120,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    # cwd is the empty tmp folder and PYTHONPATH leads, so the import cannot come from the repository.
    env = {**os.environ, "PYTHONPATH": str(target)}
    probe = subprocess.run(
        [sys.executable, "-c", "import paperzoo; print(paperzoo.__version__); print(paperzoo.__file__)"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120,
    )
    assert probe.returncode == 0, probe.stderr
    version, location = probe.stdout.split()
    assert version == paperzoo.__version__
    assert Path(location).is_relative_to(target)
    script = subprocess.run([str(target / "bin" / "paperzoo"), "--version"], capture_output=True, text=True,
                            cwd=tmp_path, env=env, timeout=120)
    assert script.returncode == 0, script.stderr
    assert script.stdout.strip() == f"paperzoo {paperzoo.__version__}"
