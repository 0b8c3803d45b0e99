"""Paper cards: one YAML file per paper with its metadata and the claims the site checks.

A card (`docs/_cards/<id>.yml`) holds the paper's title, authors, year, venue, arXiv id, BibTeX, its
taxonomy section and tags, the registered builders that implement it, the page that holds its notes,
and its **claims**. A claim is a number the paper (or the original notes) states, where it states it,
and one of three statuses:

- `matches`: `compute` (a call into paperzoo) must give `stated` within `tolerance`;
- `deviation`: the computed value differs from `stated` for the reason in `explanation`; it must equal
  `expected` within `tolerance` (so the deviation itself cannot drift) and must *not* match `stated`
  (a deviation that disappeared is a stale card);
- `unverifiable`: nothing here can compute it (ImageNet accuracy, GPU timings); `explanation` says why.

A `matches` claim's `tolerance` is at most half a unit in the last digit of `stated` (a paper's "3.4M"
is any value that rounds to 3.4: tolerance 0.05), unless its `explanation` says why a wider one is
right. A claim whose computed value only reads back one of paperzoo's own settings (a constant, a
registry entry, a constructor default) proves nothing about the code and says so with `kind: setting`;
a top-level `get` or a `paperzoo.registry` call must carry it.

`compute` is data, never code: `{call: "package.module:function", args: [...], kwargs: {...},
item: [key or attribute, ...], scale: 100, device: meta}`, or `{get: "package.module:NAME", item: [...]}`
to read a constant such as a preset table. Calls run under `torch.device("meta")`
unless `device` says otherwise: parameter and MAC counts need shapes, not values, so no model computes.
Argument values may themselves be `{call: ...}` specs, so `count_params(mobilenet_v1(width_mult=0.5))`
is written as a nested spec. Only `paperzoo.*`,
`torch.*` and `operator.*` (for ratios) callables are allowed. Identical calls are evaluated once per
process, so the English and Chinese builds (and the test suite) build each model once.

Optional, for the home page's paper cards (`paperzoo_site.home`): `hook` and `hook_zh`, one sentence
saying why the paper matters, and `key_figure`, a small bar chart drawn at build time:
`{caption: ..., caption_zh: ..., unit: B, bars: [{label: ..., label_zh: ..., claim: <claim id>}, ...]}`.
A bar shows a claim's computed value (so the figure repeats a checked number) or, with `value:
<compute spec>` instead of `claim`, a number the claims do not state; every bar is in `unit`.

The site's Markdown extension (`paperzoo_site.blocks`) renders cards; `tests/site/test_cards.py`
checks the same claims without building the site. A failing `matches` or `deviation` claim raises
[`ClaimError`][], which fails the strict build.
"""

from __future__ import annotations

import functools
import importlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "CARDS_DIR",
    "KINDS",
    "SECTIONS",
    "STATUSES",
    "UNITS",
    "CardError",
    "ClaimError",
    "ClaimResult",
    "evaluate",
    "check_claim",
    "load_card",
    "load_cards",
    "rounding_tolerance",
    "validate_card",
]

# Where the cards live, relative to the repository root (the folder of mkdocs.yml).
CARDS_DIR = Path("docs/_cards")

# The taxonomy of the site (slug -> English name), in navigation order.
SECTIONS: dict[str, str] = {
    "attention": "Attention",
    "classification": "Classification",
    "object-detection": "Object Detection",
    "face": "Face",
    "gans": "GANs",
    "image-retrieval": "Image Retrieval",
    "network-architecture": "Network Architecture",
    "nlp": "NLP",
    "ocr": "OCR",
    "recommend": "Recommend",
    "segmentation": "Segmentation",
    "tracker": "Tracker",
}

STATUSES = ("matches", "deviation", "unverifiable")
# Unit of `stated` -> how the value is written after the number.
UNITS = {
    "count": "",
    "M": "M",
    "B": "B",
    "%": " %",
    "px": " px",
    "ratio": "",
    "x": "×",
    "mAP": "",
    "ms": " ms",
}

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_ARXIV = re.compile(r"^\d{4}\.\d{4,5}$")
_CALLABLE = re.compile(r"^(?:paperzoo|torch|operator)(?:\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$")
_CARD_KEYS = {
    "id": str, "title": str, "short_title": str, "authors": list, "year": int, "venue": str, "arxiv": str,
    "bibtex": str, "section": str, "tags": list, "page": str, "builders": list, "claims": list,
}  # fmt: skip
_CARD_OPTIONAL = {"hook": str, "hook_zh": str, "key_figure": dict}
_FIGURE_REQUIRED = {"caption": str, "unit": str, "bars": list}
_FIGURE_OPTIONAL = {"caption_zh": str}
_BAR_OPTIONAL = {"label_zh": str, "claim": str, "value": dict}
_CLAIM_REQUIRED = {"id": str, "claim": str, "source": str, "stated": (int, float), "unit": str, "status": str}
_CLAIM_OPTIONAL = {
    "claim_zh": str, "source_zh": str, "compute": dict, "tolerance": (int, float), "expected": (int, float),
    "explanation": str, "explanation_zh": str, "digits": int, "kind": str,
}  # fmt: skip
# `kind: setting`: the value reads back paperzoo's own configuration (shown as such on the page).
KINDS = ("computed", "setting")


class CardError(ValueError):
    """A card that does not follow the schema."""


class ClaimError(AssertionError):
    """A claim whose computed value contradicts its status: the page and the code disagree."""


@dataclass(frozen=True)
class ClaimResult:
    """A claim checked against paperzoo.

    Attributes:
        claim: The claim's mapping from the card.
        computed: The value paperzoo computes, in the claim's unit, or `None` if unverifiable.
        difference: `computed - stated`, or `None`.
    """

    claim: Mapping[str, Any]
    computed: float | None
    difference: float | None


def _fail(card_id: str, message: str) -> CardError:
    return CardError(f"card {card_id!r}: {message}")


def _check_types(card_id: str, where: str, data: Mapping[str, Any], required: dict, optional: dict) -> None:
    for key in required:
        if key not in data:
            raise _fail(card_id, f"{where} is missing {key!r}")
    for key, value in data.items():
        if key.startswith("x-"):
            continue  # holders of YAML anchors shared by several claims
        kind = required.get(key, optional.get(key))
        if kind is None:
            raise _fail(
                card_id, f"{where} has unknown key {key!r}; known: {sorted({**required, **optional})}"
            )
        if isinstance(value, bool) or not isinstance(value, kind):
            raise _fail(card_id, f"{where}: {key!r} should be {kind}, got {value!r}")


def _validate_compute(card_id: str, where: str, spec: Any) -> None:
    if not isinstance(spec, Mapping) or ("call" in spec) == ("get" in spec):
        raise _fail(card_id, f"{where}: a compute spec is a mapping with 'call' (or 'get'), got {spec!r}")
    unknown = set(spec) - {"call", "get", "args", "kwargs", "item", "scale", "device"}
    if unknown:
        raise _fail(card_id, f"{where}: unknown compute keys {sorted(unknown)}")
    target = spec.get("call", spec.get("get"))
    if not isinstance(target, str) or not _CALLABLE.match(target):
        raise _fail(card_id, f"{where}: call must be 'paperzoo.module:function' (or torch.*), got {target!r}")
    if "get" in spec and ({"args", "kwargs"} & set(spec)):
        raise _fail(card_id, f"{where}: 'get' reads an attribute; it takes no args or kwargs")
    for value in [*spec.get("args", []), *spec.get("kwargs", {}).values()]:
        if isinstance(value, Mapping) and ("call" in value or "get" in value):
            _validate_compute(card_id, where, value)


def rounding_tolerance(stated: float) -> float:
    """Half a unit in the last digit of `stated` as written: 0.05 for 3.4, 0.5 for 569, 0.005 for 94.86."""
    decimals = len(f"{float(stated):.10f}".rstrip("0").split(".")[1])
    return 0.5 * 10.0**-decimals


def _reads_a_setting(spec: Mapping[str, Any]) -> bool:
    return "get" in spec or str(spec.get("call", "")).startswith("paperzoo.registry:")


def _validate_claim_values(card_id: str, where: str, claim: Mapping[str, Any]) -> None:
    kind = claim.get("kind", "computed")
    if kind not in KINDS:
        raise _fail(card_id, f"{where}: kind must be one of {KINDS}, got {kind!r}")
    if "compute" in claim and _reads_a_setting(claim["compute"]) and kind != "setting":
        raise _fail(card_id, f"{where}: the compute spec reads back a setting; mark it `kind: setting`")
    if claim["status"] != "matches" or claim.get("explanation"):
        return
    widest = rounding_tolerance(claim["stated"])
    if claim["tolerance"] > widest * (1 + 1e-9):
        raise _fail(
            card_id,
            f"{where}: tolerance {claim['tolerance']} is wider than the precision of the stated "
            f"{claim['stated']} (±{widest:g}); narrow it, or say why in 'explanation'",
        )


def _validate_claim(card_id: str, claim: Any, seen: set[str]) -> None:
    if not isinstance(claim, Mapping):
        raise _fail(card_id, f"a claim must be a mapping, got {claim!r}")
    where = f"claim {claim.get('id', '?')!r}"
    _check_types(card_id, where, claim, _CLAIM_REQUIRED, _CLAIM_OPTIONAL)
    if not _ID.match(claim["id"]) or claim["id"] in seen:
        raise _fail(card_id, f"{where}: ids are unique lowercase-hyphen slugs")
    seen.add(claim["id"])
    if claim["unit"] not in UNITS:
        raise _fail(card_id, f"{where}: unit must be one of {sorted(UNITS)}, got {claim['unit']!r}")
    status = claim["status"]
    if status not in STATUSES:
        raise _fail(card_id, f"{where}: status must be one of {STATUSES}, got {status!r}")
    computable = status in ("matches", "deviation")
    if computable and ("compute" not in claim or "tolerance" not in claim):
        raise _fail(card_id, f"{where}: a {status!r} claim needs 'compute' and 'tolerance'")
    if not computable and ("compute" in claim or "expected" in claim):
        raise _fail(card_id, f"{where}: an unverifiable claim has no 'compute' or 'expected'")
    if status != "matches" and not claim.get("explanation"):
        raise _fail(card_id, f"{where}: a {status!r} claim needs an 'explanation'")
    if status == "deviation" and "expected" not in claim:
        raise _fail(card_id, f"{where}: a deviation claim pins the computed value in 'expected'")
    if status == "matches" and "expected" in claim:
        raise _fail(card_id, f"{where}: a matching claim has no 'expected' (it is 'stated')")
    if "compute" in claim:
        _validate_compute(card_id, where, claim["compute"])
    _validate_claim_values(card_id, where, claim)


def validate_card(card: Any, card_id: str) -> dict[str, Any]:
    """Check a card's schema and return it.

    Raises:
        CardError: Naming the card, the key and what was expected.
    """
    if not isinstance(card, dict):
        raise _fail(card_id, f"a card is a YAML mapping, got {type(card).__name__}")
    _check_types(card_id, "the card", card, _CARD_KEYS, _CARD_OPTIONAL)
    if card["id"] != card_id:
        raise _fail(card_id, f"id {card['id']!r} must equal the file name {card_id!r}")
    if not _ID.match(card_id):
        raise _fail(card_id, "the id must be a lowercase-hyphen slug, e.g. 'mobilenet-v2'")
    if not _ARXIV.match(card["arxiv"]):
        raise _fail(card_id, f"arxiv must look like '1512.02325', got {card['arxiv']!r}")
    if card["section"] not in SECTIONS:
        raise _fail(card_id, f"section must be one of {list(SECTIONS)}, got {card['section']!r}")
    for tag in card["tags"]:
        if tag not in SECTIONS or tag == card["section"]:
            raise _fail(card_id, f"tags are other sections' slugs ({list(SECTIONS)}), got {tag!r}")
    if not card["page"].startswith(card["section"] + "/") or not card["page"].endswith(".md"):
        raise _fail(card_id, f"page must be '{card['section']}/<name>.md', got {card['page']!r}")
    if not card["authors"] or not all(isinstance(a, str) for a in card["authors"]):
        raise _fail(card_id, "authors is a non-empty list of names")
    if not card["bibtex"].lstrip().startswith("@"):
        raise _fail(card_id, "bibtex must be a BibTeX entry starting with '@'")
    if not all(isinstance(b, str) for b in card["builders"]):
        raise _fail(card_id, "builders is a list of registered model names")
    _check_builders_registered(card_id, card["builders"])
    seen: set[str] = set()
    for claim in card["claims"]:
        _validate_claim(card_id, claim, seen)
    if "key_figure" in card:
        _validate_key_figure(card_id, card["key_figure"], {c["id"]: c for c in card["claims"]})
    return card


def _validate_key_figure(card_id: str, figure: dict[str, Any], claims: Mapping[str, Any]) -> None:
    """A key figure's bars name a computed claim in the figure's unit, or carry their own compute spec."""
    _check_types(card_id, "key_figure", figure, _FIGURE_REQUIRED, _FIGURE_OPTIONAL)
    if figure["unit"] not in UNITS:
        raise _fail(card_id, f"key_figure: unit must be one of {sorted(UNITS)}, got {figure['unit']!r}")
    if not 2 <= len(figure["bars"]) <= 8:
        raise _fail(card_id, f"key_figure: a small figure has 2 to 8 bars, got {len(figure['bars'])}")
    for bar in figure["bars"]:
        where = f"key_figure bar {bar.get('label', '?')!r}" if isinstance(bar, Mapping) else "key_figure"
        if not isinstance(bar, Mapping):
            raise _fail(card_id, f"{where}: a bar is a mapping with 'label' and 'claim' or 'value'")
        _check_types(card_id, where, bar, {"label": str}, _BAR_OPTIONAL)
        if ("claim" in bar) == ("value" in bar):
            raise _fail(card_id, f"{where}: give either 'claim' (a claim id) or 'value' (a compute spec)")
        if "value" in bar:
            _validate_compute(card_id, where, bar["value"])
            continue
        claim = claims.get(bar["claim"])
        if claim is None or claim["status"] == "unverifiable":
            raise _fail(card_id, f"{where}: {bar['claim']!r} is not a computed claim of this card")
        if claim["unit"] != figure["unit"]:
            raise _fail(
                card_id,
                f"{where}: claim {bar['claim']!r} is in {claim['unit']!r}, the figure in {figure['unit']!r}",
            )


def _check_builders_registered(card_id: str, builders: list[str]) -> None:
    """Every builder a card names must be registered, so a typo fails the site build, not a reader."""
    if not builders:
        return
    from paperzoo.registry import list_models

    known = set(list_models())
    unknown = [name for name in builders if name not in known]
    if unknown:
        raise _fail(
            card_id,
            f"builders {unknown} are not registered models; add the model module to MODEL_MODULES in "
            "paperzoo/registry.py, or fix the names (`paperzoo list` shows the registered ones)",
        )


@functools.cache
def _load(path: str, mtime: float) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return validate_card(yaml.safe_load(handle), Path(path).stem)


def load_card(path: str | Path) -> dict[str, Any]:
    """Read and validate one card (cached until the file changes)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no paper card at {path}")
    return _load(str(path.resolve()), path.stat().st_mtime)


def load_cards(cards_dir: str | Path = CARDS_DIR) -> dict[str, dict[str, Any]]:
    """All cards of `cards_dir`, keyed by id, sorted by year then title."""
    cards = [load_card(path) for path in sorted(Path(cards_dir).glob("*.yml"))]
    return {card["id"]: card for card in sorted(cards, key=lambda c: (c["year"], c["title"]))}


def _resolve(target: str) -> Any:
    module_name, _, attr_path = target.partition(":")
    obj: Any = importlib.import_module(module_name)
    for attr in attr_path.split("."):
        obj = getattr(obj, attr)
    return obj


def _select(value: Any, path: list[Any]) -> Any:
    for key in path:
        value = value[key] if isinstance(value, Mapping | list | tuple) else getattr(value, key)
    return value


def _arg(value: Any) -> Any:
    if isinstance(value, Mapping) and ("call" in value or "get" in value):
        return evaluate(value)
    if isinstance(value, list):
        return [_arg(v) for v in value]
    return value


@functools.cache
def _evaluate_call(key: str) -> Any:
    import torch

    spec = json.loads(key)
    if "get" in spec:
        return _resolve(spec["get"])
    function = _resolve(spec["call"])
    # Counting needs shapes, not values: models built and run on the meta device cost no compute.
    with torch.device(spec.get("device", "meta")):
        args = _arg(spec.get("args", []))
        kwargs = {name: _arg(value) for name, value in spec.get("kwargs", {}).items()}
        return function(*args, **kwargs)


def evaluate(spec: Mapping[str, Any]) -> Any:
    """Evaluate a compute spec. The call (without `item` and `scale`) is cached per process."""
    call = {key: spec[key] for key in ("call", "get", "args", "kwargs", "device") if key in spec}
    result = _select(_evaluate_call(json.dumps(call, sort_keys=True)), spec.get("item", []))
    return result * spec["scale"] if "scale" in spec else result


def _as_number(value: Any, where: str) -> float:
    if getattr(value, "is_meta", False):
        raise ClaimError(
            f"{where}: the value lives on the meta device; add `device: cpu` to the compute spec"
        )
    if hasattr(value, "item"):  # 0-d tensors
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ClaimError(f"{where}: compute must give a finite number, got {value!r}")
    return float(value)


def check_claim(card_id: str, claim: Mapping[str, Any]) -> ClaimResult:
    """Compute a claim and check it against its status.

    Raises:
        ClaimError: If a `matches` claim is off by more than its tolerance, or a `deviation` claim no
            longer gives its `expected` value or now matches the stated value.
    """
    if claim["status"] == "unverifiable":
        return ClaimResult(claim, None, None)
    where = f"card {card_id!r}, claim {claim['id']!r} ({claim['source']})"
    computed = _as_number(evaluate(claim["compute"]), where)
    stated, tolerance = float(claim["stated"]), float(claim["tolerance"])
    if claim["status"] == "matches" and abs(computed - stated) > tolerance:
        raise ClaimError(
            f"{where}: the paper states {stated:g} {claim['unit']}, paperzoo computes {computed:g} "
            f"(tolerance {tolerance:g}); fix the code, or mark the claim as a deviation and explain it"
        )
    if claim["status"] == "deviation":
        expected = float(claim["expected"])
        if abs(computed - expected) > tolerance:
            raise ClaimError(
                f"{where}: the explained deviation expects {expected:g} {claim['unit']}, paperzoo now "
                f"computes {computed:g} (tolerance {tolerance:g}); update 'expected' and the explanation"
            )
        if abs(computed - stated) <= tolerance:
            raise ClaimError(
                f"{where}: paperzoo now matches the stated {stated:g}; set the status to matches"
            )
    return ClaimResult(claim, computed, computed - stated)
