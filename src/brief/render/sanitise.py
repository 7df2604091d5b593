"""pandoc's HTML output, filtered: a small allowlist of inline tags and safe link schemes.

The output of citeproc is parsed with `html.parser`, stripped of pandoc's wrapper markup, and
written back with only the tags in `_KEEP`; `html_to_text` gives the plain text of a fragment.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Iterator

from brief.load.markdown import safe_href
from brief.load.markers import squash


def html_to_text(fragment: str) -> str:
    """Return the plain text of an HTML fragment, whitespace normalised."""
    return squash("".join(node_text(node) for node in parse_html(fragment)))


@dataclass
class Element:
    """An HTML element: its tag, attributes and child nodes."""

    tag: str
    attrs: dict[str, str]
    children: list[Node] = field(default_factory=list)

    def cls(self) -> list[str]:
        """Return the element's classes."""
        return self.attrs.get("class", "").split()


@dataclass
class Text:
    """A run of text between tags."""

    raw: str  # HTML-escaped text, exactly as it should be written back


Node = Element | Text  # a node of a parsed fragment


_VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.root = Element("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(el)
        if tag not in _VOID:
            self.stack.append(el)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(Text(html.escape(data, quote=False)))

    def handle_entityref(self, name: str) -> None:
        self.stack[-1].children.append(Text(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.stack[-1].children.append(Text(f"&#{name};"))


def parse_html(text: str) -> list[Node]:
    """Return the nodes of an HTML fragment."""
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root.children


def node_text(node: Node) -> str:
    """Return the plain text of a node (character references resolved)."""
    if isinstance(node, Text):
        return html.unescape(node.raw)
    return "".join(node_text(child) for child in node.children)


def walk(nodes: list[Node]) -> Iterator[Element]:
    """Yield every element of the nodes, depth first, in document order."""
    for node in nodes:
        if isinstance(node, Element):
            yield node
            yield from walk(node.children)


# Inline tags pandoc's citeproc output uses; anything else is unwrapped (or dropped with content).
_KEEP = frozenset("a b br code em i q s small span strong sub sup u".split())


_DROP = frozenset("script style img iframe object embed svg math template noscript input button form".split())


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def serialise(nodes: list[Node]) -> str:
    """Return the nodes as HTML, with only the allowed tags and safe links."""
    out = []
    for node in nodes:
        if isinstance(node, Text):
            out.append(node.raw)
            continue
        tag = node.tag
        if tag in _DROP or (tag == "a" and "footnote-back" in node.cls()):
            continue
        inner = serialise(node.children)
        if tag == "div":  # csl-left-margin, csl-right-inline, csl-block, csl-indent
            tag = "span"
        if tag not in _KEEP:
            out.append(inner)
            continue
        if tag == "a":
            href = node.attrs.get("href", "")
            if not safe_href(href):
                out.append(inner)
                continue
            out.append(f'<a href="{_attr(href)}">{inner}</a>')
            continue
        attrs = f' class="{_attr(node.attrs["class"])}"' if tag == "span" and node.attrs.get("class") else ""
        out.append(f"<{tag}{attrs} />" if tag == "br" else f"<{tag}{attrs}>{inner}</{tag}>")
    return "".join(out)


def unwrap_p(nodes: list[Node]) -> list[Node]:
    """Return the children of a lone <p> (pandoc wraps each footnote in one)."""
    elements = [n for n in nodes if isinstance(n, Element)]
    texts = [n for n in nodes if isinstance(n, Text) and n.raw.strip()]
    if len(elements) == 1 and elements[0].tag == "p" and not texts:
        return elements[0].children
    return nodes
