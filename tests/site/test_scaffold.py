"""`paperzoo new-paper` scaffolds a page, a card and a test stub that build strictly."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from paperzoo._site import cards as cardlib
from paperzoo._site.scaffold import _nav_entry, scaffold_paper, slugify
from paperzoo.cli import main

ROOT = Path(__file__).resolve().parents[2]
FASTER_RCNN = "Faster R-CNN: Towards Real-Time Object Detection with Region Proposal Networks"


def _checkout(tmp_path: Path) -> Path:
    """A copy of what `mkdocs build` reads: docs/, mkdocs.yml and its files, the package as a link."""
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copy(ROOT / "CHANGELOG.md", tmp_path / "CHANGELOG.md")  # included by docs/changelog.md
    (tmp_path / "benchmarks" / "results").mkdir(parents=True)
    shutil.copy(ROOT / "benchmarks/results/deploy.md", tmp_path / "benchmarks/results")  # by docs/deploy.md
    if (ROOT / "overrides").is_dir():
        shutil.copytree(ROOT / "overrides", tmp_path / "overrides")
    (tmp_path / "paperzoo").symlink_to(ROOT / "paperzoo", target_is_directory=True)
    return tmp_path


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


def test_refuses_unknown_section_duplicate_arxiv_and_taken_slug(checkout, capsys):
    assert main(["new-paper", "--arxiv", "1506.01497", "--title", FASTER_RCNN, "--section", "robots",
                 "--root", str(checkout)]) == 2  # fmt: skip
    assert "unknown section 'robots'; choose one of: attention, classification" in capsys.readouterr().err
    with pytest.raises(ValueError, match=r"arXiv:1512.02325 already has a card, docs/_cards/ssd.yml"):
        scaffold_paper(checkout, "1512.02325", "SSD again", "object-detection")
    with pytest.raises(ValueError, match="ssd.md already exists; pick another --slug"):
        scaffold_paper(checkout, "1506.02640", "SSD: not really", "object-detection")
    with pytest.raises(ValueError, match="arXiv id must look like"):
        scaffold_paper(checkout, "15-06", FASTER_RCNN, "object-detection")
    with pytest.raises(FileNotFoundError, match="not a paperzoo checkout"):
        scaffold_paper(checkout / "docs", "1506.01497", FASTER_RCNN, "object-detection")


@pytest.mark.slow
def test_a_scaffolded_paper_builds_strictly(checkout, capsys):
    assert main(["new-paper", "--arxiv", "arXiv:1506.01497", "--title", FASTER_RCNN,
                 "--section", "object-detection", "--root", str(checkout)]) == 0  # fmt: skip
    assert "created docs/object-detection/faster-r-cnn.md" in capsys.readouterr().out
    card = cardlib.load_card(checkout / "docs/_cards/faster-r-cnn.yml")
    assert (card["arxiv"], card["year"], card["section"]) == ("1506.01497", 2015, "object-detection")
    assert (checkout / "tests/site/papers/test_paper_faster_r_cnn.py").is_file()

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

    stub = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/site/papers"],
        cwd=checkout, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert "1 passed, 1 skipped" in stub.stdout, stub.stdout + stub.stderr
