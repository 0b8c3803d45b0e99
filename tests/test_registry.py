"""The model registry, and contracts every registered model keeps (parametrised over the whole registry)."""

import fnmatch
import inspect
import re
import subprocess
import sys
import typing

import pytest
import torch

import paperzoo
from paperzoo.model_index import MODEL_INDEX, PAPER_TITLES, ModelEntry
from paperzoo.registry import TASKS, _registry, get_model_builder, get_model_info, list_models

ALL_MODELS = list_models()


def test_the_model_index_says_what_the_builders_register():
    registered = {
        name: ModelEntry(info.task, info.paper.arxiv, info.input_size, info.docs)
        for name, info in _registry().items()
    }
    rows = "\n".join(f'    "{name}": {entry!r},' for name, entry in sorted(registered.items()))
    assert registered == MODEL_INDEX, f"paste these rows into paperzoo/model_index.py:\n{rows}"
    titles = {info.paper.arxiv: info.paper.title for info in _registry().values()}
    assert titles == PAPER_TITLES


def test_listing_models_imports_no_model_and_no_torch():
    probe = "import sys, paperzoo; paperzoo.list_models('ssd*', pretrained=True); print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('paperzoo.models')))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[]"]


def test_mobilenets_are_registered_with_metadata():
    assert {"mobilenet_v1", "mobilenet_v2"} <= set(ALL_MODELS)
    info = get_model_info("mobilenet_v2")
    assert info.paper.arxiv == "1801.04381"
    assert info.paper.url == "https://arxiv.org/abs/1801.04381"
    assert info.task == "classification"
    assert info.input_size == (224, 224)
    assert get_model_info("mobilenet_v1").paper.arxiv == "1704.04861"


def test_list_models_filters_by_pattern_and_task():
    assert sorted(ALL_MODELS) == ALL_MODELS
    assert paperzoo.list_models("mobilenet_v*") == ["mobilenet_v1", "mobilenet_v2"]
    assert paperzoo.list_models("*_v2", task="classification") == ["mobilenet_v2"]
    classifiers = list_models(task="classification")
    detectors = list_models(task="detection")
    assert sorted(classifiers + detectors) == ALL_MODELS
    assert "mobilenet_v1" not in detectors
    assert list_models("no-such-*") == []
    with pytest.raises(ValueError, match="task must be one of"):
        list_models(task="segmentation")


def test_unknown_names_list_close_matches():
    with pytest.raises(ValueError, match=r"unknown model 'mobilenetv2'; did you mean mobilenet_v2"):
        paperzoo.create_model("mobilenetv2")
    with pytest.raises(ValueError, match="known models: .*mobilenet_v1"):
        get_model_info("zzzz")
    with pytest.raises(TypeError, match="model name must be a str, got int"):
        get_model_info(3)


@pytest.mark.parametrize("name", ALL_MODELS)
def test_naming_metadata_and_docstrings(name):
    info = get_model_info(name)
    builder = get_model_builder(name)
    assert re.fullmatch(r"[a-z][a-z0-9_]*", name) and builder.__name__ == name
    assert re.fullmatch(r"\d{4}\.\d{4,5}", info.paper.arxiv)
    assert info.task in TASKS
    assert len(info.input_size) == 2 and all(size >= 32 for size in info.input_size)
    assert re.fullmatch(r"[a-z0-9-]+(/[a-z0-9-]+)*/", info.docs), info.docs
    assert inspect.getdoc(builder) and "Returns:" in inspect.getdoc(builder)
    model_class = typing.get_type_hints(builder)["return"]
    assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", model_class.__name__)
    assert inspect.getdoc(model_class)


@pytest.mark.parametrize("name", ALL_MODELS)
def test_builder_is_keyword_only_with_weights_none(name):
    parameters = inspect.signature(get_model_builder(name)).parameters
    kinds = {p.kind for p in parameters.values()}
    assert kinds <= {inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.VAR_KEYWORD}, name
    assert parameters["weights"].default is None
    assert "num_classes" in parameters


# Builder arguments that keep a model small and fast here, by shell-style name pattern; a model's owner
# adds its own line. Builders with `width_mult` get 0.25. Detectors train on two images of their
# registered `input_size` (or of `image_size` below) with one box each.
SMALL_SETTINGS: dict[str, dict] = {
    "rfcn_*": {
        "min_size": 128,
        "max_size": 160,
        "train_min_sizes": (128,),
        "rpn_pre_nms_top_n": 200,
        "rpn_post_nms_top_n": 32,
        "image_size": (128, 160),
    },
}


def _small_settings(name: str) -> dict:
    settings = {}
    if "width_mult" in inspect.signature(get_model_builder(name)).parameters:
        settings["width_mult"] = 0.25
    for pattern, kwargs in SMALL_SETTINGS.items():
        if fnmatch.fnmatchcase(name, pattern):
            settings.update(kwargs)
    return settings


def _run_with_loss(name: str) -> tuple[torch.nn.Module, torch.Tensor]:
    info = get_model_info(name)
    settings = _small_settings(name)
    height, width = settings.pop("image_size", info.input_size)
    model = paperzoo.create_model(name, num_classes=3, **settings).train()
    if info.task == "classification":
        logits = model(torch.rand(2, 3, 64, 64))
        assert logits.shape == (2, 3)
        return model, logits.square().mean()
    images = [torch.rand(3, height, width) for _ in range(2)]
    box = torch.tensor([[0.2 * width, 0.2 * height, 0.7 * width, 0.8 * height]])
    targets = [{"boxes": box, "labels": torch.tensor([1])} for _ in images]
    losses = model(images, targets)
    assert isinstance(losses, dict) and losses
    return model, sum(losses.values())


@pytest.mark.parametrize("name", ALL_MODELS)
def test_every_model_builds_runs_forward_and_backward(name):
    torch.manual_seed(0)
    model, loss = _run_with_loss(name)
    assert torch.isfinite(loss)
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad and p.grad is not None]
    assert grads, f"{name}: no parameter received a gradient"
    assert all(torch.isfinite(g).all() for g in grads)
    assert any(g.abs().sum() > 0 for g in grads)
