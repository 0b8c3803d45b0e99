"""`check_num_classes`: one meaning for every registered model (TypeError for a non-int, ValueError below
the minimum: 1 for a classifier, 2 for a detector whose class 0 is the background)."""

from __future__ import annotations

import pytest
import torch

from paperzoo import get_model_builder, get_model_info, list_models
from paperzoo.models._checks import check_num_classes


@pytest.mark.parametrize("value", [True, 2.0, "21", None])
@pytest.mark.parametrize("background", [False, True])
def test_a_non_int_is_a_type_error(value, background):
    with pytest.raises(TypeError, match=f"num_classes must be an int, got {value!r}"):
        check_num_classes(value, background=background)


def test_minimum_is_one_for_classifiers_and_two_with_a_background():
    check_num_classes(1, background=False)
    check_num_classes(2, background=True)
    with pytest.raises(ValueError, match="num_classes must be >= 1, got 0"):
        check_num_classes(0, background=False)
    with pytest.raises(
        ValueError, match=r"num_classes must be >= 2 \(the object classes plus the background 0\), got 1"
    ):
        check_num_classes(1, background=True)


@pytest.mark.parametrize("name", list_models())
def test_every_builder_checks_num_classes_the_same_way(name):
    builder = get_model_builder(name)
    detector = get_model_info(name).task == "detection"
    smallest = 2 if detector else 1
    with torch.device("meta"):
        with pytest.raises(TypeError, match="num_classes must be an int, got 3.0"):
            builder(num_classes=3.0)
        with pytest.raises(TypeError, match="num_classes must be an int, got True"):
            builder(num_classes=True)
        with pytest.raises(ValueError, match=f"num_classes must be >= {smallest}"):
            builder(num_classes=smallest - 1)
        builder(num_classes=smallest)  # the smallest accepted value builds
