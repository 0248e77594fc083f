"""A scripted OpenAI-compatible server on 127.0.0.1, for the remote model's fault paths.

It speaks just enough of llama-cpp-python's server (``/v1/models``, ``/extras/tokenize``,
``/v1/chat/completions`` with ``grammar`` and logprobs, ``/v1/embeddings``) for
models/remote_server.py to connect, and lets a test break it: garbage answers, answers that
ignore the grammar, HTTP errors, slowness, another model's fingerprint.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from corral.models.remote_server import FINGERPRINT_MESSAGES, PROBE_GRAMMAR

_LITERAL = re.compile(r'^root ::= "((?:[^"\\]|\\.)*)"\s*$')


def forced_answer(grammar: str | None) -> str | None:
    """The one answer a grammar ``root ::= "literal"`` allows (per-option scoring)."""
    m = _LITERAL.match(grammar or "")
    return json.loads('"' + m.group(1) + '"') if m else None


def default_chat(body: dict[str, Any]) -> str:
    """Plausible answers for Corral's prompts: labels from the item's first word, names
    from the merge prompt's labels, any forced answer as it is."""
    grammar = body.get("grammar") or ""
    forced = forced_answer(grammar)
    if forced is not None:
        return forced
    prompt = body["messages"][-1]["content"]
    if re.match(r'^root ::= "(?:[^"\\]|\\.)*"( \| "(?:[^"\\]|\\.)*")+\s*$', grammar):
        options = [json.loads(f'"{m}"') for m in re.findall(r'"((?:[^"\\]|\\.)*)"', grammar)]
        item = prompt.rsplit("File:\n", 1)[-1].lower()
        return next((o for o in options if o.split()[-1].lower() in item), options[0])
    if "Some of the files:\n" in prompt:  # the criterion's values: the sample's first words
        files = prompt.split("Some of the files:\n", 1)[1].split("\n\n", 1)[0].splitlines()
        words = list(dict.fromkeys(
            (line.split(". ", 1)[-1].split() or ["item"])[0].strip(".,:;!?\"'").lower() or "item"
            for line in files))
        count = re.search(r"then list the (\d+) ", prompt)
        if count:
            k = int(count.group(1))
            words = (words + [f"value{n}" for n in range(k)])[:k]
        return json.dumps(words if len(words) > 1 else words + ["value0"])
    if "common short answers" in prompt:  # answers from knowledge: none the files match
        count = int(re.search(r"List (\d+) common", prompt).group(1))  # type: ignore[union-attr]
        return json.dumps([f"common{n}" for n in range(count)])
    if "File:\n" in prompt:
        word = prompt.split("File:\n", 1)[1].split()[0].strip(".,:;!?\"'").lower() or "item"
        if grammar.startswith('root ::= "["'):  # one label as a JSON list (the answer prompt)
            return json.dumps([word])
        return prompt.rsplit("File:\n", 1)[1].split()[0].strip(".,:;!?\"'").lower() or "item"
    if "(with counts): " in prompt:
        counts = json.loads(prompt.split("(with counts): ", 1)[1].split("\n", 1)[0])
        return json.dumps([max(counts, key=counts.get)])
    return '["things"]'


@dataclass
class Script:
    """What the fake answers. Tests change fields while it runs."""

    model: str = "fake-model"
    fingerprint: str = "cedar, dune, ember"
    chat: Callable[[dict[str, Any]], str] = default_chat
    grammar: bool = True  # honour the probe grammar
    logprobs: bool = True
    embedder: str | None = None  # a served embedding model's name
    delay_s: float = 0.0  # before every chat answer
    fail: list[int] = field(default_factory=list)  # HTTP statuses for the next chat requests
    raw: str | None = None  # a non-JSON body for chat answers
    requests: list[tuple[str, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    max_prompt_chars: int | None = None  # refuse longer prompts as llama-cpp-python does
    refuse_logprobs: bool = False  # HTTP 500 for logprobs (llama-cpp-python without logits_all)

    def score(self, body: dict[str, Any], answer: str) -> float:
        """logprob of a forced answer: higher when its last word is in the prompt."""
        word = answer.split()[-1].lower() if answer.split() else ""
        item = body["messages"][-1]["content"].rsplit("File:\n", 1)[-1].lower()
        return -0.1 if word and word in item else -3.0


class FakeServer:
    def __init__(self, script: Script | None = None, port: int = 0) -> None:
        self.script = script or Script()
        handler = _handler(self)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> FakeServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _handler(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def _send(self, status: int, payload: Any, raw: str | None = None) -> None:
            data = (raw if raw is not None else json.dumps(payload)).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            script = server.script
            script.requests.append(("GET " + self.path, {}, dict(self.headers)))
            if self.path == "/v1/models":
                data = [{"id": script.model, "object": "model", "owned_by": "me"}]
                if script.embedder:
                    data.append({"id": script.embedder, "object": "model", "owned_by": "me"})
                self._send(200, {"object": "list", "data": data})
            else:
                self._send(404, {"detail": "Not Found"})

        def do_POST(self) -> None:
            script = server.script
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            script.requests.append(("POST " + self.path, body, dict(self.headers)))
            if self.path == "/extras/tokenize":
                self._send(200, {"tokens": [len(w) for w in body["input"].split()]})
            elif self.path == "/extras/detokenize":
                self._send(404, {"detail": "Not Found"})
            elif self.path == "/v1/embeddings" and script.embedder:
                vecs = [[float(len(t)), 1.0, float(t.count(" "))] for t in body["input"]]
                self._send(200, {"data": [{"index": i, "embedding": v} for i, v in enumerate(vecs)]})
            elif self.path == "/v1/chat/completions":
                self._chat(script, body)
            elif self.path == "/v1/completions":  # measure_speed: 1 ms a token
                n_prompt, n_gen = len(body["prompt"].split()), int(body.get("max_tokens") or 1)
                time.sleep(0.001 * (n_prompt + n_gen))
                self._send(200, {"choices": [{"index": 0, "text": "x" * n_gen, "finish_reason": "length"}],
                                 "usage": {"prompt_tokens": n_prompt, "completion_tokens": n_gen}})
            else:
                self._send(404, {"detail": "Not Found"})

        def _chat(self, script: Script, body: dict[str, Any]) -> None:
            if script.refuse_logprobs and body.get("logprobs"):
                self._send(500, {"error": {"message": "logprobs is not supported for models "
                                                      "created with logits_all=False"}})
                return
            if body.get("grammar") == PROBE_GRAMMAR:
                text = "zq42" if script.grammar else "Hello! How can I help?"
            elif body.get("messages") == FINGERPRINT_MESSAGES:
                text = script.fingerprint
            else:
                if script.delay_s:
                    time.sleep(script.delay_s)
                if script.fail:
                    status = script.fail.pop(0)
                    self._send(status, {"error": {"message": "scripted failure"}})
                    return
                size = sum(len(m["content"]) for m in body.get("messages", []))
                if script.max_prompt_chars is not None and size > script.max_prompt_chars:
                    self._send(400, {"error": {"message": "Requested tokens (900) exceed context "
                                                          "window of 256", "type": "invalid_request_error"}})
                    return
                if script.raw is not None:
                    self._send(200, None, raw=script.raw)
                    return
                text = script.chat(body)
            choice: dict[str, Any] = {"index": 0, "finish_reason": "stop",
                                      "message": {"role": "assistant", "content": text}}
            if body.get("logprobs") and script.logprobs:
                lp = script.score(body, text)
                choice["logprobs"] = {"content": [
                    {"token": text, "logprob": lp, "bytes": None,
                     "top_logprobs": [{"token": text, "logprob": lp, "bytes": None}]}]}
            self._send(200, {"id": "x", "object": "chat.completion", "model": body.get("model"),
                             "choices": [choice],
                             "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12}})

    return Handler
