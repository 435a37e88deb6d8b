"""The run options of a submission (docs/client/plans.md, "Run options"), typed for callers' editors.

The server checks them; an unknown one is refused with `unknown_field`, never dropped silently."""

from __future__ import annotations

from typing import Any, Literal, TypedDict


class RunOptions(TypedDict, total=False):
    profile_id: str
    workflow_id: str
    state_key: str
    resume_state: bool
    max_cost: float
    max_time_minutes: float
    proxy_city: str
    proxy_state: str
    record_video: bool
    video_format: Literal["mp4", "webm", "gif"]
    video_fps: int
    live_viewer: bool
    callback_url: str
    compute_backend: Literal["computer_plane", "browser_use_plane"]
    cua_model: str
    replay: Literal["auto", "off", "refresh"]
    inputs: dict[str, Any]
