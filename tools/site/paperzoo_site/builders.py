"""The "How to use it" table of a paper page: its registered builders, measured when the site is built.

`paperzoo-builders` (`card`) renders one row per builder of the card: parameters and MACs of the
builder's default configuration at its registered input size (models built on the meta device, as the
claims are, so nothing computes), the input size, and links to the builder's source on GitHub (file and
line, read from the function) and to its entry in the API reference. R-FCN's MACs depend on the number
of region proposals, so its row says so instead of giving one number.
"""

from __future__ import annotations

import inspect
import posixpath
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import paperzoo
from paperzoo_site.cards import evaluate

__all__ = ["API_PAGE", "REPO_URL", "builder_facts", "render_builders"]

REPO_URL = "https://github.com/paperzoo/paperzoo"  # mkdocs.yml's repo_url (a test keeps them equal)
API_PAGE = "api-models.md"
# The repository root: the folder that holds the `paperzoo` package (source links are relative to it).
_ROOT = Path(paperzoo.__file__).resolve().parents[1]

TEXT = {
    "en": {
        "builder": "Builder", "params": "Params", "macs": "MACs", "input": "Input", "links": "Links",
        "source": "source", "api": "API", "per_roi": "depends on the proposals",
        "intro": "Build any of them with `paperzoo.create_model(name, ...)`; counts are for the default "
                 "configuration at the input size shown.",
    },
    "zh": {
        "builder": "构建函数", "params": "参数量", "macs": "乘加数", "input": "输入", "links": "链接",
        "source": "源码", "api": "API", "per_roi": "取决于候选区域数",
        "intro": "用 `paperzoo.create_model(name, ...)` 构建；数字为默认配置在所示输入尺寸下的统计。",
    },
}  # fmt: skip


def _macs(info: Any, model: Mapping[str, Any]) -> int | None:
    height, width = info.input_size
    if info.task == "classification":
        return int(evaluate({"call": "paperzoo.analysis:count_macs", "args": [model, [1, 3, height, width]]}))
    module = inspect.getmodule(info.builder)
    if module is not None and module.__name__.split(".")[-1] in ("ssd", "ssdlite"):
        return int(evaluate({"call": "paperzoo.analysis:network_macs", "args": [model, height]}))
    return None  # two-stage detectors: MACs grow with the number of region proposals


def builder_facts(name: str) -> dict[str, Any]:
    """Parameters, MACs (or `None`), input size, source file and line, and API anchor of a builder."""
    from paperzoo.registry import get_model_info

    info = get_model_info(name)
    function = inspect.unwrap(info.builder)
    model = {"call": f"{function.__module__}:{function.__name__}"}
    source = Path(inspect.getsourcefile(function) or "").resolve().relative_to(_ROOT).as_posix()
    return {
        "name": name,
        "params": int(evaluate({"call": "paperzoo.analysis:count_params", "args": [model]})),
        "macs": _macs(info, model),
        "input_size": info.input_size,
        "source": f"{REPO_URL}/blob/main/{source}#L{inspect.getsourcelines(function)[1]}",
        "anchor": f"{function.__module__}.{function.__name__}",
    }


def _count(value: float) -> str:
    return f"{value / 1e9:.2f}B" if value >= 1e9 else f"{value / 1e6:.2f}M"


def render_builders(card: Mapping[str, Any], page: str, lang: str) -> list[str]:
    """A compact table of `card`'s builders, linked relative to `page`."""
    text = TEXT[lang]
    if not card["builders"]:
        return []
    api = posixpath.relpath(API_PAGE, posixpath.dirname(page) or ".")
    lines = [
        text["intro"],
        "",
        f"| {text['builder']} | {text['params']} | {text['macs']} | {text['input']} | {text['links']} |",
        "|---|--:|--:|--:|---|",
    ]
    for name in card["builders"]:
        facts = builder_facts(name)
        macs = text["per_roi"] if facts["macs"] is None else _count(facts["macs"])
        height, width = facts["input_size"]
        links = f"[{text['source']}]({facts['source']}) · [{text['api']}]({api}#{facts['anchor']})"
        lines.append(f"| `{name}` | {_count(facts['params'])} | {macs} | {height}×{width} | {links} |")
    return [*lines, ""]
