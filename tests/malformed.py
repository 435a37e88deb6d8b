"""A corpus of hostile requests, each of which must get a coded 4xx and create nothing.

Bodies are raw bytes so that they can hold what `json.dumps` cannot write (`1e400`, `NaN`). Each case is
a known bad value put in each place a submission can carry it. `library` lays out a plan library with
the traps a path can meet there (link loops, a file nested too deep, non-finite numbers, not UTF-8).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Case:
    group: str
    label: str
    method: str
    path: str
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()


NEWS = '"/demo/news/"'
STEP = '{"type": "navigate", "params": {"url": ' + NEWS + "}}"

# Numbers JSON text can carry but JSON data cannot (RFC 8259 section 6, RFC 7493 section 2.2).
NUMBERS = {
    "1e400": "1e400",
    "-1e400": "-1e400",
    "1E999": "1E999",
    "NaN": "NaN",
    "Infinity": "Infinity",
    "-Infinity": "-Infinity",
    "5000 digits": "1" + "0" * 5000,
    "2**64": str(2**64),
    "-2**63-1": str(-(2**63) - 1),
    "10**30": "1" + "0" * 30,
}

# Where a number can sit in a submission or an action; `X` is the number.
NUMBER_PLACES = {
    "max_cost": '{"micro": "plans/example/hn_top5.json", "max_cost": X}',
    "max_time_minutes": '{"micro": "plans/example/hn_top5.json", "max_time_minutes": X}',
    "video_fps": '{"micro": "plans/example/hn_top5.json", "video_fps": X}',
    "inputs": '{"micro": "plans/example/hn_top5.json", "inputs": {"n": X}}',
    "inputs list": '{"micro": "plans/example/hn_top5.json", "inputs": {"n": [1, [2, X]]}}',
    "params": '{"micro": {"steps": [{"type": "navigate", "params": {"url": ' + NEWS + ', "n": X}}]}}',
    "timeout_s": '{"micro": {"steps": [{"type": "wait", "timeout_s": X}]}}',
    "budget": '{"micro": {"steps": [{"type": "scroll", "budget": X}]}}',
    "then_target": '{"micro": {"steps": [{"type": "if_else", "condition_var": "a", "then_target": X}]}}',
    "runtime max_cost": '{"micro": {"runtime": {"max_cost": X}, "steps": [' + STEP + "]}}",
    "viewport": '{"micro": {"runtime": {"viewport": {"width": X}}, "steps": [' + STEP + "]}}",
    "max_items": '{"micro": {"steps": [{"type": "extract_data", "extract": {"max_items": X, '
    '"fields": [{"name": "a"}]}}]}}',
    "suite step": '{"task_suite": {"base_url": ' + NEWS + ', "tasks": [{"task_id": "a", "intent": "x", '
    '"steps": [{"type": "wait", "params": {"seconds": X}}]}]}}',
    "list limit": '{"action": "list", "limit": X}',
    "idempotency_key": '{"micro": "plans/example/hn_top5.json", "idempotency_key": X}',
}

# Plan paths that name nothing a plan can be read from (the library holds the traps `library` lays).
PATHS = {
    "one long name": "a" * 300 + ".json",
    "long path": "a/" * 3000 + "x.json",
    "long name inside": "plans/" + "b" * 5000,
    "link loop": "loop.json",
    "two-link loop": "ping.json",
    "loop as a folder": "loop.json/x.json",
    "file as a folder": "plans/example/hn_top5.json/x",
    "folder": "plans",
    "nested too deep": "deep.json",
    "non-finite number in file": "nan.json",
    "huge number in file": "huge.json",
    "not UTF-8": "latin1.json",
    "not JSON": "notjson.json",
    "empty file": "empty.json",
    "dot": ".",
    "space": " ",
    "climbs out": "../etc/passwd",
    "absolute": "/etc/passwd",
    "backslash": "plans\\example",
    "link out": "outside.json",
    "named pipe": "fifo.json",
}

# Deep nesting in each place a submission carries free-form JSON; `X` is the nested value.
DEPTHS = (40, 100, 400, 900, 5000)
NEST_PLACES = {
    "params": '{"micro": {"steps": [{"type": "navigate", "params": {"url": ' + NEWS + ', "n": X}}]}}',
    "inputs": '{"micro": "plans/example/hn_top5.json", "inputs": {"n": X}}',
    "micro": '{"micro": X}',
    "task_suite": '{"task_suite": X}',
}

# Hosts no URL parser should take.
BAD_URLS = (
    "http://[::1",
    "http://exa mple.com",
    "http://:80",
    "http://",
    "http:///path",
    "http://[::1]:99999",
    "http://example.com:port",
    "http://example.com:-1",
    "http://exa\tmple.com",
    "http://" + "a" * 300 + ".com",
    "http://a..b",
    "http://%zz",
    "http://[zz::1]/",
    "http://ex<a>mple.com",
    "http://user@",
    "https://\u0661\u0662\u0663.\u0664",
    "http://example.com\\@evil",
)
URL_PLACES = {
    "navigate": '{"micro": {"steps": [{"type": "navigate", "params": {"url": X}}]}}',
    "base_url": '{"task_suite": {"base_url": X, "tasks": [{"task_id": "a", "intent": "look"}]}}',
    "start_url": '{"task_suite": {"tasks": [{"task_id": "a", "intent": "look", "start_url": X}]}}',
    "callback_url": '{"micro": "plans/example/hn_top5.json", "callback_url": X}',
}

# What a header can carry that the store's idempotency column cannot.
IDEMPOTENCY_HEADERS = {"201 characters": "k" * 201, "8000 characters": "k" * 8000}

ARTIFACT_NAMES = {
    "one long name": "a" * 300,
    "long path": "a/" * 3000 + "x",
    "NUL": "%00",
    "dot dot": "%2e%2e/%2e%2e/mantis.db",
    "hidden": ".hidden",
}


def _nested(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth if depth % 2 else '{"a": ' * depth + "1" + "}" * depth


def corpus(run_id: str | None = None) -> list[Case]:
    """Every hostile request; artifact names only when a real run's id is given."""
    cases = []
    for place, template in NUMBER_PLACES.items():
        for name, number in NUMBERS.items():
            body = _fill(template, number)
            cases.append(Case("numbers", f"{name} in {place}", "POST", "/v1/predict", body))
    for name, path in PATHS.items():
        for field in ("micro", "task_file"):
            body = json.dumps({field: path}).encode()
            cases.append(Case("plan paths", f"{field}: {name}", "POST", "/v1/predict", body))
    for place, template in NEST_PLACES.items():
        for depth in DEPTHS:
            body = _fill(template, _nested(depth))
            cases.append(Case("nesting", f"{depth} deep in {place}", "POST", "/v1/predict", body))
    for place, template in URL_PLACES.items():
        for url in BAD_URLS:
            body = _fill(template, json.dumps(url))
            cases.append(Case("urls", f"{url[:40]!r} as {place}", "POST", "/v1/predict", body))
    plan = json.dumps({"micro": "plans/example/hn_top5.json"}).encode()
    for name, key in IDEMPOTENCY_HEADERS.items():
        headers = (("Idempotency-Key", key),)
        cases.append(Case("headers", f"Idempotency-Key: {name}", "POST", "/v1/predict", plan, headers))
    if run_id is not None:
        for name, artifact in ARTIFACT_NAMES.items():
            cases.append(Case("artifact names", name, "GET", f"/v1/runs/{run_id}/artifacts/{artifact}"))
        cases.append(Case("artifact names", "long run id", "GET", f"/v1/runs/{'1' * 5000}/artifacts/a"))
    return cases


def _fill(template: str, value: str) -> bytes:
    return template.replace("X", value).encode()


def library(root: Path) -> Path:
    """A plan library holding the repository's example plans and every trap `PATHS` names."""
    repo = Path(__file__).resolve().parent.parent
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(repo / "plans", root / "plans")
    (root / "loop.json").symlink_to(root / "loop.json")
    (root / "ping.json").symlink_to(root / "pong.json")
    (root / "pong.json").symlink_to(root / "ping.json")
    (root / "outside.json").symlink_to("/etc/hostname")
    (root / "deep.json").write_text(_nested(100_001))
    (root / "nan.json").write_text('{"steps": [{"type": "wait", "timeout_s": NaN}]}')
    (root / "huge.json").write_text('{"steps": [{"type": "wait", "timeout_s": 1e400}]}')
    (root / "latin1.json").write_bytes('{"name": "caf\u00e9", "steps": []}'.encode("latin-1"))
    (root / "notjson.json").write_text("steps: [navigate]")
    (root / "empty.json").write_text("")
    os.mkfifo(root / "fifo.json")
    return root
