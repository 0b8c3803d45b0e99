"""`tools/new_paper.py` (`make new-paper`) scaffolds a page and a card that build strictly,
all at once or not at all."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from paperzoo_site import cards as cardlib
from paperzoo_site.scaffold import _nav_entry, scaffold_paper, slugify

ROOT = Path(__file__).resolve().parents[2]
NEW_PAPER = ROOT / "tools" / "new_paper.py"
FASTER_RCNN = "Faster R-CNN: Towards Real-Time Object Detection with Region Proposal Networks"


def _checkout(tmp_path: Path) -> Path:
    """A copy of what `mkdocs build` reads: docs/, mkdocs.yml and its files, the package as a link."""
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copy(ROOT / "CHANGELOG.md", tmp_path / "CHANGELOG.md")  # included by docs/changelog.md
    (tmp_path / "benchmarks" / "results").mkdir(parents=True)
    for table in ("deploy.md", "deploy-profile.md"):  # included by docs/deploy.md
        shutil.copy(ROOT / "benchmarks/results" / table, tmp_path / "benchmarks/results")
    if (ROOT / "overrides").is_dir():
        shutil.copytree(ROOT / "overrides", tmp_path / "overrides")
    for linked in ("paperzoo", "tools"):
        (tmp_path / linked).symlink_to(ROOT / linked, target_is_directory=True)
    return tmp_path


def new_paper(*args: str) -> subprocess.CompletedProcess:
    """Run the repository tool as a contributor does."""
    return subprocess.run(
        [sys.executable, str(NEW_PAPER), *args], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def checkout(tmp_path):
    return _checkout(tmp_path)


def test_slugify():
    assert slugify(FASTER_RCNN) == "faster-r-cnn"
    with pytest.raises(ValueError, match="--slug"):
        slugify("::")


def test_nav_entry_turns_a_single_page_section_into_a_block_and_appends_to_blocks():
    nav = "nav:\n  - Home: index.md\n  - NLP: nlp/index.md\n  - Object Detection:\n      - object-detection/index.md\n"
    nav += "      - SSD: object-detection/ssd.md\n  - OCR: ocr/index.md\n"
    nav = _nav_entry(nav, "nlp", "BERT", "nlp/bert.md")
    nav = _nav_entry(nav, "object-detection", "YOLO", "object-detection/yolo.md")
    assert yaml.safe_load(nav)["nav"] == [
        {"Home": "index.md"},
        {"NLP": ["nlp/index.md", {"BERT": "nlp/bert.md"}]},
        {"Object Detection": ["object-detection/index.md", {"SSD": "object-detection/ssd.md"},
                              {"YOLO": "object-detection/yolo.md"}]},
        {"OCR": "ocr/index.md"},
    ]  # fmt: skip


def test_refuses_unknown_section_duplicate_arxiv_and_taken_slug(checkout):
    result = new_paper(
        "--arxiv", "1506.01497", "--title", FASTER_RCNN, "--section", "robots", "--root", str(checkout)
    )
    assert result.returncode == 2
    assert result.stderr.startswith("new-paper: error: unknown section 'robots'; choose one of: attention,")
    assert "Traceback" not in result.stderr
    with pytest.raises(ValueError, match=r"arXiv:1512.02325 already has a card, docs/_cards/ssd.yml"):
        scaffold_paper(checkout, "1512.02325", "SSD again", "object-detection")
    with pytest.raises(ValueError, match="ssd.md already exists; pick another --slug"):
        scaffold_paper(checkout, "1506.02640", "SSD: not really", "object-detection")
    with pytest.raises(ValueError, match="arXiv id must look like"):
        scaffold_paper(checkout, "15-06", FASTER_RCNN, "object-detection")
    with pytest.raises(FileNotFoundError, match="not a paperzoo checkout"):
        scaffold_paper(checkout / "docs", "1506.01497", FASTER_RCNN, "object-detection")


def test_a_short_title_names_the_page_and_its_navigation_entry(checkout):
    title = "Identity Mappings in Deep Residual Networks"
    result = new_paper("--arxiv", "1603.05027", "--title", title, "--section", "classification",
                       "--slug", "preact-resnet", "--short-title", "Pre-activation ResNet", "--root", str(checkout))  # fmt: skip
    assert result.returncode == 0, result.stderr
    nav = (checkout / "mkdocs.yml").read_text(encoding="utf-8")
    assert '      - "Pre-activation ResNet": classification/preact-resnet.md' in nav
    card = yaml.safe_load((checkout / "docs/_cards/preact-resnet.yml").read_text(encoding="utf-8"))
    assert (card["title"], card["short_title"]) == (title, "Pre-activation ResNet")
    page = (checkout / "docs/classification/preact-resnet.md").read_text(encoding="utf-8")
    assert page.count("\n# Pre-activation ResNet\n") == 1


def test_a_failed_write_leaves_nothing_behind(checkout, monkeypatch):
    nav_before = (checkout / "mkdocs.yml").read_text(encoding="utf-8")
    real_replace = os.replace
    calls = []

    def replace_then_fail(source, target):
        calls.append(target)
        if len(calls) == 2:  # the page is in place, the card fails
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace_then_fail)
    with pytest.raises(OSError, match="No space left"):
        scaffold_paper(checkout, "1506.01497", FASTER_RCNN, "object-detection")
    monkeypatch.setattr(os, "replace", real_replace)
    assert not (checkout / "docs/object-detection/faster-r-cnn.md").exists()
    assert not (checkout / "docs/_cards/faster-r-cnn.yml").exists()
    assert (checkout / "mkdocs.yml").read_text(encoding="utf-8") == nav_before
    leftovers = [p for p in checkout.rglob(".*.tmp") if "site" not in p.parts]
    assert not leftovers


@pytest.mark.slow
def test_a_scaffolded_paper_builds_strictly(checkout):
    result = new_paper("--arxiv", "arXiv:1506.01497", "--title", FASTER_RCNN, "--section", "object-detection",
                       "--root", str(checkout))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "created docs/object-detection/faster-r-cnn.md" in result.stdout
    card = cardlib.load_card(checkout / "docs/_cards/faster-r-cnn.yml")
    assert (card["arxiv"], card["year"], card["section"]) == ("1506.01497", 2015, "object-detection")
    assert not (checkout / "tests/site/papers").exists()  # the card is checked by tests/site/test_cards.py

    site = checkout / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
        cwd=checkout, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout + build.stderr
    page = (site / "object-detection/faster-r-cnn/index.html").read_text(encoding="utf-8")
    plain = re.sub(r"<[^>]+>", "", page)
    assert "arXiv:1506.01497" in plain and "@article{fasterrcnn2015," in plain
    assert "This page has no checked claims yet." in page
    assert "<math" in page  # the template's example equation became MathML
    section = (site / "object-detection/index.html").read_text(encoding="utf-8")
    assert 'href="faster-r-cnn/"' in section  # the section lists it from its card
    assert (site / "zh/object-detection/faster-r-cnn/index.html").is_file()  # English fallback in zh
