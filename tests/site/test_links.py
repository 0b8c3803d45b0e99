"""A link checker over the built HTML: internal links and anchors resolve, no asset needs the network,
and every taxonomy section is reachable from the home page's navigation."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from paperzoo_site.cards import CARDS_DIR
from paperzoo_site.empty_sections import EMPTY_NOTE, empty_sections

ROOT = Path(__file__).resolve().parents[2]

# Tags whose URL the browser fetches while rendering the page: none may point at another host.
RESOURCE_ATTRIBUTES = {
    "script": "src",
    "link": "href",
    "img": "src",
    "iframe": "src",
    "source": "src",
    "video": "src",
    "audio": "src",
    "embed": "src",
    "object": "data",
}
URL_ATTRIBUTES = ("href", "src", "data")
# `<link rel="canonical">` names the page's published address; the browser never fetches it.
METADATA_LINK_RELS = {"canonical"}
NOT_FETCHED_SCHEMES = {"mailto", "tel", "javascript", "data", "blob"}
SITE_ORIGIN = "http://site.invalid"  # a stand-in origin for resolving relative URLs


@dataclass
class ParsedPage:
    ids: set[str] = field(default_factory=set)
    urls: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)  # (tag, url, attributes)
    nav_links: list[tuple[str, str]] = field(default_factory=list)  # (href, text) inside <nav>


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = ParsedPage()
        self._nav_depth = 0
        self._open_nav_link: list[str] | None = None  # [href, text...] of the <a> being read inside <nav>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        for name in ("id", "name"):
            if attributes.get(name):
                self.page.ids.add(attributes[name])
        for name in URL_ATTRIBUTES:
            if name in attributes:
                self.page.urls.append((tag, attributes[name], attributes))
        if tag == "nav":
            self._nav_depth += 1
        elif tag == "a" and self._nav_depth and "href" in attributes:
            self._open_nav_link = [attributes["href"]]

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav" and self._nav_depth:
            self._nav_depth -= 1
        elif tag == "a" and self._open_nav_link is not None:
            href, *text = self._open_nav_link
            self.page.nav_links.append((href, " ".join("".join(text).split())))
            self._open_nav_link = None

    def handle_data(self, data: str) -> None:
        if self._open_nav_link is not None:
            self._open_nav_link.append(data)


class BuiltSite:
    """The built site's HTML pages, parsed once, addressed by their URL path ("/", "/ocr/")."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.html_files = sorted(root.rglob("*.html"))
        index = self.parse(root / "index.html")
        canonical = [
            url for tag, url, attrs in index.urls if tag == "link" and attrs.get("rel") == "canonical"
        ]
        # 404.html uses root-absolute URLs under the deployed path (site_url's path, e.g. /paperzoo/).
        self.deployed_prefix = urlsplit(canonical[0]).path if canonical else "/"

    @functools.cache  # noqa: B019 - one BuiltSite per session; its pages never change
    def parse(self, path: Path) -> ParsedPage:
        parser = _PageParser()
        parser.feed(path.read_text(encoding="utf-8"))
        parser.close()
        return parser.page

    def page_url(self, path: Path) -> str:
        relative = path.relative_to(self.root).as_posix()
        return (
            SITE_ORIGIN
            + "/"
            + (relative[: -len("index.html")] if relative.endswith("index.html") else relative)
        )

    def target_file(self, url_path: str) -> Path | None:
        """The file a site-root URL path serves, the way a static server maps it, or None."""
        if url_path.startswith(self.deployed_prefix):
            url_path = "/" + url_path[len(self.deployed_prefix) :]
        relative = PurePosixPath(unquote(url_path).lstrip("/"))
        if ".." in relative.parts:
            return None
        candidate = self.root / relative
        if candidate.is_dir():
            candidate = candidate / "index.html"
        return candidate if candidate.is_file() else None


@pytest.fixture(scope="module")
def site(built_site: Path) -> BuiltSite:
    return BuiltSite(built_site)


def _is_external(url: str) -> bool:
    return urlsplit(url).scheme in {"http", "https", "ws", "wss", "ftp"} or url.startswith("//")


def broken_internal_links(site: BuiltSite) -> list[str]:
    """Every internal href/src whose file is missing, or whose #fragment is no id of the target page."""
    broken: list[str] = []
    for html_file in site.html_files:
        base = site.page_url(html_file)
        for tag, url, _ in site.parse(html_file).urls:
            if not url or _is_external(url) or urlsplit(url).scheme in NOT_FETCHED_SCHEMES:
                continue
            resolved = urlsplit(urljoin(base, url))
            where = f"{html_file.relative_to(site.root)}: <{tag}> {url!r}"
            target = site.target_file(resolved.path)
            if target is None:
                broken.append(f"{where} -> no file")
                continue
            fragment = unquote(resolved.fragment)
            if fragment and target.suffix == ".html" and fragment not in site.parse(target).ids:
                broken.append(f"{where} -> no id {fragment!r} in {target.relative_to(site.root)}")
    return broken


def assets_from_other_hosts(site: BuiltSite) -> list[str]:
    """Every URL the browser would fetch from another host to render a page (scripts, styles, images...)."""
    offenders: list[str] = []
    for html_file in site.html_files:
        for tag, url, attributes in site.parse(html_file).urls:
            if attributes.get(RESOURCE_ATTRIBUTES.get(tag, "")) != url or not _is_external(url):
                continue
            rels = set(attributes.get("rel", "").split())
            if tag == "link" and rels and rels <= METADATA_LINK_RELS:
                continue
            offenders.append(f"{html_file.relative_to(site.root)}: <{tag}> {url}")
    return offenders


def test_the_site_has_pages(site: BuiltSite, taxonomy):
    # Home, 404 and one index per section at the least: a checker that saw no page would prove nothing.
    assert len(site.html_files) >= len(taxonomy) + 2


def test_every_internal_link_and_anchor_resolves(site: BuiltSite):
    broken = broken_internal_links(site)
    assert not broken, "broken internal links:\n" + "\n".join(broken)


def test_no_asset_is_loaded_from_another_host(site: BuiltSite):
    offenders = assets_from_other_hosts(site)
    assert not offenders, "assets that need the network:\n" + "\n".join(offenders)


def test_the_checker_finds_planted_faults(tmp_path: Path):
    (tmp_path / "guide").mkdir()
    (tmp_path / "guide" / "index.html").write_text('<h2 id="usage">Usage</h2>', encoding="utf-8")
    (tmp_path / "index.html").write_text(
        '<link rel="canonical" href="https://example.org/docs/">'
        '<link rel="stylesheet" href="https://cdn.example.org/x.css">'
        '<script src="//cdn.example.org/x.js"></script><img src="logo.png">'
        '<a href="guide/#usage">ok</a><a href="https://example.org/">external page: fine</a>'
        '<a href="guide/#install">bad anchor</a><a href="missing/">bad page</a><a href="#top">bad local</a>',
        encoding="utf-8",
    )
    planted = BuiltSite(tmp_path)
    assert planted.deployed_prefix == "/docs/"
    assert [fault.split(" -> ")[1] for fault in broken_internal_links(planted)] == [
        "no file",
        "no id 'install' in guide/index.html",
        "no file",
        "no id 'top' in index.html",
    ]
    assert [fault.split("> ")[1] for fault in assets_from_other_hosts(planted)] == [
        "https://cdn.example.org/x.css",
        "//cdn.example.org/x.js",
    ]


def test_every_section_is_reachable_from_the_home_page_nav(site: BuiltSite, taxonomy):
    """Linked by its title; a section without papers is titled "<title> (no papers yet)"."""
    home = site.parse(site.root / "index.html")
    base = site.page_url(site.root / "index.html")
    reached = {
        (text, site.target_file(urlsplit(urljoin(base, href)).path))
        for href, text in home.nav_links
        if not _is_external(href)
    }
    empty = empty_sections(ROOT / CARDS_DIR)
    missing = [
        title
        for title, slug in taxonomy
        if (f"{title} {EMPTY_NOTE['en']}" if slug in empty else title, site.root / slug / "index.html")
        not in reached
    ]
    assert not missing, f"sections not linked (by their title) from the home page's navigation: {missing}"
