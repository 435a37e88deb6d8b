"""A model provider stand-in on 127.0.0.1: a real HTTP server that answers scripted replies in order and
records every request it receives, so adapter tests see exactly what went over the wire."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    body: Any  # or a function of the request's body, for an answer that depends on what was asked
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    at: float


class StandIn:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._replies: deque[Reply] = deque()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                standin.requests.append(
                    Received(
                        "POST",
                        self.path,
                        {k.lower(): v for k, v in self.headers.items()},
                        json.loads(raw or b"null"),
                        time.monotonic(),
                    )
                )
                reply = (
                    standin._replies.popleft() if standin._replies else Reply({"error": "unscripted"}, 500)
                )
                time.sleep(reply.delay_s)
                answer = reply.body(standin.requests[-1].body) if callable(reply.body) else reply.body
                data = json.dumps(answer).encode()
                self.send_response(reply.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that gave up (the timeout test) leaves a broken pipe behind

        self._server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def script(self, *replies: Reply) -> None:
        self._replies.extend(replies)

    def reset(self) -> None:
        self.requests.clear()
        self._replies.clear()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def completion(content: str, usage: tuple[int, int] | None = (900, 40)) -> Reply:
    """A Chat Completions answer in the OpenAI wire format."""
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "qwen3-vl",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
    }
    if usage:
        body["usage"] = {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)}
    return Reply(body)


def message(*content: dict[str, Any], usage: tuple[int, int] = (1200, 80), stop: str = "tool_use") -> Reply:
    """A Messages API answer in Anthropic's wire format."""
    return Reply(
        {
            "id": "msg_01",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-6",
            "content": list(content),
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": usage[0], "output_tokens": usage[1]},
        }
    )


def tool_use(name: str, data: dict[str, Any], toolset: str | None = None) -> dict[str, Any]:
    block = {"type": "tool_use", "id": "toolu_01", "name": name, "input": data}
    return block | ({"toolset_name": toolset} if toolset else {})


def computer(name: str, **data: Any) -> dict[str, Any]:
    """A call of a member of Claude's computer tool."""
    return tool_use(name, data, toolset="computer")
