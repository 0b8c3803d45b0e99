"""The distributions: sdist and wheel build offline, the wheel installs and imports, and holds only the package."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import torch
import torchvision
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from PIL import Image

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
        capture_output=True,
        text=True,
        timeout=300,
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
    requirements = [
        line.split(":", 1)[1].strip()
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    ]
    # Runtime dependencies stay small; docs and test tools are extras. Pillow reads images,
    # safetensors reads published weights (timm's).
    assert sorted(req.split(">")[0].split("=")[0].split("<")[0] for req in requirements) == [
        "pillow",
        "safetensors",
        "torch",
        "torchvision",
        "tqdm",
    ]


def test_sdist_has_the_sources_and_no_build_junk(dists: dict[str, Path]):
    with tarfile.open(dists["sdist"]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    for required in ("pyproject.toml", "README.md", "LICENSE", "paperzoo/__init__.py", "paperzoo/py.typed"):
        assert required in names
    junk = [
        name
        for name in names
        if name.split("/")[0] in {".venv", "site", "dist", "build", ".git"} or "__pycache__" in name
    ]
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
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--disable-pip-version-check",
            "--quiet",
            "--target",
            str(target),
            str(dists["wheel"]),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    # cwd is the empty tmp folder and PYTHONPATH leads, so the import cannot come from the repository.
    env = {**os.environ, "PYTHONPATH": str(target)}
    probe = subprocess.run(
        [sys.executable, "-c", "import paperzoo; print(paperzoo.__version__); print(paperzoo.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert probe.returncode == 0, probe.stderr
    version, location = probe.stdout.split()
    assert version == paperzoo.__version__
    assert Path(location).is_relative_to(target)
    script = subprocess.run(
        [str(target / "bin" / "paperzoo"), "--version"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert script.returncode == 0, script.stderr
    assert script.stdout.strip() == f"paperzoo {paperzoo.__version__}"


def _runtime_closure(names: list[str]) -> list[importlib.metadata.Distribution]:
    """The installed distributions `names` need at run time: theirs and their dependencies', no extras."""
    seen: dict[str, importlib.metadata.Distribution] = {}
    todo = list(names)
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        seen[name] = dist = importlib.metadata.distribution(name)
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return list(seen.values())


@pytest.fixture(scope="module")
def plain_install(dists: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment holding the wheel and only its declared runtime dependencies.

    The dependencies are this environment's own files (no download), linked into one folder the new
    environment reads through a `.pth` file; everything else installed here (pycocotools, onnx, plotly,
    pytest) is absent there, as after `pip install paperzoo`.
    """
    root = tmp_path_factory.mktemp("plain")
    metadata = zipfile.ZipFile(dists["wheel"]).read(f"paperzoo-{paperzoo.__version__}.dist-info/METADATA")
    declared = [Requirement(line.split(":", 1)[1]).name for line in metadata.decode().splitlines()
                if line.startswith("Requires-Dist:") and "extra ==" not in line]  # fmt: skip
    deps = root / "deps"
    deps.mkdir()
    for dist in _runtime_closure(declared):
        for top in {Path(str(file)).parts[0] for file in dist.files or [] if not str(file).startswith("..")}:
            source = Path(dist.locate_file(top))
            if source.exists() and not (deps / top).exists() and top not in ("__pycache__", "bin"):
                (deps / top).symlink_to(source)
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(root / "env")], check=True, timeout=120
    )
    (site_packages,) = (root / "env" / "lib").glob("python3*/site-packages")
    (site_packages / "runtime-deps.pth").write_text(f"{deps}\n")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(root / "env" / "bin" / "python"), "install", "--no-deps",
         "--no-index", "--disable-pip-version-check", "--quiet", str(dists["wheel"])],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert install.returncode == 0, install.stdout + install.stderr
    return root / "env"


def _plain(env: Path, *argv: str, cwd: Path, code: str | None = None) -> subprocess.CompletedProcess:
    command = (
        [str(env / "bin" / "python"), "-c", code, *argv] if code else [str(env / "bin" / "paperzoo"), *argv]
    )
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=900,
                          env={**os.environ, "PYTHONPATH": "", "TQDM_DISABLE": "1"})  # fmt: skip


# ssd300_vgg16.COCO_V1 from a local file of torchvision's format, its own hash standing in for the
# published one (which only the real 136 MB file has).
_DETECT_WITH_LOCAL_WEIGHTS = """
import dataclasses, sys
import paperzoo.weights, paperzoo.weights.catalog as catalog
from paperzoo.cli import main
from paperzoo.weights.download import sha256_of
entry = catalog.get_weights("ssd300_vgg16", "COCO_V1")
local = dataclasses.replace(entry, sha256=sha256_of(sys.argv[1]))
paperzoo.weights.get_weights = lambda model, tag, part="model": local
sys.exit(main(sys.argv[2:]))
"""


def test_every_command_works_after_a_plain_install(plain_install: Path, tmp_path: Path):
    def run(*argv: str, code: str | None = None) -> subprocess.CompletedProcess:
        return _plain(plain_install, *argv, cwd=tmp_path, code=code)

    extras = "('pycocotools', 'onnx', 'onnxruntime', 'plotly', 'pytest', 'timm')"
    probe = run(code=f"import importlib.util as u; print([m for m in {extras} if u.find_spec(m)])")
    assert probe.returncode == 0 and probe.stdout.strip() == "[]", probe.stdout + probe.stderr  # really plain
    assert run("--version").stdout.strip() == f"paperzoo {paperzoo.__version__}"
    assert "ssd300_vgg16" in run("list").stdout and "COCO_V1" in run("weights").stdout
    assert "params" in run("info", "mobilenet_v2", "--resolution", "64").stdout

    torch.manual_seed(0)
    weights_file = tmp_path / "ssd300_vgg16_coco-b556d3b4.pth"
    torch.save(
        torchvision.models.detection.ssd300_vgg16(weights=None, weights_backbone=None).state_dict(),
        weights_file,
    )
    Image.new("RGB", (96, 64), (120, 30, 200)).save(tmp_path / "photo.jpg")
    detect = run(str(weights_file), "detect", "photo.jpg", "--model", "ssd300_vgg16", "--weights", "COCO_V1",
                 "--weights-file", str(weights_file), "--score-threshold", "0", "-o", "out", code=_DETECT_WITH_LOCAL_WEIGHTS)  # fmt: skip
    assert detect.returncode == 0, detect.stderr
    assert len(json.loads((tmp_path / "out" / "photo.json").read_text())) > 0

    tiny = ["--num-train", "4", "--num-val", "2", "--image-size", "64", "--batch-size", "2", "--no-progress"]
    train = run("train", "--model", "ssdlite_mobilenet_v2", "--epochs", "1", "--out", "run", *tiny)
    assert train.returncode == 0, train.stderr
    # No pycocotools: the VOC metrics are computed, COCO's skipped with one line saying what to install.
    assert "voc_map=" in train.stdout and "coco_map" not in train.stdout
    assert "pip install 'paperzoo[coco]'" in train.stderr
    evaluate = run("eval", "--checkpoint", "run/checkpoint.pt", "--num-images", "2", "--json")
    assert evaluate.returncode == 0, evaluate.stderr
    assert 0 <= json.loads(evaluate.stdout)["voc_map"] <= 1

    export = run("export", "mobilenet_v2", "--out", "m.onnx")
    assert export.returncode == 2 and export.stderr == (
        "paperzoo export: error: ONNX export needs onnxscript, which is not installed: pip install 'paperzoo[deploy]'\n"
    )
    assert (
        run("export", "mobilenet_v2", "--format", "pt2", "--out", "m.pt2").returncode == 0
    )  # torch.export: core
    coco = run("train", "--data", f"coco:{tmp_path}", "--out", "run2", *tiny)
    assert coco.returncode == 2 and "pip install 'paperzoo[coco]'" in coco.stderr, coco.stderr
