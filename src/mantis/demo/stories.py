"""The news site's stories, comments and users, generated from word lists and a fixed seed.

Titles follow the shapes that fill a real tech news front page ("Show HN: …", "Ask HN: …",
"… (2019)", "… [pdf]"), and every value comes from ``random.Random`` with constant seeds so a given
rank or item id shows the same story on every start.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

SEED = 1_907_2025
STORY_COUNT = 150
FIRST_ITEM_ID = 41_502_117
MAX_COMMENTS = 300
NOW = datetime(2025, 6, 2, 15, 0, tzinfo=UTC)  # the site's fixed "present", so ages never drift

TECH = (
    "Rust", "Go", "Python", "SQLite", "Postgres", "WebAssembly", "Linux", "Kubernetes", "Zig", "Erlang",
    "OCaml", "Common Lisp", "TypeScript", "Nix", "eBPF", "io_uring", "RISC-V", "CUDA", "LLVM", "Emacs",
    "htmx", "Elixir", "ZFS", "Wayland", "FreeBSD", "DuckDB", "Haskell", "C++", "Swift", "Lua",
)
VERSIONS = ("1.0", "2.0", "3.0", "0.14", "1.80", "3.13", "17", "6.10", "4.2", "25.05")
CONCEPTS = (
    "B-trees", "consistent hashing", "the TLS handshake", "CRDTs", "garbage collection", "Raft",
    "floating point", "transformers", "bloom filters", "memory allocators", "vector clocks", "SIMD",
    "database indexes", "DNS", "TCP congestion control", "git internals", "parser combinators",
)
VIRTUES = (
    "plain text", "boring technology", "print debugging", "feature flags", "small teams", "monorepos",
    "code review", "static sites", "cron jobs", "writing things down",
)
THINGS = (
    "ray tracer", "text editor", "Lisp interpreter", "TCP stack", "key-value store", "regex engine",
    "Game Boy emulator", "SQL database", "web browser", "shell", "compiler", "chess engine",
)
VERDICTS = (
    "is still the right default", "is harder than it looks", "is quietly eating the world",
    "is not a silver bullet", "deserves a second look", "is better than you remember",
)
ACTIVITIES = (
    "running a one-person SaaS", "maintaining an open source library", "being on call",
    "writing compilers", "self-hosting everything", "teaching programming", "remote work",
)
COMPANIES = ("Fathom Labs", "Northwind", "Parabola Systems", "Quillstack", "Brightline", "Corvid Cloud")
COMPANY_NEWS = (
    "is shutting down its free tier", "open-sources its internal {thing}", "raises $40M to rebuild {tech}",
    "lays off 20% of staff", "postmortem: the June 1 outage", "moves its backend from {tech} to {tech2}",
)
NAME_HEADS = ("Tide", "Quill", "Ember", "Moth", "Lumen", "Pebble", "Drift", "Kestrel", "Sable", "Fern",
              "Cobalt", "Orbit", "Marrow", "Vesper", "Juniper")
NAME_TAILS = ("", "DB", "kit", "ly", "base", "flow", "stack", "sh")
TAGLINES = (
    "A {thing} written in {tech}", "Self-hosted analytics in a single binary",
    "I built a {thing} that runs in the browser", "Open-source alternative to Notion with offline sync",
    "Type-safe SQL for {tech}", "A terminal UI for {tech}", "Turn any website into an RSS feed",
    "Local-first note taking with CRDTs",
)
QUESTIONS = (
    "How do you keep up with {tech} without burning out?", "What's your favorite underrated tool?",
    "Is it still worth learning {tech} in 2025?", "How do you deal with on-call fatigue on small teams?",
    "Those who switched from {tech} to {tech2}, any regrets?", "What are you working on this month?",
    "How do you document architecture decisions?", "Best resources to understand {concept}?",
)
PAPER_TOPICS = (
    "Practical lock-free hash tables for multicore systems", "Verified compilation of {tech} programs",
    "A survey of {concept} in production systems", "Learned index structures revisited",
    "Formal semantics for {tech}", "Efficient incremental parsing for editors",
)
BLOG_DOMAINS = (
    "example-blog.dev", "systemsnotes.dev", "deepdive.example.com", "blog.parabola.example",
    "lowlevel.example.org", "tinycompilers.dev", "ops-journal.dev", "weekly-digest.example.net",
    "bitrot.example.org", "engineering.northwind.example", "fieldguide.dev", "kernelnewbies.example",
)
USER_HEADS = ("quiet", "lazy", "rusty", "cold", "async", "null", "fuzzy", "tiny", "grumpy", "static",
              "dark", "old", "eager", "pure", "sparse")
USER_TAILS = ("otter", "lambda", "pointer", "kernel", "heron", "cursor", "monad", "byte", "fox", "lisp",
              "daemon", "thunk", "yak", "socket", "tensor")
SENTENCES = (
    "I ran into exactly this last year and ended up rewriting the whole thing.",
    "The benchmark numbers look good, but I'd love to see p99 latency instead of averages.",
    "This matches my experience, although the tooling has improved a lot since then.",
    "Counterpoint: most teams never hit the scale where any of this matters.",
    "The original paper is worth reading, it's surprisingly approachable.",
    "We tried this in production and the operational overhead killed it.",
    "Honestly the documentation is the best part of this project.",
    "I'm not convinced. The hard part was never the code, it was the migration.",
    "Does anyone know how this compares to the approach Postgres takes?",
    "Great write-up. The diagrams alone made it click for me.",
    "This is the kind of post that keeps me coming back here.",
    "Small nit: the second example has an off-by-one in the loop bounds.",
    "The licensing change is what worries me, not the technology.",
    "I maintain a similar library and can confirm the edge cases are brutal.",
    "It's funny how every decade rediscovers the same ideas with new names.",
    "Worth noting that the author addressed most of these points in a follow-up post.",
    "My team switched last quarter; build times dropped from eleven minutes to two.",
    "Is there a recording of the talk this is based on?",
    "The real lesson here is to measure before optimizing.",
    "Reminds me of the old Unix philosophy: do one thing and do it well.",
)
ASK_BODIES = (
    "I've been doing this for about six years and I'm curious how others approach it.",
    "Our team is five engineers and we keep going back and forth on this.",
    "Looking for honest experiences, not marketing pages.",
    "Bonus points for anything that worked at a company smaller than fifty people.",
)


@dataclass(frozen=True)
class Story:
    """One submission; ``url`` is None for Ask HN posts, which link to their own discussion."""

    id: int
    title: str
    url: str | None
    domain: str
    user: str
    points: int
    age_minutes: int
    comment_count: int
    text: str

    @property
    def rank_score(self) -> float:
        """The classic front-page gravity formula: votes decay with age."""
        return (self.points - 1) / math.pow(self.age_minutes / 60 + 2, 1.8)


@dataclass(frozen=True)
class Comment:
    """One comment in a story's thread; ``depth`` 0 is a top-level reply."""

    id: int
    user: str
    age_minutes: int
    depth: int
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class User:
    """A commenter's public profile."""

    name: str
    karma: int
    created: datetime


def age_label(minutes: int) -> str:
    """"3 hours ago" in the site's own words."""
    for size, unit in ((1440, "day"), (60, "hour"), (1, "minute")):
        if minutes >= size:
            count = minutes // size
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"


def timestamp(minutes: int) -> datetime:
    """When something ``minutes`` old was posted, relative to the fixed present."""
    return NOW - timedelta(minutes=minutes)


def _slug(title: str) -> str:
    return "-".join("".join(ch if ch.isalnum() else " " for ch in title.lower()).split())


def _fill(rng: random.Random, template: str) -> str:
    tech, tech2 = rng.sample(TECH, 2)
    return template.format(
        tech=tech, tech2=tech2, thing=rng.choice(THINGS), concept=rng.choice(CONCEPTS)
    )


def _article_title(rng: random.Random) -> str:
    shape = rng.randrange(8)
    tech = rng.choice(TECH)
    if shape == 0:
        return f"Why {tech} {rng.choice(VERDICTS)}"
    if shape == 1:
        bill = rng.choice(("AWS", "CI", "logging", "Postgres"))
        return f"How we cut our {bill} bill by {rng.randint(30, 90)}%"
    if shape == 2:
        return f"The unreasonable effectiveness of {rng.choice(VIRTUES)}"
    if shape == 3:
        return f"{tech} {rng.choice(VERSIONS)} released"
    if shape == 4:
        return f"Writing a {rng.choice(THINGS)} in {rng.randint(2, 9) * 100} lines of {tech}"
    if shape == 5:
        return f"A visual guide to {rng.choice(CONCEPTS)}"
    if shape == 6:
        return f"Lessons from {rng.randint(3, 20)} years of {rng.choice(ACTIVITIES)}"
    return f"{rng.choice(COMPANIES)} {_fill(rng, rng.choice(COMPANY_NEWS))}"


def _story_fields(rng: random.Random, user: str) -> tuple[str, str | None, str, str]:
    """Title, URL, shown domain and self-text for one story of a randomly chosen shape."""
    roll = rng.random()
    if roll < 0.12:
        name = rng.choice(NAME_HEADS) + rng.choice(NAME_TAILS)
        title = f"Show HN: {name} – {_fill(rng, rng.choice(TAGLINES))}"
        if rng.random() < 0.5:
            return title, f"https://github.com/{user}/{name.lower()}", f"github.com/{user}", ""
        domain = f"{name.lower()}.{rng.choice(('dev', 'app', 'io'))}"
        return title, f"https://{domain}/", domain, ""
    if roll < 0.2:
        body = " ".join(rng.sample(ASK_BODIES, 2))
        return f"Ask HN: {_fill(rng, rng.choice(QUESTIONS))}", None, "", body
    if roll < 0.28:
        title = f"{_fill(rng, rng.choice(PAPER_TOPICS))} [pdf]"
        paper = f"{rng.randint(18, 25)}{rng.randint(1, 12):02d}.{rng.randint(1000, 29999):05d}"
        return title, f"https://arxiv.org/pdf/{paper}", "arxiv.org", ""
    title = _article_title(rng)
    domain = rng.choice(BLOG_DOMAINS)
    if roll < 0.4:
        year = rng.randint(1998, 2021)
        return f"{title} ({year})", f"https://{domain}/{year}/{_slug(title)}.html", domain, ""
    return title, f"https://{domain}/posts/{_slug(title)}", domain, ""


@cache
def all_users() -> tuple[User, ...]:
    """Everyone who posts or comments, with a stable karma and sign-up date."""
    rng = random.Random(SEED + 1)
    names = sorted({f"{head}{tail}" for head in USER_HEADS for tail in USER_TAILS})
    chosen = rng.sample(names, 60)
    return tuple(
        User(name, int(rng.paretovariate(0.9) * 40), NOW - timedelta(days=rng.randint(40, 5800)))
        for name in chosen
    )


@cache
def all_stories() -> tuple[Story, ...]:
    """Every story, in submission order (oldest first); the views sort them as they need."""
    rng = random.Random(SEED)
    users = [user.name for user in all_users()]
    ages = sorted((rng.randint(3, 2 * 1440) for _ in range(STORY_COUNT)), reverse=True)
    stories: list[Story] = []
    item_id = FIRST_ITEM_ID
    for age in ages:
        user = rng.choice(users)
        title, url, domain, text = _story_fields(rng, user)
        points = max(1, min(1800, int(rng.paretovariate(1.1) * 6 + age / 40)))
        comments = min(MAX_COMMENTS, int(points * rng.uniform(0.0, 0.8)))
        stories.append(Story(item_id, title, url, domain, user, points, age, comments, text))
        item_id += rng.randint(MAX_COMMENTS + 200, 4000)
    return tuple(stories)


def find_story(item_id: int) -> Story | None:
    """The story with this item id, or None."""
    return next((story for story in all_stories() if story.id == item_id), None)


def find_user(name: str) -> User | None:
    """The user with this name, or None."""
    return next((user for user in all_users() if user.name == name), None)


def _paragraphs(rng: random.Random) -> tuple[str, ...]:
    """One to four distinct sentences, split into one or two paragraphs."""
    sentences = rng.sample(SENTENCES, rng.randint(1, 4))
    cut = rng.randint(1, len(sentences))
    return tuple(" ".join(part) for part in (sentences[:cut], sentences[cut:]) if part)


def comments_for(story: Story) -> list[Comment]:
    """The story's thread in display order, seeded by the story id so it never changes."""
    rng = random.Random(SEED * 31 + story.id)
    users = [user.name for user in all_users()]
    children: dict[int | None, list[int]] = {}
    raw: list[tuple[int, int, str]] = []  # (age in minutes, depth, user) by comment index
    for index in range(story.comment_count):
        parent = None if index == 0 or rng.random() < 0.35 else rng.randrange(index)
        if parent is not None and raw[parent][1] >= 5:
            parent = None
        depth = 0 if parent is None else raw[parent][1] + 1
        limit = story.age_minutes if parent is None else raw[parent][0]
        raw.append((rng.randint(max(1, limit // 3), max(1, limit - 1)), depth, rng.choice(users)))
        children.setdefault(parent, []).append(index)
    texts = [_paragraphs(rng) for _ in raw]
    ordered: list[Comment] = []

    def walk(parent: int | None) -> None:
        """Depth-first, so each reply follows its parent as threads are read."""
        for index in children.get(parent, []):
            age, depth, user = raw[index]
            ordered.append(Comment(story.id + 1 + index, user, age, depth, texts[index]))
            walk(index)

    walk(None)
    return ordered
