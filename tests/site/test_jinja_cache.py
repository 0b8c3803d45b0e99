"""The jinja_cache hook (tools/site/paperzoo_site/jinja_cache.py): templates compiled once per process."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import jinja2
import pytest

from paperzoo_site import jinja_cache

HOOK = Path(jinja_cache.__file__)


@pytest.fixture(autouse=True)
def fresh_caches(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(jinja_cache, "_CACHES", {})


def environment(templates: dict[str, str], **settings) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.DictLoader(templates), **settings)


def count_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    parsed = []
    original = jinja2.Environment._parse
    monkeypatch.setattr(
        jinja2.Environment,
        "_parse",
        lambda env, source, name, filename: parsed.append(name) or original(env, source, name, filename),
    )
    return parsed


def test_a_new_environment_reuses_the_compiled_template(monkeypatch: pytest.MonkeyPatch):
    parsed = count_parses(monkeypatch)
    templates = {"page.html": "<p>{{ title }}</p>"}
    for _ in range(3):  # three builds, each with a new environment, as MkDocs makes them
        env = environment(templates, autoescape=True)
        env.bytecode_cache = jinja_cache.cache_for(env)
        assert env.get_template("page.html").render(title="<T>") == "<p>&lt;T&gt;</p>"
    assert parsed == ["page.html"]


def test_an_edited_template_is_compiled_again(monkeypatch: pytest.MonkeyPatch):
    parsed = count_parses(monkeypatch)
    templates = {"page.html": "<p>{{ title }}</p>"}
    env = environment(templates)
    env.bytecode_cache = jinja_cache.cache_for(env)
    env.get_template("page.html")
    templates["page.html"] = "<h1>{{ title }}</h1>"
    env = environment(templates)
    env.bytecode_cache = jinja_cache.cache_for(env)
    assert env.get_template("page.html").render(title="T") == "<h1>T</h1>"
    assert parsed == ["page.html", "page.html"]


def test_environments_that_compile_differently_do_not_share_code():
    templates = {"page.html": "<p>{{ title }}</p>\n"}
    escaping, raw = (
        environment(templates, autoescape=True),
        environment(templates, keep_trailing_newline=True),
    )
    assert jinja_cache.cache_for(escaping) is not jinja_cache.cache_for(raw)
    assert jinja_cache.cache_for(escaping) is jinja_cache.cache_for(environment({}, autoescape=True))
    for env in (escaping, raw):
        env.bytecode_cache = jinja_cache.cache_for(env)
    assert escaping.get_template("page.html").render(title="<T>") == "<p>&lt;T&gt;</p>"
    assert raw.get_template("page.html").render(title="<T>") == "<p><T></p>\n"


def test_the_hook_loaded_by_path_uses_the_process_wide_caches():
    """MkDocs executes a hook file anew for each build; the caches must outlive that module."""

    def load_hook():
        spec = importlib.util.spec_from_file_location("hook_from_path", HOOK)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    first, second = environment({}), environment({})
    load_hook().on_env(first, None, None)
    load_hook().on_env(second, None, None)
    assert first.bytecode_cache is second.bytecode_cache is jinja_cache.cache_for(first)
