"""The page as the browser showed it: the serialized DOM with everything invisible taken out."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urljoin

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from mantis.brains.offline.values import collapse

# Never rendered as text, or rendered as something other than text; their tails stay.
_UNSEEN_TAGS = ("script", "style", "template", "noscript", "svg", "math", "canvas", "iframe", "object",
                "select", "datalist")
_HIDDEN_STYLE = re.compile(r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse))", re.I)
# huge_tree: libxml2 otherwise stops reading at 256 levels of nesting and drops the rest of the page.
_PARSER = lxml.html.HTMLParser(huge_tree=True, encoding="utf-8")
_HIDDEN_XPATH = ".//*[@data-mantis-hidden='1' or @hidden or @aria-hidden='true' or @style]"

# Elements that break a line, so their text never runs into the text next to them.
BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol",
    "p", "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "caption",
    "legend"
})
HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
# Page furniture around a detail page's own content.
_CHROME_TAGS = frozenset(("nav", "footer", "aside"))
_CHROME_ROLES = frozenset(("navigation", "contentinfo", "complementary", "search"))
_SECTIONING = frozenset(("article", "main"))  # what scopes a footer to itself rather than to the page


@dataclass
class Page:
    body: HtmlElement
    base: str  # what relative links resolve against: <base href> over the page's own URL
    url: str  # the page's own address: its canonical link, else the URL it was loaded from
    title: str = ""  # the document's <title>, which the browser shows as the tab's name
    _resolved: dict[str, str | None] = field(default_factory=dict, init=False, repr=False)

    def absolute(self, href: str | None) -> str | None:
        """The link as an absolute URL; None for links that go nowhere ("#", javascript:)."""
        href = (href or "").strip()
        if href not in self._resolved:
            dead = not href or href.startswith("#") or href.lower().startswith(("javascript:", "data:"))
            try:
                self._resolved[href] = None if dead else urljoin(self.base, href)
            except ValueError:  # "http://[broken" and the like
                self._resolved[href] = None
        return self._resolved[href]


def load(html: str, base_url: str) -> Page | None:
    """Parse the DOM and strip what a viewer could not see; None for a page with no body."""
    try:
        # As bytes: lxml refuses str input that carries an XML encoding declaration (XHTML pages).
        doc = lxml.html.document_fromstring(html.encode("utf-8", "replace"), parser=_PARSER)
    except etree.ParserError:  # nothing to parse
        return None
    base = base_url
    for el in doc.iterfind(".//base[@href]"):
        base = urljoin(base_url, el.get("href", ""))
        break
    url = base_url
    for el in doc.iterfind(".//link[@rel='canonical']"):
        url = urljoin(base, el.get("href", "")) or base_url
        break
    body = doc.find("body")
    if body is None:
        return None
    title = collapse(doc.findtext("head/title") or "")
    etree.strip_elements(body, *_UNSEEN_TAGS, with_tail=False)
    etree.strip_tags(body, etree.Comment, etree.ProcessingInstruction)
    for el in body.xpath(_HIDDEN_XPATH):
        if _is_hidden(el) and el.getparent() is not None:
            el.drop_tree()
    return Page(body, base, url, title)


def _is_hidden(el: HtmlElement) -> bool:
    attrib = el.attrib
    return (
        attrib.get("data-mantis-hidden") == "1"
        or ("hidden" in attrib and el.tag != "input")
        or (attrib.get("aria-hidden") == "true" and not _page_behind_dialog(el))
        or bool(_HIDDEN_STYLE.search(attrib.get("style", "")))
    )


def _page_behind_dialog(el: HtmlElement) -> bool:
    """aria-hidden hides icons and visual duplicates from screen readers, but an open dialog also
    sets it on the whole page behind it, which is still on screen: that is kept."""
    return el.find(".//h1") is not None or el.find(".//h2") is not None or len(el.text_content()) > 500


# A class ending in a number after a separator numbers the item (item-17, col-4, row_3) and so varies
# between items of one template; generated names with digits (q7, k1, css-1x2y3z) do not.
_NUMBERING = re.compile(r"[-_]\d+$")


def signature(el: HtmlElement) -> str:
    """Tag and classes, less the classes that number the item."""
    return _signature(el.tag, el.get("class", ""))


@lru_cache(maxsize=8192)
def _signature(tag: str, cls: str) -> str:
    classes = sorted({c for c in cls.split() if not _NUMBERING.search(c)})
    return tag + "." + ".".join(classes) if classes else tag


def place(el: HtmlElement) -> str:
    """Where in its record's template an element sits, as far as its parent and itself tell."""
    parent = el.getparent()
    return (signature(parent) if parent is not None else "") + ">" + signature(el)


def is_chrome(el: HtmlElement) -> bool:
    """Navigation, footers and sidebars: never a detail page's own fields (a header with the h1 is).

    A footer of an article is the article's own (HTML-AAM maps it to no landmark): it holds the
    byline and the date ("<div role=contentinfo><time>…</time>, von <a>…</a>").
    """
    role = el.get("role", "")
    if el.tag == "footer" or role == "contentinfo":
        return not any(a.tag in _SECTIONING for a in el.iterancestors())
    if el.tag in _CHROME_TAGS or role in _CHROME_ROLES:
        return True
    return (el.tag == "header" or role == "banner") and el.find(".//h1") is None


def main_root(body: HtmlElement) -> HtmlElement:
    """The element holding a detail page's own content: <main>, else the one <article>, else <body>."""
    for el in body.iterfind(".//main"):
        return el
    for el in body.iterfind(".//*[@role='main']"):
        return el
    articles = [a for a in body.iterfind(".//article") if a.find(".//article") is None]
    if len(articles) == 1:
        return articles[0]
    return body


def header_row(row: HtmlElement) -> HtmlElement | None:
    """The row naming the columns of the table a row belongs to: <thead>'s, or a first row of <th>."""
    parent = row.getparent()
    table = parent if parent is not None and parent.tag == "table" else (
        parent.getparent() if parent is not None else None)
    if table is None or table.tag != "table":
        return None
    head = table.find("thead")
    rows = head.findall("tr") if head is not None else []
    if rows:
        return rows[-1]
    body = table.find("tbody")
    first = table.find("tr") if body is None else body.find("tr")
    cells = [c for c in first if c.tag in ("td", "th")] if first is not None else []
    return first if len(cells) >= 2 and all(c.tag == "th" for c in cells) else None


def column_names(header: HtmlElement) -> list[str]:
    """One name per column (colspans expanded)."""
    names: list[str] = []
    for cell in header:
        if cell.tag in ("td", "th"):
            names.extend([collapse(cell.text_content())] * span(cell))
    return names


def span(cell: HtmlElement) -> int:
    """How many columns a table cell covers."""
    try:
        return max(1, min(int(cell.get("colspan", "1")), 50))
    except ValueError:
        return 1
