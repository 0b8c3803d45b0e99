"""MkDocs hook: compile each Jinja template once per process, not once per build.

MkDocs makes a new Jinja environment for the theme on every build, and mkdocstrings one for its Python
handler, so `mkdocs serve` parses and compiles the same 160 templates (Material's, and mkdocstrings'
per object kind) on every rebuild after an edit: about a third of a warm rebuild here. Jinja's own
answer is a bytecode cache (`Environment.bytecode_cache`); this hook gives both environments one that
keeps the compiled code objects in memory for the life of the process. A template whose source changed
has another checksum and is compiled again, so editing `overrides/` still shows on the next rebuild.

Compiled code depends on the environment's settings as well as the source (delimiters, autoescape,
extensions, finalize), so environments that differ in them get separate caches. Listed under `hooks:`
in `mkdocs.yml`; a cold `mkdocs build` compiles everything once, as before.
"""

from __future__ import annotations

import importlib
from collections.abc import Hashable
from types import CodeType
from typing import Any

import jinja2
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files

__all__ = ["ProcessBytecodeCache", "cache_for", "on_env", "on_files"]

# MkDocs executes a hook file anew for every build under a name of its own; the caches live in the
# module imported by its real name, which stays loaded between the builds of `mkdocs serve`.
MODULE = "paperzoo_site.jinja_cache"


class ProcessBytecodeCache(jinja2.BytecodeCache):
    """Jinja bytecode kept as code objects in memory (no marshalling, no files)."""

    def __init__(self) -> None:
        self._code: dict[str, tuple[str, CodeType]] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        entry = self._code.get(bucket.key)
        if entry is not None and entry[0] == bucket.checksum:
            bucket.code = entry[1]

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.code is not None:
            self._code[bucket.key] = (bucket.checksum, bucket.code)

    def clear(self) -> None:
        self._code.clear()


def _describe(value: Any) -> Hashable:
    """A setting as a hashable value; a callable by its qualified name."""
    if callable(value):
        return (
            f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', type(value).__qualname__)}"
        )
    return value


def _settings(env: jinja2.Environment) -> tuple[Hashable, ...]:
    """The settings of `env` that change the code Jinja compiles from a template's source."""
    return (
        env.block_start_string,
        env.block_end_string,
        env.variable_start_string,
        env.variable_end_string,
        env.comment_start_string,
        env.comment_end_string,
        env.line_statement_prefix,
        env.line_comment_prefix,
        env.trim_blocks,
        env.lstrip_blocks,
        env.newline_sequence,
        env.keep_trailing_newline,
        env.optimized,
        env.is_async,
        _describe(env.autoescape),
        _describe(env.finalize),
        tuple(sorted(env.extensions)),
    )


_CACHES: dict[tuple[Hashable, ...], ProcessBytecodeCache] = {}


def cache_for(env: jinja2.Environment) -> ProcessBytecodeCache:
    """The process-wide cache for environments configured like `env`."""
    return _CACHES.setdefault(_settings(env), ProcessBytecodeCache())


def _shared_cache_for(env: jinja2.Environment) -> ProcessBytecodeCache:
    return importlib.import_module(MODULE).cache_for(env)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    plugin = config.plugins.get("mkdocstrings")
    if plugin is not None:
        env = plugin.get_handler("python").env
        env.bytecode_cache = _shared_cache_for(env)
    return files


def on_env(env: jinja2.Environment, config: MkDocsConfig, files: Files) -> jinja2.Environment:
    env.bytecode_cache = _shared_cache_for(env)
    return env
