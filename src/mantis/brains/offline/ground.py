"""Grounding without a model: finds a step's target among the page's accessible elements by its words.

Names are compared after case, whitespace and punctuation are normalised, in tiers: exact, then the whole
target phrase inside the name, then shared words, then character similarity above a threshold. A higher
tier always wins, so "Sign in" never loses to "Sign in with Google" and a near miss never beats a real
match. Only elements that can take the action are considered first; disabled ones never match.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import IntEnum

from mantis.brains.base import Grounding, GroundingError
from mantis.brains.offline.aria import AriaNode, parse_aria_tree
from mantis.planes.base import ActionKind, Element, Observation

CLICK_ROLES = frozenset(
    {"button", "link", "checkbox", "radio", "tab", "menuitem", "menuitemcheckbox", "menuitemradio",
     "option", "switch", "treeitem"}
)
FILL_ROLES = frozenset({"textbox", "searchbox", "combobox", "spinbutton"})
SELECT_ROLES = frozenset({"combobox", "listbox"})
_ACTION_ROLES: dict[str, frozenset[str]] = {
    "click": CLICK_ROLES,
    "hover": CLICK_ROLES,
    "press": CLICK_ROLES | FILL_ROLES,
    "fill": FILL_ROLES,
    "select": SELECT_ROLES,
    "scroll": frozenset(),
}
# Filling or choosing from an element of another kind cannot work, so these never take other roles.
_STRICT_ACTIONS = frozenset({"fill", "select"})

# Words that name a kind of control at the end of a target ("Accept button", "Email field").
_ROLE_WORDS: dict[str, frozenset[str]] = {
    "button": frozenset({"button"}),
    "btn": frozenset({"button"}),
    "link": frozenset({"link"}),
    "radio button": frozenset({"radio"}),
    "radio": frozenset({"radio"}),
    "checkbox": frozenset({"checkbox"}),
    "check box": frozenset({"checkbox"}),
    "switch": frozenset({"switch"}),
    "toggle": frozenset({"switch", "button"}),
    "tab": frozenset({"tab"}),
    "menu item": frozenset({"menuitem", "menuitemcheckbox", "menuitemradio"}),
    "option": frozenset({"option"}),
    "heading": frozenset({"heading"}),
    "field": FILL_ROLES,
    "text field": FILL_ROLES,
    "input field": FILL_ROLES,
    "input": FILL_ROLES,
    "box": FILL_ROLES,
    "text box": FILL_ROLES,
    "textbox": FILL_ROLES,
    "text area": FILL_ROLES,
    "textarea": FILL_ROLES,
    "dropdown": SELECT_ROLES,
    "drop down": SELECT_ROLES,
    "combobox": SELECT_ROLES,
    "combo box": SELECT_ROLES,
    "list box": SELECT_ROLES,
    "listbox": SELECT_ROLES,
}
_ROLE_SUFFIX = re.compile(
    r"\s+("
    + "|".join(re.escape(w).replace(r"\ ", r"[\s-]") for w in sorted(_ROLE_WORDS, key=len, reverse=True))
    + r")\s*$",
    re.IGNORECASE,
)
_STOP_WORDS = frozenset(
    {"the", "a", "an", "to", "of", "for", "and", "or", "with", "your", "my", "this", "at", "by"}
)
_FUZZY_THRESHOLD = 0.8
_QUOTED = re.compile(r"""(?<!\w)'([^']+)'(?!\w)|"([^"]+)"|“([^”]+)”|‘([^’]+)’""")
_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_VALUE = r"""(?:'[^']*'|"[^"]*"|“[^”]*”|.+?)"""
_INTENT_TARGETS = (
    re.compile(rf"^(?:type|enter|input|write)\s+(?:{_VALUE}\s+)??(?:into|in|on)\s+(?P<target>.+)$", re.I),
    re.compile(r"^fill(?:\s+(?:in|out))?\s+(?P<target>.+?)(?:\s+with\s+.+)?$", re.I),
    re.compile(rf"^(?:select|choose|pick)\s+{_VALUE}\s+(?:in|from)\s+(?P<target>.+)$", re.I),
)
_LEADING_VERB = re.compile(
    r"^(?:(?:double|right)[\s-]?click|click|tap|press|hit|push|select|choose|pick|check|uncheck|tick|untick"
    r"|toggle|hover|submit|focus|follow|activate)(?:\s+(?:on|over|at))?\s+",
    re.IGNORECASE,
)


class Tier(IntEnum):
    """How a name matched a target; a higher tier always wins."""

    FUZZY = 1
    TOKENS = 2
    PHRASE = 3
    EXACT = 4


@dataclass(frozen=True)
class NameMatch:
    tier: Tier
    closeness: float  # within the tier, 0..1: how much of the name the target covers

    @property
    def score(self) -> float:
        base = {Tier.EXACT: 0.8, Tier.PHRASE: 0.7, Tier.TOKENS: 0.5, Tier.FUZZY: 0.3}[self.tier]
        return round(base + 0.2 * self.closeness, 4)


def normalise(text: str) -> str:
    """Casefolded words: punctuation and underscores become spaces, runs of space collapse."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", folded).split())


def _tokens(normalised: str) -> frozenset[str]:
    """Content words, with a plural "s" dropped so "filter" meets "filters"."""
    return frozenset(
        w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
        for w in normalised.split()
        if w not in _STOP_WORDS
    )


def match_name(target: str, name: str) -> NameMatch | None:
    """How well an accessible name matches a normalised target, or None when it does not."""
    n = normalise(name)
    if not n or not target:
        return None
    if n == target or n.replace(" ", "") == target.replace(" ", ""):
        return NameMatch(Tier.EXACT, 1.0)
    if f" {target} " in f" {n} ":
        return NameMatch(Tier.PHRASE, len(target) / len(n))
    wanted, offered = _tokens(target), _tokens(n)
    if wanted and offered:
        dice = 2 * len(wanted & offered) / (len(wanted) + len(offered))
        if dice > 0.5:  # "Sign in" vs "Sign up" is exactly 0.5 and must not match
            return NameMatch(Tier.TOKENS, dice)
    if 2 * min(len(n), len(target)) / (len(n) + len(target)) >= _FUZZY_THRESHOLD:
        ratio = SequenceMatcher(None, target, n, autojunk=False).ratio()
        if ratio >= _FUZZY_THRESHOLD:
            return NameMatch(Tier.FUZZY, ratio)
    return None


def split_role_hint(target: str) -> tuple[str, frozenset[str]]:
    """("Accept button") -> ("Accept", {"button"}); the hint is empty when no role word ends the target."""
    m = _ROLE_SUFFIX.search(target)
    if m is None or not target[: m.start()].strip():
        return target, frozenset()
    word = " ".join(re.split(r"[\s-]+", m.group(1).lower()))
    return target[: m.start()].strip(), _ROLE_WORDS[word]


def _unquote(text: str) -> str | None:
    """The first quoted part of `text`, if any."""
    m = _QUOTED.search(text)
    return next((g for g in m.groups() if g), None) if m else None


def _strip_quotes(text: str) -> str:
    text = text.strip()
    if len(text) > 2 and text[0] + text[-1] in ("''", '""', "“”", "‘’"):
        return text[1:-1].strip()
    return text


def target_from_intent(intent: str) -> str:
    """The control a step's words point at: "Click the 'Apply filters' button" -> "Apply filters"."""
    text = intent.strip().rstrip(".!?").strip()
    for pattern in _INTENT_TARGETS:
        m = pattern.match(text)
        if m:
            text = m.group("target")
            break
    else:
        text = _LEADING_VERB.sub("", text)
    quoted = _unquote(text)
    if quoted is not None:
        return quoted.strip()
    return split_role_hint(_ARTICLE.sub("", text).strip())[0]


def _visible(element: Element) -> bool:
    return element.box is None or (element.box[2] > 0 and element.box[3] > 0)


def _fits(element: Element, action: ActionKind, roles: frozenset[str]) -> bool:
    if element.role not in roles:
        return False
    # A <select> shows as a combobox with options; it can be chosen from but not typed into.
    return not (action == "fill" and element.role == "combobox" and element.options)


def _role_rank(element: Element, action: ActionKind) -> int:
    """Among fitting roles, the likelier kind: a plain text field to fill, a real <select> to choose from."""
    if element.role != "combobox":
        return 1
    return int(bool(element.options) == (action == "select"))


_RankKey = tuple[int, bool, bool, int, float, int]


def _rank(
    element: Element, index: int, match: NameMatch, action: ActionKind, roles: frozenset[str],
    hint: frozenset[str],
) -> _RankKey | None:
    """Sort key of a candidate; an element of a kind that does not take the action drops one tier."""
    fits = _fits(element, action, roles)
    tier = int(match.tier) if fits else int(match.tier) - 1
    if not fits and (action in _STRICT_ACTIONS or tier < Tier.TOKENS):
        return None
    return tier, fits, element.role in hint, _role_rank(element, action), match.closeness, -index


def ground(target: str, elements: list[Element], action: ActionKind) -> Grounding:
    """The visible, enabled element whose accessible name best matches `target` for `action`."""
    wanted = _strip_quotes(target)
    name, hint = split_role_hint(wanted)
    variants = {normalise(name), normalise(wanted)} - {""}
    if not variants:
        raise GroundingError(f"cannot {action} an empty target")
    roles = _ACTION_ROLES[action] | (hint if action not in _STRICT_ACTIONS else frozenset())
    best: tuple[_RankKey, Element, NameMatch] | None = None
    for index, element in enumerate(elements):
        if not element.name or element.disabled or not _visible(element):
            continue
        found = [m for v in variants if (m := match_name(v, element.name)) is not None]
        if not found:
            continue
        match = max(found, key=lambda m: (m.tier, m.closeness))
        key = _rank(element, index, match, action, roles, hint)
        if key is not None and (best is None or key > best[0]):
            best = (key, element, match)
    if best is None:
        raise GroundingError(_no_match(target, action, elements, variants, roles))
    return Grounding(element=best[1], score=best[2].score)


def _no_match(
    target: str, action: ActionKind, elements: list[Element], variants: set[str], roles: frozenset[str]
) -> str:
    def closeness(element: Element) -> tuple[float, bool]:
        n = normalise(element.name)
        ratio = max(SequenceMatcher(None, v, n, autojunk=False).ratio() for v in variants)
        return ratio, element.role in roles

    named = sorted((e for e in elements if e.name), key=closeness, reverse=True)[:3]
    if not named:
        return f"nothing to {action} matches {target!r}: the page shows no named elements"
    nearest = "; ".join(
        f"{e.role} {e.name[:60]!r}" + (" (disabled)" if e.disabled else "") for e in named
    )
    return f"nothing to {action} matches {target!r}; nearest: {nearest}"


# --- detect_visible -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Hint:
    """What a trailing word in a visibility question asks for.

    `container`: the role holds other content, so its whole text counts. `implicit`: the roles a plain
    container must hold to stand in for one (a banner is text with a button; a form has fields); None when
    only the named roles count, empty when any text mentioning the subject is enough.
    """

    roles: frozenset[str]
    container: bool = False
    implicit: frozenset[str] | None = None


# A plain container stands in for either when it holds text on the subject and a button.
_DIALOG = _Hint(frozenset({"dialog", "alertdialog"}), container=True, implicit=frozenset({"button"}))
_OVERLAY = _Hint(
    _DIALOG.roles | {"banner", "region", "complementary", "alert", "status"}, True, _DIALOG.implicit
)
_VISIBILITY_HINTS: dict[str, _Hint] = {
    **dict.fromkeys(("dialog", "popup", "pop up", "modal"), _DIALOG),
    **dict.fromkeys(("banner", "overlay", "notice", "prompt", "toast", "notification"), _OVERLAY),
    "form": _Hint(frozenset({"form", "search"}), container=True, implicit=FILL_ROLES),
    "message": _Hint(frozenset({"alert", "status", "alertdialog"}), container=True, implicit=frozenset()),
    "alert": _Hint(frozenset({"alert", "alertdialog"}), container=True, implicit=frozenset()),
    "table": _Hint(frozenset({"table", "grid"}), container=True),
    "list": _Hint(frozenset({"list", "listbox"}), container=True),
    "menu": _Hint(frozenset({"menu", "menubar"}), container=True),
    **dict.fromkeys(("button", "btn", "link"), _Hint(CLICK_ROLES)),
    **dict.fromkeys(("field", "input", "box", "textbox", "text box"), _Hint(FILL_ROLES)),
    **dict.fromkeys(("dropdown", "drop down"), _Hint(SELECT_ROLES)),
    "checkbox": _Hint(frozenset({"checkbox"})),
    "tab": _Hint(frozenset({"tab"})),
    "heading": _Hint(frozenset({"heading"})),
    **dict.fromkeys(("image", "picture", "photo", "logo"), _Hint(frozenset({"img"}))),
}
_QUESTION_WORDS = frozenset(
    {"is", "are", "was", "were", "does", "do", "did", "can", "could", "check", "whether", "if", "has",
     "have", "there", "see", "we", "i", "you"}
)
_VISIBILITY_WORDS = frozenset(
    {"visible", "visibly", "shown", "showing", "displayed", "displaying", "present", "appear", "appears",
     "appearing", "rendered", "exist", "exists", "onscreen", "any", "some", "the", "a", "an", "it", "this",
     "that", "they"}
)
_VISIBILITY_PHRASES = re.compile(
    r"^(?:does|do|did) (?:the |this )?(?:page|screen|site) (?:show|display|have|contain|include)s? "
    r"|\b(?:on (?:the |this )?(?:screen|page)|in view)\b"
)
# Words for one idea, so "cookie banner" finds a consent dialog and "login form" a "Sign in" heading.
_CONCEPTS = (
    ("cookie", re.compile(r"\b(?:cookies?|consent|privacy|gdpr)\b")),
    ("login", re.compile(r"\b(?:log ?in|sign ?in|log ?on)\b")),
    ("signup", re.compile(r"\b(?:sign ?up|register|registration|create account)\b")),
)


def _visibility_query(query: str) -> tuple[str, _Hint | None]:
    """("Is the login form shown?") -> ("login", form hint): the subject words and the kind asked for."""
    words = _VISIBILITY_PHRASES.sub(" ", normalise(query)).split()
    while words and words[0] in _QUESTION_WORDS:
        words.pop(0)
    words = [w for w in words if w not in _VISIBILITY_WORDS]
    for size in (2, 1):
        tail = " ".join(words[-size:])
        if len(words) >= size and tail in _VISIBILITY_HINTS:
            return " ".join(words[:-size]), _VISIBILITY_HINTS[tail]
    return " ".join(words), None


def _concepts(normalised: str) -> str:
    for canonical, pattern in _CONCEPTS:
        normalised = pattern.sub(canonical, normalised)
    return normalised


def _mentions(text: str, subject: str) -> bool:
    """Whether `text` speaks of the subject: the whole phrase, or every one of its content words."""
    said, wanted = _concepts(normalise(text)), _concepts(subject)
    if not said:
        return False
    if f" {wanted} " in f" {said} ":
        return True
    words = _tokens(wanted)
    return bool(words) and words <= _tokens(said)


def _prose(node: AriaNode) -> str:
    """A container's text without its links, which mostly point elsewhere ("Privacy policy")."""
    return " ".join(n.label() for n in node.walk() if n.role != "link")


def _with_ancestors(
    nodes: list[AriaNode], ancestors: tuple[AriaNode, ...] = ()
) -> Iterator[tuple[AriaNode, tuple[AriaNode, ...]]]:
    for node in nodes:
        yield node, ancestors
        yield from _with_ancestors(node.children, (*ancestors, node))


def _implicit(roots: list[AriaNode], subject: str, needs: frozenset[str]) -> bool:
    """A plain container standing in for the asked-for kind: text mentioning the subject, within three
    levels of a container (never the page root) that holds one of `needs`."""
    for node, ancestors in _with_ancestors(roots):
        if node.role in needs | {"link"} or not _mentions(node.label(), subject):
            continue
        if not needs:
            return True
        for ancestor in list(reversed(ancestors[1:]))[:3]:
            if any(d.role in needs for d in ancestor.walk()):
                return True
    return False


def detect_visible(query: str, observation: Observation) -> bool:
    """Whether the page shows what `query` asks about; false unless something rendered says so."""
    subject, hint = _visibility_query(query)
    if observation.text:
        roots = parse_aria_tree(observation.text)
    else:
        roots = [AriaNode(e.role, name=e.name, ref=e.ref) for e in observation.elements]
    nodes = [node for root in roots for node in root.walk()]
    if hint is None:
        return bool(subject) and any(_mentions(node.label(), subject) for node in nodes)
    for node in nodes:
        if node.role not in hint.roles:
            continue
        said = _prose(node) if hint.container else node.label()
        if not subject or _mentions(said, subject):
            return True
    return bool(subject) and hint.implicit is not None and _implicit(roots, subject, hint.implicit)


def detect_visible_on_screen(query: str, observation: Observation) -> bool:
    """On pixels there are no roles, only text: whether any text on the screen speaks of the subject."""
    subject, _hint = _visibility_query(query)
    return bool(subject) and any(_mentions(element.name, subject) for element in observation.elements)
