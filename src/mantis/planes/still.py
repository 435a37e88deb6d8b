"""Whether a tab can look other than it did when its last screenshot was taken.

A step that changes nothing on the page (an extraction: 8 of bench/speed.py's 20 steps) would be given
a new screenshot identical to the last one, at ~45 ms of the browser's CPU each (bench/README.md). A
watcher in the page counts whatever may change its picture: DOM mutations (but the hidden-element marks
extraction sets), input, focus, pointer, scroll, resize and load events; a page where something moves
without any of these (a running animation, an image still loading, web fonts arriving, a canvas, video,
marquee, SVG animation or a frame whose document the watcher does not see) is never taken as still. The
watcher is reached through a Playwright handle, so the page sees no new global. Not seen: an animated
GIF's next frame, a style sheet edited in place (`insertRule`), a field's value or check a script sets
with no event (docs/client/runs-and-polling.md says so).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import JSHandle, Page

# `state()` is null while the page may be moving; else a string that changes whenever the page may have.
_WATCH = """() => {
  let changes = 0;
  const id = `${performance.timeOrigin}:${Math.random()}`;  // this document's watcher, not a later one's
  const count = () => { changes += 1; };
  const counted = (records) => {
    if (records.some((r) => r.attributeName !== 'data-mantis-hidden')) count();
  };
  const observer = new MutationObserver(counted);
  observer.observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  const events = ['input', 'change', 'focusin', 'focusout', 'blur', 'focus', 'pointerover', 'pointerout',
    'pointerdown', 'pointerup', 'keydown', 'keyup', 'wheel', 'scroll', 'resize', 'load', 'error',
    'selectionchange', 'toggle', 'transitionrun', 'animationstart', 'play', 'fullscreenchange'];
  for (const type of events) {
    window.addEventListener(type, count, {capture: true, passive: true});
    document.addEventListener(type, count, {capture: true, passive: true});
  }
  const moving = ['iframe', 'frame', 'canvas', 'video', 'object', 'embed', 'marquee', 'animate',
    'animateMotion', 'animateTransform'].join(', ');
  return {
    state() {
      counted(observer.takeRecords());
      if (document.readyState !== 'complete' || document.fonts.status !== 'loaded'
          || document.getAnimations().some((a) => a.playState !== 'finished')
          || [...document.images].some((i) => !i.complete) || document.querySelector(moving)) return null;
      const where = [location.href, scrollX, scrollY, innerWidth, innerHeight, devicePixelRatio];
      return [id, changes, ...where].join(' ');
    },
  };
}"""

# A read of the watcher on a page that does not answer this soon is taken as a change (a new picture).
STATE_TIMEOUT_S = 5.0


@dataclass
class Pictured:
    """A tab's last screenshot and the page's state read just before it was taken."""

    page: Page
    state: str
    path: Path


@dataclass
class Stillness:
    """The watcher of each tab's document, and the last screenshot's state."""

    _watchers: dict[Page, JSHandle] = field(default_factory=dict)
    _last: Pictured | None = None

    async def state(self, page: Page) -> str | None:
        """The page's state now; None when it may be moving, does not answer in time (its watcher is
        kept for the next read: a busy page is no new document), or has no watcher yet (one is
        installed, so the next read can compare)."""
        watcher = self._watchers.get(page)
        if watcher is not None:
            try:
                return await asyncio.wait_for(watcher.evaluate("w => w.state()"), STATE_TIMEOUT_S)
            except TimeoutError:
                return None
            except PlaywrightError:  # its document is gone: the new one gets a watcher of its own
                pass
        with contextlib.suppress(PlaywrightError, TimeoutError):  # a new document: watched from now on
            watcher = await asyncio.wait_for(page.evaluate_handle(_WATCH), STATE_TIMEOUT_S)
            self._watchers[page] = watcher
            return await asyncio.wait_for(watcher.evaluate("w => w.state()"), STATE_TIMEOUT_S)
        self._watchers.pop(page, None)
        return None

    def unchanged(self, page: Page, state: str | None) -> Path | None:
        """The last screenshot, when it was of this tab in this same state."""
        last = self._last
        if state is None or last is None or last.page is not page or last.state != state:
            return None
        return last.path if last.path.exists() else None

    def taken(self, page: Page, state: str | None, path: Path) -> None:
        self._last = Pictured(page, state, path) if state is not None else None

    def forget(self, page: Page) -> None:
        self._watchers.pop(page, None)
