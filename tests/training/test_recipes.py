"""Recipes: the papers' schedules, validation, and the shapes recipes' models build and run at their size."""

import pytest
import torch

import paperzoo
from paperzoo.training import RECIPES, Recipe, build_model, default_recipe, get_recipe


def test_paper_schedules():
    ssd = get_recipe("ssd300_vgg16_voc")
    assert (ssd.optimizer, ssd.lr, ssd.momentum, ssd.weight_decay, ssd.batch_size) == (
        "sgd",
        1e-3,
        0.9,
        5e-4,
        32,
    )
    # 120k iterations of 32 images on VOC07+12 trainval; /10 at 80k and 100k.
    assert ssd.epochs == round(120_000 * 32 / 16_551) == 232
    assert [round(m * 120_000) for m in ssd.milestones] == [80_000, 100_000]
    rfcn = get_recipe("rfcn_resnet18_voc")
    assert (rfcn.lr, rfcn.gamma, rfcn.batch_size) == (1e-3, 0.1, 2)
    assert [round(m * 110_000) for m in rfcn.milestones] == [80_000]


def test_default_recipe_and_errors():
    assert default_recipe("rfcn_resnet18", "shapes").name == "rfcn_resnet18_shapes"
    assert default_recipe("ssd300_vgg16", "voc:/data").name == "ssd300_vgg16_voc"
    borrowed = default_recipe("ssdlite_mobilenet_v1", "shapes")
    assert (
        borrowed.model == "ssdlite_mobilenet_v1"
        and "borrowed from ssdlite_mobilenet_v2_shapes" in borrowed.source
    )
    with pytest.raises(ValueError, match="unknown recipe 'x'; known recipes: ssd300_vgg16_voc"):
        get_recipe("x")
    with pytest.raises(ValueError, match="optimizer must be 'sgd' or 'adamw', got 'adam'"):
        Recipe("r", "m", "shapes", "test", epochs=1, batch_size=1, lr=0.1, optimizer="adam")
    with pytest.raises(ValueError, match="milestones must be increasing fractions"):
        Recipe("r", "m", "shapes", "test", epochs=1, batch_size=1, lr=0.1, milestones=(0.8, 0.5))


# Recipes that configure their model (SSD300 keeps its defaults; its own tests run it).
@pytest.mark.parametrize("name", [n for n, r in RECIPES.items() if n.endswith("_shapes") and r.model_kwargs])
def test_shapes_recipe_models_build_and_detect_at_the_recipe_size(name):
    recipe = RECIPES[name]
    assert recipe.model in paperzoo.list_models(task="detection"), f"{name} names an unregistered model"
    torch.manual_seed(0)
    model = build_model(recipe.model, 5, recipe.model_kwargs).eval()
    size = recipe.shapes["image_size"]
    with torch.inference_mode():
        (output,) = model([torch.rand(3, size, size)])
    assert set(output) >= {"boxes", "scores", "labels"}
    assert output["boxes"].shape[1:] == (4,) and (output["boxes"] <= size).all()
