"""Curated prose as Markdown: CommonMark with citation markers, rendered to safe HTML.

Only http, https, mailto and #fragment links are kept; images and raw HTML are off, so nothing in
curated prose fetches a file or runs a script.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import cast

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from brief.load.markers import MARKER_RE, Citation, parse_body

_SAFE_HREF = re.compile(r"^(?:https?:|mailto:|#)", re.IGNORECASE)


def safe_href(url: str) -> bool:
    """Tell whether a link target is allowed (http, https, mailto or a #fragment)."""
    return bool(_SAFE_HREF.match(url.strip()))


class _SafeMarkdown(MarkdownIt):
    """CommonMark that keeps only the links `safe_href` allows; the rest stays text."""

    def validateLink(self, url: str) -> bool:
        """Return whether `url` may become a link."""
        return safe_href(url)


_MD: MarkdownIt | None = None


def _cite_rule(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] != "[":
        return False
    m = MARKER_RE.match(state.src, state.pos)
    if not m or m.end() > state.posMax:
        return False
    citation = parse_body(m.group("body"))
    if citation is None:
        return False
    if not silent:
        token = state.push("citation", "", 0)
        token.content = m.group(0)
        token.meta = {"citation": citation}
    state.pos = m.end()
    return True


def _render_cite(self: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    cite = env.get("cite")
    token = tokens[idx]
    return cite(token.meta["citation"]) if cite else html.escape(token.content, quote=False)


def _markdown() -> MarkdownIt:
    global _MD
    if _MD is None:
        md = _SafeMarkdown("commonmark", {"html": False})  # only http, https, mailto and #fragment links
        md.disable("image")  # no remote or local fetches from curated prose
        md.inline.ruler.before("link", "citation", _cite_rule)
        md.add_render_rule("citation", _render_cite)
        _MD = md
    return _MD


def markdown_to_html(text: str, cite: Callable[[Citation], str]) -> str:
    """Render Markdown to safe HTML, replacing each citation marker by cite(citation), unescaped."""
    return cast(str, _markdown().render(text, {"cite": cite}))


def markdown_inline(text: str, cite: Callable[[Citation], str]) -> str:
    """Render one line of Markdown without the wrapping <p> (table cells, list items)."""
    return cast(str, _markdown().renderInline(text, {"cite": cite})).strip()
