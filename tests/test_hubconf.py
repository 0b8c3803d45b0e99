"""hubconf.py: every registered builder is a torch.hub entry point, and each one loads."""

import importlib.util
from pathlib import Path

import pytest
import torch

import paperzoo
from tests.test_registry import _small_settings

REPO = Path(__file__).resolve().parents[1]


def test_hub_entries_are_the_registry():
    # torch.hub.list reads GitHub only; this is its rule (public callables of hubconf) on the local file.
    spec = importlib.util.spec_from_file_location("hubconf", REPO / "hubconf.py")
    hubconf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hubconf)
    entries = [name for name in dir(hubconf) if callable(getattr(hubconf, name)) and not name.startswith("_")]
    assert entries == paperzoo.list_models()


@pytest.mark.parametrize("name", paperzoo.list_models())
def test_each_entry_loads_locally(name):
    settings = {k: v for k, v in _small_settings(name).items() if k != "image_size"}  # a test-only key
    model = torch.hub.load(str(REPO), name, source="local", **settings)
    assert type(model) is type(paperzoo.create_model(name, **settings))
