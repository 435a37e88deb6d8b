"""The live viewer: signed, expiring URLs; frames taken only while someone watches; a run's screen
streamed as MJPEG while it lasts, without the tenant token, and closed once it ends."""

from __future__ import annotations

import asyncio
import io
import json
import time
from pathlib import Path

import httpx
from PIL import Image
from tests.conftest import Server

from mantis.viewer.hub import Feed
from mantis.viewer.signing import KEY_FILE, Signer

WAITING = [
    {"type": "navigate", "params": {"url": "/demo/news/"}},
    {"type": "wait", "params": {"seconds": 60}},
]


def test_a_signature_covers_the_run_and_the_expiry(tmp_path: Path) -> None:
    signer = Signer.for_home(tmp_path)
    assert (tmp_path / KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert Signer.for_home(tmp_path).sign("r1", 5) == signer.sign("r1", 5)  # the key is kept
    later = str(int(time.time()) + 60)
    good = signer.sign("r1", int(later))
    assert signer.valid("r1", later, good) and signer.valid("r1", later, good.upper())
    assert not signer.valid("r2", later, good)
    assert not signer.valid("r1", str(int(later) + 1), good)
    assert not signer.valid("r1", later, "0" * 64)
    assert not signer.valid("r1", later, "é" * 64)
    assert not signer.valid("r1", "²", good) and not signer.valid("r1", "", good)
    past = int(time.time()) - 1
    assert not signer.valid("r1", str(past), signer.sign("r1", past))
    assert not Signer(b"another key").valid("r1", later, good)


class CountingSource:
    def __init__(self) -> None:
        self.taken = 0

    async def frame(self) -> bytes:
        self.taken += 1
        return b"frame %d" % self.taken


async def test_frames_are_taken_only_while_someone_watches() -> None:
    source = CountingSource()
    feed = Feed(source, interval_s=0.01)
    await asyncio.sleep(0.05)
    assert source.taken == 0
    watcher = feed.frames()
    first, second = await anext(watcher), await anext(watcher)
    assert first != second
    await watcher.aclose()
    await asyncio.sleep(0.01)
    stopped_at = source.taken
    await asyncio.sleep(0.05)
    assert source.taken == stopped_at
    late = feed.frames()
    assert (await anext(late)).startswith(b"frame")
    await feed.close()
    assert [frame async for frame in late] == []  # closing ends every stream


def _frames(url: str, count: int) -> list[bytes]:
    """The first `count` JPEGs of the MJPEG stream at `url`."""
    found: list[bytes] = []
    buffer = b""
    with httpx.stream("GET", url, timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("multipart/x-mixed-replace")
        for chunk in response.iter_bytes():
            buffer += chunk
            while (start := buffer.find(b"\xff\xd8")) >= 0 and (end := buffer.find(b"\xff\xd9", start)) >= 0:
                found.append(buffer[start : end + 2])
                buffer = buffer[end + 2 :]
            if len(found) >= count:
                return found
    raise AssertionError(f"the stream ended after {len(found)} frames")


def test_a_runs_viewer_streams_while_it_lasts_and_closes_after(server: Server) -> None:
    queued = server.predict({"micro": WAITING, "compute_backend": "browser_use_plane", "live_viewer": True})
    run_id = queued.json()["run_id"]
    deadline = time.monotonic() + 60
    while "viewer_url" not in (status := server.status(run_id)):
        assert status["status"] in ("queued", "running") and time.monotonic() < deadline, status
        time.sleep(0.2)
    url = status["viewer_url"]
    assert url.startswith(f"{server.url}/v1/viewer/{run_id}?exp=")
    status_file = json.loads((server.home / "runs" / run_id / "status.json").read_text())
    assert status_file["viewer_url"].startswith(f"{server.url}/v1/viewer/{run_id}?")

    frames = _frames(url, 2)  # no tenant token: the URL is the credential
    assert all(Image.open(io.BytesIO(f)).format == "JPEG" for f in frames)
    assert Image.open(io.BytesIO(frames[0])).size == (1280, 800)

    signature = url.rsplit("sig=", 1)[1]
    forged = url.replace(signature, ("0" if signature[0] != "0" else "1") + signature[1:])
    assert httpx.get(forged).status_code == 403
    past = int(time.time()) - 5
    key = Signer.for_home(server.home)
    expired = f"{server.url}/v1/viewer/{run_id}?exp={past}&sig={key.sign(run_id, past)}"
    assert httpx.get(expired).status_code == 403
    assert httpx.get(f"{server.url}/v1/viewer/{run_id}").status_code == 403

    server.predict({"action": "cancel", "run_id": run_id})
    ended = server.wait(run_id, 30)
    assert ended["status"] == "cancelled" and "viewer_url" not in ended
    assert httpx.get(url).status_code == 410
    assert "viewer_url" not in json.loads((server.home / "runs" / run_id / "status.json").read_text())
