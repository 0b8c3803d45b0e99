"""MkDocs hook: each language's 404 page at its own path, the English one at `/404.html`.

mkdocs-static-i18n builds the Chinese site inside the English build (after the English build's
`post_build` hooks), into the same folder, and MkDocs writes every build's static templates
(`404.html`) at the folder's root: the Chinese 404 page replaced the English one, so every visitor of a
missing page got it. This hook keeps the 404 page each build renders; when another language's build
ends, it moves that language's page to `/<locale>/404.html` and writes the default language's back at
`/404.html`. Listed under `hooks:` in `mkdocs.yml`.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig

__all__ = ["on_post_build", "on_post_template"]

TEMPLATE = "404.html"
_rendered: dict[str, str] = {}  # locale -> the 404 page its build rendered


def on_post_template(output_content: str, template_name: str, config: MkDocsConfig) -> str:
    if template_name == TEMPLATE:
        _rendered[config.theme["language"]] = output_content
    return output_content


def on_post_build(config: MkDocsConfig) -> None:
    i18n = config.plugins.get("i18n")
    default = getattr(i18n, "default_language", None)
    locale = config.theme["language"]
    if default is None or locale == default or default not in _rendered or locale not in _rendered:
        return  # the default language's own build (or no i18n): its 404 page is already at the root
    site = Path(config.site_dir)
    (site / locale).mkdir(parents=True, exist_ok=True)
    (site / locale / TEMPLATE).write_text(_rendered[locale], encoding="utf-8")
    (site / TEMPLATE).write_text(_rendered[default], encoding="utf-8")
