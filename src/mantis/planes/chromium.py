"""How the computer plane starts Chromium: a normal window (kiosk has no address bar to navigate
with), its own profile, locale and proxy, and no automation switch a page could notice."""

from __future__ import annotations

from pathlib import Path

from mantis.planes.base import SessionConfig

CHROMIUM = "/usr/lib/chromium/chromium"  # the /usr/bin wrapper adds flags and a shell warning

# What every Chromium here needs, on both planes: root needs no sandbox, and with no network but loopback
# every background service would only fail.
BASE_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    # WebRTC would reach STUN and peers over UDP around the fence proxy: only proxied TCP is left.
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
)

FLAGS = (
    *BASE_FLAGS,
    "--no-default-browser-check",
    "--password-store=basic",
    "--test-type",  # hides the --no-sandbox warning bar, which would shift the page
    "--disable-session-crashed-bubble",
    "--disable-features=OptimizationHints,Translate",  # no model service, no bubble over the page
    "--window-position=0,0",
    "--remote-debugging-pipe",  # the plane's own view of each tab's URL (planes/devtools.py)
    # ...which alone would set navigator.webdriver: a person's browser is not under remote control.
    "--disable-blink-features=AutomationControlled",
    "--kiosk-printing",  # window.print() opens no preview whose buttons lead to a file dialog
)

# A page of one known colour: its first paint is unmistakable (the bare X root is black) and its
# edges give the exact position of the page under the tab strip and address bar.
MARKER_RGB = (255, 0, 255)
MARKER_URL = "data:text/html,<html style='background:%23ff00ff'></html>"


def chromium_argv(
    binary: str, config: SessionConfig, profile_dir: Path, window: tuple[int, int], proxy: str
) -> list[str]:
    """`proxy` is the session's fence proxy, never the upstream: a command line is readable by anyone on
    the host, and Chromium takes no proxy credentials there anyway."""
    argv = [
        binary,
        *FLAGS,
        f"--window-size={window[0]},{window[1]}",
        f"--user-data-dir={profile_dir}",
    ]
    if config.locale:
        # A person's browser lists the bare language after the regional one: de-DE, then de.
        language = config.locale.split("-")[0]
        accepted = config.locale if language == config.locale else f"{config.locale},{language}"
        argv += [f"--lang={config.locale}", f"--accept-lang={accepted}"]
    # Chromium sends loopback traffic around any proxy unless told otherwise.
    argv += [f"--proxy-server={proxy}", "--proxy-bypass-list=<-loopback>"]
    return [*argv, MARKER_URL]
