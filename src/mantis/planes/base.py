"""What a compute plane is: a small session protocol, with the capabilities each plane declares."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from mantis.fence.policy import Fence

DOM_AWARE = "dom_aware"
# One scroll step on every plane: 5 wheel clicks of 120 px, 600 px (the DOM plane wheels the same distance).
WHEEL_CLICKS_PER_SCROLL = 5

Box = tuple[float, float, float, float]  # x, y, width, height in CSS pixels
ActionKind = Literal["click", "fill", "select", "press", "scroll", "hover", "type"]
# What of the page's text an observation reads, where reading costs (OCR on the computer plane): none (a
# model that sees the screenshot), the screen as it is, or the whole page (an extraction). A DOM-aware
# plane's tree and html hold the whole page at no extra cost, so it reads them whatever is asked.
Reading = Literal["none", "screen", "page"]


@dataclass(frozen=True)
class Element:
    """One node of the page's accessibility tree that a step could act on or read."""

    ref: str
    role: str
    name: str
    disabled: bool = False
    checked: bool | None = None
    url: str | None = None
    options: tuple[str, ...] = ()
    box: Box | None = None


@dataclass
class Observation:
    """What the brain sees of the page: the tree on a DOM-aware plane, pixels on the computer plane."""

    url: str
    title: str = ""
    elements: list[Element] = field(default_factory=list)
    html: str | None = None
    screenshot: bytes | None = None
    text: str | None = None


@dataclass(frozen=True)
class Action:
    """One thing to do on the page; `ref` targets an element, `point` a screen position. A negative
    scroll `amount` scrolls up; `type` types into whatever has the focus."""

    kind: ActionKind
    ref: str | None = None
    point: tuple[int, int] | None = None
    text: str = ""
    key: str = ""
    amount: int = 0


@dataclass(frozen=True)
class SessionConfig:
    run_dir: Path
    viewport: tuple[int, int] = (1280, 800)
    locale: str | None = None
    timezone: str | None = None
    record_video: bool = False
    profile_dir: Path | None = None
    proxy: str | None = None  # http://user:password@host:port (see planes/proxy.py)
    fence: Fence = field(default_factory=Fence)  # every request of the session's browser passes it
    video_fps: int = 5  # the raw recording's frame rate where the plane can set it


@dataclass(frozen=True)
class Recording:
    """A raw recording as the session left it, with what placing the trace on it takes: when its first
    frame was taken, and where the page's top-left corner sits in its picture."""

    path: Path
    started: float  # time.monotonic() at the first frame
    origin: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class Placement:
    """Where an element is on screen, and whether it is a password field (what is typed there is secret)."""

    box: Box
    secret: bool = False


class PlaneError(Exception):
    """A plane could not do what a step asked; the message says what and why."""


class NavigationBlocked(PlaneError):
    """A top-level page the fence refused (off the allowlist, a private address, not http); the step
    that led there fails with `domain_not_allowed`."""


class Session(Protocol):
    async def navigate(self, url: str, timeout_s: float) -> None: ...

    async def go_back(self, timeout_s: float) -> None: ...

    async def observe(
        self, *, html: bool = False, screenshot: bool = False, read: Reading = "screen", within_s: float = 0.0
    ) -> Observation:
        """`within_s`: seconds a reading of the whole page may take, where it costs (0: no bound)."""
        ...

    async def act(self, action: Action, timeout_s: float) -> None: ...

    async def wait(self, seconds: float) -> None: ...

    async def screenshot(self, path: Path) -> None: ...

    async def frame(self) -> bytes:
        """The screen now, as a JPEG, for the live viewer."""
        ...

    async def current_url(self) -> str: ...

    async def close(self) -> list[Recording]:
        """Ends the session and returns the recordings it made."""
        ...


class Plane(Protocol):
    name: str
    capabilities: frozenset[str]

    async def open(self, config: SessionConfig) -> Session: ...

    async def shutdown(self) -> None: ...


@runtime_checkable
class DomAwareSession(Protocol):
    """What only a DOM-aware plane offers: tabs, anchor reads without clicking, semantic role lookup."""

    async def peek_href(
        self, ref: str | None = None, css: str | None = None, index: int = 0
    ) -> str | None: ...

    async def click_css(self, css: str, index: int, timeout_s: float) -> str: ...

    async def open_tab(self, url: str, timeout_s: float) -> int: ...

    async def switch_tab(self, index: int) -> str: ...

    async def close_tab(self) -> str: ...

    async def tabs(self) -> tuple[list[str], int]:
        """The open tabs' URLs and the active one's index, for a checkpoint."""
        ...

    async def place(self, ref: str) -> Placement | None: ...

    async def record_boxes(self, records: list[list[str]]) -> list[Box | None]: ...


@runtime_checkable
class ScreenshotsBehind(Protocol):
    """A session that takes a step's screenshot while the run goes on reading the page, and makes the
    next change to the page wait for it (the DOM plane); a run's end waits for it too (`close`)."""

    def screenshot_behind(self, path: Path) -> asyncio.Task[None]: ...
