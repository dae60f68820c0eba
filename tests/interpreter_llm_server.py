"""A loopback HTTP server that speaks the Anthropic Messages API or the
OpenAI chat-completions API from a script of canned replies, so the LLM
clients are tested over a real HTTP exchange."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOOL = "create_remix_plan"


def anthropic_tool_reply(plan) -> dict:
    return {
        "id": "msg_test", "type": "message", "role": "assistant", "model": "claude-test",
        "content": [{"type": "tool_use", "id": "toolu_test", "name": TOOL, "input": plan}],
        "stop_reason": "tool_use", "stop_sequence": None,
        "usage": {"input_tokens": 1200, "output_tokens": 300, "cache_read_input_tokens": 900,
                  "cache_creation_input_tokens": 0},
    }


def anthropic_text_reply(text: str) -> dict:
    reply = anthropic_tool_reply({})
    reply["content"] = [{"type": "text", "text": text}]
    reply["stop_reason"] = "end_turn"
    return reply


def openai_tool_reply(arguments) -> dict:
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments)
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "model": "local-test",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": None,
            "tool_calls": [{"id": "call_1", "type": "function",
                            "function": {"name": TOOL, "arguments": arguments}}]}}],
        "usage": {"prompt_tokens": 1500, "completion_tokens": 250, "total_tokens": 1750},
    }


def error_body(status: int) -> dict:
    return {"type": "error", "error": {"type": "api_error", "message": f"status {status}"}}


class ScriptedServer:
    """Replies in order from `script`: (status, body, delay_s, headers); the
    last entry repeats. Records every request as (path, headers, json)."""

    def __init__(self, script):
        self.script = list(script)
        self.requests: list[tuple[str, dict, dict]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # http.server's name
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {}
                outer.requests.append((self.path, dict(self.headers), body))
                index = min(len(outer.requests), len(outer.script)) - 1
                entry = tuple(outer.script[index])
                status, reply, delay, headers = entry + (0.0, {})[len(entry) - 2:]
                if delay:
                    time.sleep(delay)
                data = reply.encode() if isinstance(reply, str) else json.dumps(reply).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
