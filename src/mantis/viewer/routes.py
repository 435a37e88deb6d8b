"""`GET /v1/viewer/{run_id}?exp=&sig=`: the run's screen as MJPEG, which a browser shows as it comes.
No tenant token: the signature is the credential, so it is checked before anything about the run is
told (a forged or expired URL gets 403 whether or not the run exists)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from mantis.api.errors import ApiError
from mantis.viewer.hub import Feed, ViewerHub

BOUNDARY = "frame"

router = APIRouter()


@router.get("/v1/viewer/{run_id}", include_in_schema=False)
async def viewer(run_id: str, request: Request, exp: str = "", sig: str = "") -> StreamingResponse:
    hub: ViewerHub = request.app.state.services.viewers
    if not hub.signer.valid(run_id, exp, sig):
        raise ApiError(403, "invalid_signature", "this viewer URL is not valid or has expired")
    feed = hub.feed(run_id)
    if feed is None:
        raise ApiError(410, "viewer_closed", f"run {run_id} has no live viewer: it has ended")
    return StreamingResponse(
        _mjpeg(feed),
        media_type=f"multipart/x-mixed-replace; boundary={BOUNDARY}",
        # The URL is the credential: keep it out of caches and other sites' Referer headers.
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


async def _mjpeg(feed: Feed) -> AsyncIterator[bytes]:
    async for frame in feed.frames():
        head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(frame)}\r\n\r\n"
        yield head.encode() + frame + b"\r\n"
