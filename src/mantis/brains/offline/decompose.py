"""Plans from plain English without a model: a small controlled English, one sentence per step.

A sentence outside it is refused, quoted, with the accepted forms listed, so a run fails as
`model_required` instead of guessing at what prose meant. docs/client/plan-text.md documents the forms.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pydantic import ValidationError

from mantis.brains.offline.ground import normalise, split_role_hint
from mantis.plans.models import ExtractField, ExtractSpec, FieldType, Step
from mantis.steps import make_step
from mantis.steps.control import IfElse

FORMS = """Accepted sentences, one step each, separated by '. ', ';', a new line or ', then ':
  go to URL | open URL | navigate to URL        (URL: https://..., http://..., a domain, or /path)
  click X | tap X | press the X button
  submit X
  type 'text' into X | fill X with 'text' | enter 'text' in X
  select OPTION in X | choose OPTION from X
  press KEY                                     (Enter, Tab, Escape, ArrowDown, Control+A, ...)
  scroll down [N times]
  wait N seconds
  go back
  extract a, b and c [of | from each of] the first N things   (or: extract a and b, for one row)
  if X is visible, <one sentence above>"""


class DecomposeError(ValueError):
    """A plan text the controlled English cannot read; the message quotes the sentence and says why."""


_QUOTED = r"""(?:(?<!\w)'[^'\n]*'(?!\w)|"[^"\n]*"|“[^”\n]*”|‘[^’\n]*’)"""
_QUOTED_SPAN = re.compile(_QUOTED)
_VALUE = rf"(?:{_QUOTED}|.+?)"
_SEPARATOR = re.compile(r"\.\s+|;|\n|,?\s+(?:and\s+)?then\s+", re.IGNORECASE)
_LEAD_IN = re.compile(r"^(?:(?:and\s+)?then|and|next|finally|first)\s*,?\s+", re.IGNORECASE)
_CONDITION = r"(?:is|are)\s+(?:visible|shown|displayed|present)"
_IF = re.compile(rf"^if\s+(?P<what>.+?)\s+{_CONDITION}\s*,\s*(?P<then>.+)$", re.IGNORECASE)
_BARE_CONDITION = re.compile(rf"^if\s+.+\s+{_CONDITION}$", re.IGNORECASE)
_URL = re.compile(r"^(?:https?://\S+|/\S*)$", re.IGNORECASE)
_DOMAIN = re.compile(r"^(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?::\d+)?(?:/\S*)?$", re.IGNORECASE)
_KEYS = {
    "enter": "Enter", "return": "Enter", "tab": "Tab", "escape": "Escape", "esc": "Escape",
    "space": "Space", "spacebar": "Space", "backspace": "Backspace", "delete": "Delete", "del": "Delete",
    "home": "Home", "end": "End", "page up": "PageUp", "pageup": "PageUp", "page down": "PageDown",
    "pagedown": "PageDown", "insert": "Insert",
    **{d: f"Arrow{d.title()}" for d in ("up", "down", "left", "right")},
    **{f"arrow {d}": f"Arrow{d.title()}" for d in ("up", "down", "left", "right")},
    **{f"arrow{d}": f"Arrow{d.title()}" for d in ("up", "down", "left", "right")},
    **{f"{d} arrow": f"Arrow{d.title()}" for d in ("up", "down", "left", "right")},
    **{f"f{n}": f"F{n}" for n in range(1, 13)},
}
_MODIFIERS = {"ctrl": "Control", "control": "Control", "cmd": "Meta", "command": "Meta", "meta": "Meta",
              "alt": "Alt", "option": "Alt", "shift": "Shift"}
_COUNTS = {"once": 1, "twice": 2, "thrice": 3}
# A field whose last word is one of these holds a number; "phone number" is an identifier, so "number"
# counts only in front ("number of comments").
_INT_LAST_WORDS = frozenset(
    {"count", "counts", "points", "rank", "ranking", "price", "year", "votes", "score", "quantity", "qty"}
)
_INT_FIRST_WORDS = frozenset({"number", "num", "count", "total"})


def _value(text: str) -> str:
    """The text with one pair of surrounding quotes removed."""
    text = text.strip()
    if len(text) >= 2 and _QUOTED_SPAN.fullmatch(text):
        return text[1:-1]
    return text


def _label(text: str, sentence: str, extra_suffix: str = "") -> str:
    """A control's name as written: quotes win, else "the" and a trailing role word ("button") go."""
    text = re.sub(r"^(?:the|a|an)\s+", "", text.strip(), flags=re.IGNORECASE)
    quoted = _QUOTED_SPAN.search(text)
    if quoted:
        label = _value(quoted.group(0)).strip()
    else:
        if extra_suffix:
            text = re.sub(rf"(?<=\S)\s+{extra_suffix}$", "", text, flags=re.IGNORECASE)
        label = split_role_hint(text)[0].strip()
    if not label:
        raise DecomposeError(f"{sentence!r} does not name what to act on.\n{FORMS}")
    return label


def _url(text: str, sentence: str, verb: str) -> str:
    url = _value(text)
    if _URL.match(url):
        return url
    if _DOMAIN.match(url):
        return f"https://{url}"
    raise DecomposeError(
        f"{sentence!r}: {verb!r} needs a URL (https://..., http://..., a domain or a /path), "
        f"and {url!r} is not one; without a model the plan cannot find a site from a description.\n{FORMS}"
    )


def _key(text: str) -> str | None:
    """Playwright's name for a key or chord ("ctrl+a" -> "Control+a"); None when it names no key."""
    words = re.sub(r"^(?:the\s+)|\s+key$", "", _value(text).strip().lower())
    parts = [p.strip() for p in words.split("+")]
    *mods, last = parts
    if any(m not in _MODIFIERS for m in mods):
        return None
    key = _KEYS.get(" ".join(last.split()))
    if key is None and mods and len(last) == 1:
        key = last
    return "+".join([*(_MODIFIERS[m] for m in mods), key]) if key else None


def _number(value: float) -> int | float:
    return int(value) if value.is_integer() else value


def _snake(text: str) -> str:
    return normalise(text).replace(" ", "_")


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if re.search(r"(?:ss|x|ch|sh)es$", word):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _field_type(name: str) -> FieldType:
    words = name.split("_")
    return "int" if words[-1] in _INT_LAST_WORDS or words[0] in _INT_FIRST_WORDS else "str"


def _extract_spec(fields_text: str, count: str | None, entity: str | None, sentence: str) -> ExtractSpec:
    parts = re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", fields_text.strip())
    names = [_snake(re.sub(r"^(?:the|its|their|each)\s+", "", p.strip(), flags=re.IGNORECASE)) for p in parts]
    if not all(names):
        raise DecomposeError(f"{sentence!r} lists an empty field name.\n{FORMS}")
    plural = _snake(entity) if entity else "items"
    try:
        return ExtractSpec(
            schema_name=plural,
            entity_name=_singular(plural),
            fields=[ExtractField(name=n, type=_field_type(n), required=i == 0) for i, n in enumerate(names)],
            max_items=int(count) if count else None,
        )
    except ValidationError as exc:
        reason = "; ".join(str(e["msg"]) for e in exc.errors())
        raise DecomposeError(f"{sentence!r}: {reason}.\n{FORMS}") from exc


# "the first 5 stories [from Hacker News] with a, b", "a and b of [each of] the first 3 listings
# [on the page]", "a and b [from the page]"; where the things come from stays out of the entity's name.
_SOURCE = r"(?:\s+(?:from|on|at|in)\s+.+?)?"
_EXTRACT_FORMS = (
    re.compile(rf"^(?:the\s+)?(?:first|top)\s+(?P<n>\d+)\s+(?P<entity>.+?){_SOURCE}\s+(?:with|including)"
               r"\s+(?P<fields>.+)$", re.IGNORECASE),
    re.compile(r"^(?P<fields>.+?)\s+(?:of|from|for)\s+(?:each\s+of\s+)?the\s+(?:first|top)\s+(?P<n>\d+)"
               rf"(?:\s+(?P<entity>.+?){_SOURCE})?$", re.IGNORECASE),
    re.compile(r"^(?P<fields>.+?)(?:\s+(?:from|on|of)\s+(?:the|this)\s+page)?$", re.IGNORECASE),
)


def _extract(m: re.Match[str], sentence: str) -> Step:
    # The last form matches any text, so one always does.
    found = next(f for f in (form.match(m.group("body")) for form in _EXTRACT_FORMS) if f)
    groups = found.groupdict()
    spec = _extract_spec(groups["fields"], groups.get("n"), groups.get("entity"), sentence)
    return make_step(type="extract_data", intent=sentence, extract=spec)


def _navigate(m: re.Match[str], sentence: str) -> Step:
    url = _url(m.group("url"), sentence, m.group("verb"))
    return make_step(type="navigate", intent=sentence, params={"url": url})


def _click(m: re.Match[str], sentence: str) -> Step:
    return make_step(type="click", intent=sentence, params={"label": _label(m.group("label"), sentence)})


def _submit(m: re.Match[str], sentence: str) -> Step:
    label = _label(m.group("label"), sentence, "form")
    return make_step(type="submit", intent=sentence, params={"label": label})


def _fill(m: re.Match[str], sentence: str) -> Step:
    params = {"label": _label(m.group("label"), sentence), "text": _value(m.group("text"))}
    return make_step(type="fill", intent=sentence, params=params)


def _select(m: re.Match[str], sentence: str) -> Step:
    params = {"label": _label(m.group("label"), sentence), "option": _value(m.group("option"))}
    return make_step(type="select", intent=sentence, params=params)


def _press(m: re.Match[str], sentence: str) -> Step:
    """A key name presses the key; anything else is a control to click ("press the Search button")."""
    key = _key(m.group("what"))
    if key is not None:
        return make_step(type="press", intent=sentence, params={"key": key})
    return make_step(type="click", intent=sentence, params={"label": _label(m.group("what"), sentence)})


def _scroll(m: re.Match[str], sentence: str) -> Step:
    count = m.group("n") or "1"
    return make_step(type="scroll", intent=sentence, budget=_COUNTS.get(count.lower()) or int(count))


def _wait(m: re.Match[str], sentence: str) -> Step:
    seconds = float(m.group("n")) / (1000 if m.group("unit").lower().startswith("m") else 1)
    return make_step(type="wait", intent=sentence, params={"seconds": _number(seconds)})


def _go_back(m: re.Match[str], sentence: str) -> Step:
    return make_step(type="go_back", intent=sentence)


Builder = Callable[[re.Match[str], str], Step]
_FORMS: tuple[tuple[re.Pattern[str], Builder], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), build)
    for pattern, build in (
        (r"^go\s+back(?:\s+to\s+the\s+previous\s+page)?$", _go_back),
        (r"^(?P<verb>go\s+to|open|navigate\s+to|visit)\s+(?P<url>.+)$", _navigate),
        (r"^(?:click|tap)(?:\s+on)?\s+(?P<label>.+)$", _click),
        (r"^(?:press|push|hit)\s+(?P<what>.+)$", _press),
        (r"^submit\s+(?P<label>.+)$", _submit),
        (rf"^(?:type|enter|input|write)\s+(?P<text>{_VALUE})\s+(?:into|in|on)\s+(?P<label>.+)$", _fill),
        (rf"^fill(?:\s+in)?\s+(?P<label>.+?)\s+with\s+(?P<text>{_VALUE})$", _fill),
        (rf"^(?:select|choose|pick)\s+(?P<option>{_VALUE})\s+(?:in|from)\s+(?P<label>.+)$", _select),
        (r"^scroll(?:\s+down)?(?:\s+(?P<n>\d+|once|twice|thrice)(?:\s+times?)?)?$", _scroll),
        (r"^wait(?:\s+for)?\s+(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>seconds?|secs?|s|milliseconds?|ms)$", _wait),
        (r"^extract\s+(?P<body>.+)$", _extract),
    )
)


def _sentences(text: str) -> list[str]:
    """Split on the separators, never inside quotes; "if X is visible then Y" stays one sentence."""
    spans: list[str] = []

    def hide(m: re.Match[str]) -> str:
        spans.append(m.group(0))
        return f"\0{len(spans) - 1}\0"

    masked = _QUOTED_SPAN.sub(hide, text)
    pieces = [re.sub(r"\0(\d+)\0", lambda m: spans[int(m.group(1))], p) for p in _SEPARATOR.split(masked)]
    sentences: list[str] = []
    for piece in pieces:
        piece = _LEAD_IN.sub("", piece.strip()).rstrip(".!").strip()
        if not piece:
            continue
        if sentences and _BARE_CONDITION.match(sentences[-1]):
            sentences[-1] = f"{sentences[-1]}, {piece}"
        else:
            sentences.append(piece)
    return sentences


def _step(sentence: str) -> Step:
    for pattern, build in _FORMS:
        m = pattern.match(sentence)
        if m:
            return build(m, sentence)
    raise DecomposeError(
        f"cannot plan {sentence!r} without a model: it is not one of the accepted forms.\n{FORMS}"
    )


def _conditional(m: re.Match[str], sentence: str, at: int, names: set[str]) -> list[Step]:
    """detect_visible -> if_else -> the action; the else branch jumps past the action."""
    what = _value(re.sub(r"^(?:the|a|an)\s+", "", m.group("what").strip(), flags=re.IGNORECASE))
    then = m.group("then").strip()
    if _IF.match(then):
        raise DecomposeError(
            f"{sentence!r}: a condition may guard one plain sentence, not another 'if'.\n{FORMS}"
        )
    var = base = f"{_snake(what) or 'target'}_visible"
    suffix = 1
    while var in names:
        suffix += 1
        var = f"{base}_{suffix}"
    names.add(var)
    return [
        make_step(type="detect_visible", intent=f"{what} visible?", out_var=var),
        make_step(type="if_else", intent=f"If {what} is visible", condition_var=var, then_target=at + 2,
             else_target=at + 3),
        _step(then),
    ]


def decompose(text: str) -> list[Step]:
    """The steps `text` spells out in the controlled English; DecomposeError for anything else."""
    steps: list[Step] = []
    names: set[str] = set()
    for sentence in _sentences(text):
        m = _IF.match(sentence)
        steps.extend(_conditional(m, sentence, len(steps), names) if m else [_step(sentence)])
    if not steps:
        raise DecomposeError(f"the plan text is empty.\n{FORMS}")
    if any(isinstance(s, IfElse) and s.else_target == len(steps) for s in steps):
        # A jump past the last step would fall through into the guarded action; land on a no-op instead.
        steps.append(make_step(type="wait", intent="End of plan", params={"seconds": 0}))
    return steps
