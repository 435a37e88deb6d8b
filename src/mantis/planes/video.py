"""Points Playwright's video recorder at Debian's ffmpeg, since `playwright install` cannot run here."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import playwright


def ensure_playwright_ffmpeg(fallback_dir: Path) -> bool:
    """Links the ffmpeg Playwright expects to the system's; False when there is no system ffmpeg."""
    system_ffmpeg = shutil.which("ffmpeg")
    if system_ffmpeg is None:
        return False
    browsers_json = Path(playwright.__file__).parent / "driver" / "package" / "browsers.json"
    revision = next(
        b["revision"] for b in json.loads(browsers_json.read_text())["browsers"] if b["name"] == "ffmpeg"
    )
    root = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache" / "ms-playwright")
    for candidate in (root, fallback_dir):
        target = candidate / f"ffmpeg-{revision}" / "ffmpeg-linux"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                target.symlink_to(system_ffmpeg)
        except OSError:
            continue
        os.environ["PLAYWRIGHT_BROWSERS_PATH"] = str(candidate)
        return True
    return False
