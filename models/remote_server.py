"""The language model on a server the person runs: llama.cpp's ``llama-server``, vLLM,
llama-cpp-python's ``llama_cpp.server``, or anything else that speaks the OpenAI-compatible
``/v1`` API with grammar-constrained output.

:class:`RemoteLLM` is a :class:`~corral.models.text_model.TextModel`, like
:class:`~corral.models.runtime.LocalLLM` (``generate`` with a GBNF grammar, ``choose`` with a
confidence, ``count_tokens``, ``truncate``, ``usage``, ``measure_speed``, ``close``;
also ``fit_messages``) and is safe to call
from several threads at once: the stages put up to ``concurrency`` requests in flight so the
server can batch them (llama-server with ``--parallel N``, vLLM always).

This is the only place in Corral that opens a network connection, and only when a server
is set (``--server`` or the GUI's Settings). Privacy rules, enforced by
:func:`check_address` before the first byte is sent:

* only loopback, private (RFC 1918, ULA) and link-local addresses, unless ``allow_remote``;
  a host name must resolve to such addresses only. Redirects are not followed and proxy
  variables from the environment are ignored, so a request goes where the address check
  said it would.
* a server outside the local network must use https; TLS certificates are always verified
  (the system's trust store, plus ``CORRAL_SERVER_CA`` for a private CA).
* the API key comes from ``CORRAL_SERVER_API_KEY`` or the OS keyring (service
  ``corral-server``, user = the server's origin, e.g. ``http://nas.local:8080``) and lives
  only in the HTTP client's headers: it is never part of :class:`ServerOptions`, a cache
  key, the project, the settings file, an error message or a log line.

Feature detection at :meth:`RemoteLLM.connect`: the model list (and the model to use), a
tokenizer endpoint (llama-server ``/tokenize``, vLLM ``/tokenize``, llama-cpp-python
``/extras/tokenize``; without one, token counts are estimated from byte lengths, which never
undercount), the context size when the server reports it, how the server takes a grammar
(``grammar`` for the llama.cpp family, ``structured_outputs`` / ``guided_grammar`` for vLLM),
tried in that order with a probe grammar no model would follow by chance, and whether
answers carry logprobs. A server that constrains nothing is refused with a clear message.

**Identity.** Cache keys name ``server:<model>:<fingerprint>``; the fingerprint hashes the
model name, what the server reports about the model (size, parameters, vocabulary, context),
the token ids of a fixed probe text and the greedy answer to a fixed probe prompt. Another
model behind the same URL gives another identity, so a project never mixes answers of two
models. Whenever a connection failed and a request is about to be retried (the server may
have been restarted), the identity is measured again before the retry is sent; a different
one raises :class:`ServerModelChanged`.

**Choice confidence.** With logprobs, :meth:`RemoteLLM.choose` scores every option: one
request per option, its answer forced by a grammar of its own, the logprobs of the forced
tokens summed (what the model gives that exact answer), then a softmax over the options;
the best-scored option is the choice and its share the confidence. These requests share the
prompt (``cache_prompt``, vLLM's prefix caching) and run ``concurrency`` at a time. Why not
one request with all options in the grammar and the top logprobs of each step: a server
follows the grammar with whatever token it likes best (llama.cpp may spend a token on the
space alone), after which the other options fall out of the top 20 and the confidence
reads 1.0. The local runtime's prefix tree sees every option's token at every step; a
per-option score is the server-side way to see them all. One difference: the end of an
answer is not scored, so of two options where one begins the other ("Bills", "Bills
paid") the shorter is favoured. ``first_step`` holds every option's probability (for
one-token options such as Good/Bad that is the first step). A server without logprobs gets
the fallback of :func:`sampled_choice`: the greedy constrained answer, and as confidence the
share of ``SAMPLES`` constrained samples at temperature 1 that agree with it (an estimate
of the same distribution, in steps of 1/``SAMPLES``). The OpenAI API offers no other way to
score options without logprobs.

**Faults.** Connection errors, timeouts, HTTP 429 and 5xx are retried ``retries`` times with
exponential backoff (``backoff_s`` doubling, honouring ``Retry-After`` up to 30 s), then
raise :class:`ServerUnreachable`, whose message says that finished answers are kept and the
same command resumes. An answer that is not JSON, has no text, or does not follow the
grammar (checked by :mod:`corral.models.gbnf`) is asked for again once, then raises
:class:`ServerAnswerError`; it is never returned, so it never reaches the project's cache.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import math
import os
import random
import re
import socket
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import numpy as np

from . import gbnf
from .errors import ModelError
from .text_model import (
    Cancel,
    Choice,
    ContextTooSmall,
    Message,
    SpeedReport,
    TextModel,
    UsageStats,
    shrink_longest,
)

log = logging.getLogger(__name__)

API_KEY_ENV = "CORRAL_SERVER_API_KEY"
CA_ENV = "CORRAL_SERVER_CA"
KEYRING_SERVICE = "corral-server"
SAMPLES = 8  # constrained samples per choice when the server gives no logprobs
PROBE_GRAMMAR = 'root ::= "zq" [0-9] [0-9]\n'  # no model answers this unless made to
_PROBE_RE = re.compile(r"zq[0-9]{2}")
FINGERPRINT_TEXT = "Corral fingerprint: 3.14159 naïve café – ½ 東京"
FINGERPRINT_MESSAGES: list[Message] = [
    {"role": "user", "content": "Continue this list with three more words and nothing else: "
                                "amber, bridge, candle,"},
]
TEMPLATE_OVERHEAD = 16  # tokens a chat template adds around the messages (generous)
PER_MESSAGE_OVERHEAD = 8
EMBEDDER_HINTS = ("minilm",)  # a served model with this in its name is the sentence embedder


class ServerError(ModelError):
    """Something about the model server; the message says what to do."""


class ServerUnreachable(ServerError):
    """Nothing answers at the URL, or it stopped answering."""

    reason = ""


class ServerLacks(ServerError):
    """The server does not offer something Corral needs (grammars, the model)."""


class ServerModelChanged(ServerError):
    """The server now runs a different model than the one this run started with."""


class ServerAnswerError(ServerError):
    """The server's answer is malformed or breaks the grammar, even when asked again."""


@dataclass(frozen=True)
class ServerOptions:
    """Where the model runs and how hard to push it. Holds no secret."""

    url: str
    model: str | None = None  # the served model's name; None: the only one it serves
    concurrency: int = 4  # requests in flight
    allow_remote: bool = False  # allow an address outside loopback and private networks
    n_ctx: int | None = None  # context budget when the server does not report its own
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 300.0  # one answer; a CPU server with N slots can be slow
    retries: int = 3
    backoff_s: float = 1.0
    embeddings: bool = True  # use the server's sentence embedder when it serves one
    verify_every_s: float = 300.0  # measure the model's identity again this often

    def origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    def where(self) -> str:
        """For people: where the model runs."""
        return f"{self.model or 'the model'} on {self.origin()}"


# -- privacy ----------------------------------------------------------------------------------


def _is_local(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_private or ip.is_link_local


def check_address(url: str, allow_remote: bool = False) -> str:
    """The API root of ``url`` (scheme://host[:port][/prefix], without ``/v1``), after checking
    the privacy rules of the module docstring; raises :class:`ServerError` otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ServerError(f"The server address {url!r} is not an http:// or https:// URL.")
    if parts.username or parts.password:
        raise ServerError(
            "Put no user name or password in the server address; give an API key through "
            f"the {API_KEY_ENV} environment variable or the OS keyring instead.")
    if parts.query or parts.fragment:
        raise ServerError(f"The server address {url!r} has a query or fragment; give the base URL.")
    host = parts.hostname
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise ServerError(f"The server address {url!r} has an invalid port.") from exc
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise ServerUnreachable(f"The server name {host} cannot be resolved: {exc}.") from exc
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    outside = sorted({str(a) for a in addresses if not _is_local(a)})
    if outside and not allow_remote:
        raise ServerError(
            f"{host} is outside this computer and its local network ({', '.join(outside)}). "
            "Corral sends your documents only to servers on loopback or private addresses; "
            "pass --allow-remote (or tick it in Settings) if you mean to send them there.")
    if outside and parts.scheme != "https":
        raise ServerError(
            f"{host} is outside the local network: use https:// so that your documents and "
            "the API key travel encrypted.")
    path = parts.path.rstrip("/")
    if path.endswith("/v1"):
        path = path[: -len("/v1")]
    return f"{parts.scheme}://{parts.netloc}{path}"


def api_key(options: ServerOptions) -> str | None:
    """The API key: the environment first, then the OS keyring when the keyring package is
    installed. Never stored by Corral."""
    key = os.environ.get(API_KEY_ENV, "").strip()
    if key:
        return key
    try:
        import keyring  # optional
    except ImportError:
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, options.origin()) or None
    except Exception:  # a keyring backend that is locked or absent is no key
        return None


def _ssl_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context()  # CERT_REQUIRED and host name checks
    try:
        import certifi

        ctx.load_verify_locations(certifi.where())
    except (ImportError, OSError):
        pass
    extra = os.environ.get(CA_ENV)
    if extra:
        ctx.load_verify_locations(extra)
    return ctx


# -- choice confidence from logprobs ----------------------------------------------------------


def option_probabilities(scores: Sequence[float]) -> list[float]:
    """Softmax of per-option log-probabilities (the sum of each forced answer's token
    logprobs): the model's probability of each option, given that it answers one of them."""
    top = max(scores)
    weights = [math.exp(s - top) if math.isfinite(s) else 0.0 for s in scores]
    total = sum(weights) or 1.0
    return [w / total for w in weights]


def sampled_choice(greedy: int, samples: Sequence[int], n_options: int) -> tuple[float, dict[int, float]]:
    """Confidence and first-step shares from constrained samples (no logprobs available):
    the share of samples that agree with the greedy answer; options never sampled get 0."""
    n = max(1, len(samples))
    shares = {i: sum(1 for s in samples if s == i) / n for i in range(n_options)}
    return shares[greedy], shares


# -- the client -------------------------------------------------------------------------------


@dataclass
class ServerFeatures:
    kind: str  # llama-server | llama-cpp-python | vllm | ollama | openai-compatible
    model: str
    models: list[str]
    grammar_style: str  # grammar | structured_outputs | guided_grammar
    logprobs: bool
    tokenizer: str | None  # llama-server | vllm | llama-cpp-python | None (estimated)
    n_ctx: int | None
    meta: dict[str, Any] = field(default_factory=dict)
    embed_model: str | None = None
    fingerprint: str = ""
    parts: dict[str, Any] = field(default_factory=dict)  # what the fingerprint hashes

    def describe(self) -> str:
        bits = [f"{self.kind}", f"model {self.model}",
                f"grammar via {self.grammar_style}",
                "logprobs" if self.logprobs else "no logprobs (sampled confidences)",
                f"tokenizer {self.tokenizer}" if self.tokenizer else "estimated token counts"]
        if self.n_ctx:
            bits.append(f"context {self.n_ctx}")
        if self.embed_model:
            bits.append(f"embedder {self.embed_model}")
        return ", ".join(bits)


class _Transport:
    """httpx with the privacy settings, bounded retries and backoff. Thread-safe."""

    def __init__(self, options: ServerOptions, root: str) -> None:
        try:
            import httpx
        except ImportError as exc:
            raise ServerError(
                "Talking to a model server needs the httpx package: "
                "pip install 'corral[server]' (or pip install httpx).") from exc
        self.httpx = httpx
        self.options = options
        self.root = root
        headers = {"Accept": "application/json"}
        key = api_key(options)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self.client = httpx.Client(
            base_url=root,
            headers=headers,
            timeout=httpx.Timeout(options.read_timeout_s, connect=options.connect_timeout_s,
                                  write=60.0, pool=None),
            verify=_ssl_context() if root.startswith("https") else True,
            trust_env=False,  # no proxies from the environment: requests go where checked
            follow_redirects=False,
            limits=httpx.Limits(max_connections=max(1, options.concurrency) + 2),
        )
        self.failed_at = 0.0  # monotonic time of the last connection-level failure
        self.in_flight = threading.BoundedSemaphore(max(1, options.concurrency))

    def close(self) -> None:
        self.client.close()

    def request(self, method: str, path: str, body: Any = None, *, retry: bool = True,
                before_retry: Any = None, timeout: float | None = None) -> Any:
        """JSON of a 2xx answer; None for 404/405/501 (the endpoint does not exist)."""
        httpx = self.httpx
        attempts = 1 + (max(0, self.options.retries) if retry else 0)
        last = ""
        for attempt in range(attempts):
            try:
                if attempt and before_retry is not None:
                    before_retry()
                kwargs: dict[str, Any] = {}
                if timeout is not None:
                    kwargs["timeout"] = timeout
                with self.in_flight:
                    response = self.client.request(method, path, json=body, **kwargs)
            except httpx.TimeoutException as exc:
                last = f"no answer within the timeout ({type(exc).__name__})"
                self.failed_at = time.monotonic()
                self._sleep(attempt, None, attempts)
                continue
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                self.failed_at = time.monotonic()
                self._sleep(attempt, None, attempts)
                continue
            except _StillDown as exc:
                last = str(exc)
                self._sleep(attempt, None, attempts)
                continue
            status = response.status_code
            if status in (404, 405, 501):
                return None
            if status == 429 or status >= 500:
                last = f"HTTP {status}: {_short(response.text)}"
                self._sleep(attempt, response.headers.get("retry-after"), attempts)
                continue
            if status in (401, 403):
                raise ServerError(
                    f"The server at {self.options.origin()} refused the request (HTTP {status}): "
                    f"set its API key in {API_KEY_ENV} or the OS keyring "
                    f"(service {KEYRING_SERVICE!r}, user {self.options.origin()!r}).")
            if status >= 400:
                raise _HTTPError(status, _short(response.text, 600))
            if status >= 300:
                raise ServerError(
                    f"The server at {self.options.origin()} answered {path} with a redirect "
                    f"(HTTP {status}); Corral does not follow redirects: give the final address.")
            try:
                return response.json()
            except ValueError as exc:
                raise ServerAnswerError(
                    f"The server's answer to {path} is not JSON: {_short(response.text)}") from exc
        error = ServerUnreachable(
            f"The model server at {self.options.origin()} did not answer {path} after "
            f"{attempts} tries ({last}). Everything finished so far is kept in the project: "
            "start the server again and run the same command to resume.")
        error.reason = last
        raise error

    def _sleep(self, attempt: int, retry_after: str | None, attempts: int) -> None:
        if attempt + 1 >= attempts:
            return
        delay = self.options.backoff_s * (2 ** attempt)
        if retry_after:
            try:
                delay = max(delay, min(30.0, float(retry_after)))
            except ValueError:
                pass
        time.sleep(delay * (1 + 0.1 * random.random()))


class _StillDown(Exception):
    """The identity could not be measured again before a retry: count it as a failed try."""


class _HTTPError(ServerError):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(f"HTTP {status}: {text}")
        self.status = status
        self.text = text


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + "..."


_CTX_PATTERNS = (
    re.compile(r"context window of (\d+)"),  # llama-cpp-python
    re.compile(r"maximum context length is (\d+)"),  # vLLM, OpenAI
    re.compile(r'"n_ctx"\s*:\s*(\d+)'),  # llama-server's error object
    re.compile(r"context size[^0-9]{0,20}(\d+)"),
)


class RemoteLLM:
    """The model on a server; create with :meth:`connect`, free with :meth:`close`."""

    def __init__(self, options: ServerOptions, transport: _Transport, features: ServerFeatures) -> None:
        self.options = options
        self.features = features
        self.name = features.model
        self.concurrency = max(1, int(options.concurrency))
        self.usage = UsageStats()
        self._http = transport
        self._lock = threading.Lock()  # usage, caches
        self._verify_lock = threading.Lock()
        self._verified_at = time.monotonic()
        self._n_ctx = features.n_ctx or options.n_ctx or 4096
        self._tokens: OrderedDict[str, list[int]] = OrderedDict()
        self._pool: Any = None  # per-option requests of choose(), made on first use

    # -- lifecycle ---------------------------------------------------------------------------
    @classmethod
    def connect(cls, options: ServerOptions, *, expect_identity: str | None = None) -> RemoteLLM:
        """Check the address, find what the server offers and who the model is. Raises
        :class:`ServerUnreachable`, :class:`ServerLacks` or :class:`ServerModelChanged` with
        a message that says what to do."""
        root = check_address(options.url, options.allow_remote)
        transport = _Transport(options, root)
        try:
            features = _detect(transport, options)
            llm = cls(options, transport, features)
            if expect_identity is not None and llm.identity != expect_identity:
                raise ServerModelChanged(
                    f"The server at {options.origin()} now runs {llm.identity}, not "
                    f"{expect_identity}; this run's answers came from the other model. "
                    "Run the command again to start over with this model.")
        except BaseException:
            transport.close()
            raise
        log.info("model server %s: %s", options.origin(), features.describe())
        return llm

    @property
    def identity(self) -> str:
        return f"server:{self.features.model}:{self.features.fingerprint}"

    def where(self) -> str:
        return f"{self.features.model} on {self.options.origin()} ({self.features.kind})"

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._http.close()

    def __enter__(self) -> RemoteLLM:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:  # never the headers
        return f"RemoteLLM({self.where()})"

    @property
    def n_ctx(self) -> int:
        return int(self._n_ctx)

    # -- identity checks after a lost connection -------------------------------------------
    def _reverify(self) -> None:
        """Called before every request and retry: if the connection failed since the
        identity was last measured (the server may have been restarted), or it was measured
        more than ``verify_every_s`` ago (a restart between two requests leaves no failed
        one), measure it again, once for all the threads waiting. Unmeasurable (still
        down): raise _StillDown, so the retry waits.

        Name, reported metadata and token ids must match exactly; the greedy probe answer
        is asked for up to three times, since a server batching other requests may break a
        near-tie differently."""
        if not self._due():
            return
        with self._verify_lock:
            if not self._due():
                return
            try:
                now = _identity_parts(self._http, self.features, retry=False, fresh=True)
                then = self.features.parts
                same = {k: v for k, v in now.items() if k != "answer"} == \
                    {k: v for k, v in then.items() if k != "answer"}
                tries = 1
                while same and now["answer"] != then["answer"] and tries < 3:
                    now["answer"] = _probe_answer(self._http, self.features.model, retry=False)
                    tries += 1
            except ServerUnreachable as exc:
                raise _StillDown(exc.reason or "still unreachable") from exc
            self._verified_at = time.monotonic()
            if now != then:
                raise ServerModelChanged(
                    f"The model behind {self.options.origin()} changed during the run "
                    f"(fingerprint {self.features.fingerprint} became {_fingerprint(now)}): the "
                    "server was restarted with another model. Answers so far are kept under the "
                    "old model's name; run the command again to continue with the new one.")

    def _due(self) -> bool:
        return (self._http.failed_at > self._verified_at
                or time.monotonic() - self._verified_at > self.options.verify_every_s)

    def _post(self, path: str, body: dict[str, Any], timeout: float | None = None) -> Any:
        try:
            self._reverify()
        except _StillDown:
            pass  # the request itself will fail and be retried (and verified) by the transport
        return self._http.request("POST", path, body, before_retry=self._reverify, timeout=timeout)

    # -- tokens ------------------------------------------------------------------------------
    def tokenize(self, text: str) -> list[int] | None:
        """Token ids from the server's tokenizer, or None without one."""
        if self.features.tokenizer is None:
            return None
        with self._lock:
            hit = self._tokens.get(text)
            if hit is not None:
                self._tokens.move_to_end(text)
                return hit
        tokens = _tokenize(self._http, self.features.tokenizer, self.features.model, text,
                           before_retry=self._reverify)
        if tokens is None:
            return None
        with self._lock:
            self._tokens[text] = tokens
            while len(self._tokens) > 512:
                self._tokens.popitem(last=False)
        return tokens

    def count_tokens(self, text: str) -> int:
        size = len(text.encode("utf-8"))
        if size <= 4:
            return size
        tokens = self.tokenize(text)
        return len(tokens) if tokens is not None else size  # a token is at least one byte

    def truncate(self, text: str, max_tokens: int) -> str:
        """Cut ``text`` to at most ``max_tokens`` tokens."""
        raw = text.encode("utf-8")
        if len(raw) <= max_tokens:
            return text
        tokens = self.tokenize(text)
        if tokens is None:
            cut = raw[: max(0, max_tokens)].decode("utf-8", "ignore")
            return cut.rstrip() + " ..."
        if len(tokens) <= max_tokens:
            return text
        back = _detokenize(self._http, self.features.tokenizer, self.features.model,
                           tokens[: max(0, max_tokens)], before_retry=self._reverify)
        if back is None:  # no detokenizer: cut by the share of tokens kept, in characters
            back = text[: int(len(text) * max_tokens / len(tokens))]
        return back.rstrip() + " ..."

    def _prompt_tokens(self, msgs: Sequence[Message]) -> int:
        return TEMPLATE_OVERHEAD + sum(PER_MESSAGE_OVERHEAD + self.count_tokens(m["content"]) for m in msgs)

    def fit_messages(self, messages: Sequence[Message], reserve: int) -> tuple[list[Message], int]:
        """Shrink the longest message until prompt + ``reserve`` fits the server's context.

        Returns the messages and the (over-)estimated prompt length. Cheap when the byte
        length already fits: a token is at least one byte."""
        msgs = [Message(role=m["role"], content=m["content"]) for m in messages]
        budget = self.n_ctx - reserve
        bound = TEMPLATE_OVERHEAD + sum(PER_MESSAGE_OVERHEAD + len(m["content"].encode("utf-8")) for m in msgs)
        if bound <= budget:
            return msgs, bound
        return shrink_longest(
            msgs, budget, lambda m: (self._prompt_tokens(m),) * 2, self.count_tokens, self.truncate,
            lambda need: (f"The prompt needs about {need} tokens but the server's context of "
                          f"{self.n_ctx} leaves only {budget}; start the server with a larger "
                          "context (llama-server -c, vLLM --max-model-len) or shorten the criterion."))

    # -- requests ----------------------------------------------------------------------------
    def _chat(self, messages: Sequence[Message], reserve: int, body: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        """One chat completion; (text, finish_reason, whole answer). Learns the server's
        context size from a context-overflow error and fits the prompt again."""
        for _ in range(3):
            msgs, _ = self.fit_messages(messages, reserve)
            request = {"model": self.features.model, "messages": msgs, "stream": False, **body}
            start = time.perf_counter()
            try:
                data = self._post("/v1/chat/completions", request)
            except _HTTPError as exc:
                learned = _context_from_error(exc.text)
                if exc.status == 400 and learned and learned < self._n_ctx:
                    self._n_ctx = learned
                    continue
                if exc.status == 400 and learned is None and re.search(r"context|too long|exceed", exc.text, re.I) \
                        and self._n_ctx > 512:
                    self._n_ctx = int(self._n_ctx * 0.75)
                    continue
                raise ServerError(f"The model server rejected a request: {exc}") from exc
            if data is None:
                raise ServerLacks(f"{self.options.origin()} has no /v1/chat/completions endpoint.")
            text, finish = _message_text(data)
            self._account(data, time.perf_counter() - start)
            return text, finish, data
        raise ContextTooSmall(
            f"The server keeps refusing the prompt as too long (context now assumed {self._n_ctx}).")

    def _account(self, data: dict[str, Any], seconds: float) -> None:
        usage = data.get("usage") or {}
        prompt = int(usage.get("prompt_tokens") or 0)
        cached = int(((usage.get("prompt_tokens_details") or {}).get("cached_tokens")) or 0)
        timings = data.get("timings") or {}
        if not cached and "cache_n" in timings:
            cached = int(timings.get("cache_n") or 0)
        with self._lock:
            self.usage.prompt_tokens += max(0, prompt - cached)
            self.usage.cached_tokens += cached
            self.usage.generated_tokens += int(usage.get("completion_tokens") or 0)
            self.usage.calls += 1
            self.usage.seconds += seconds

    def _constrain(self, grammar: str) -> dict[str, Any]:
        return _grammar_fields(self.features.grammar_style, grammar)

    def _base(self) -> dict[str, Any]:
        return {"temperature": 0.0, "top_k": 1, "top_p": 1.0, "repeat_penalty": 1.0, "seed": 0,
                "cache_prompt": True}

    def generate(
        self,
        messages: Sequence[Message],
        *,
        grammar: str | None = None,
        max_tokens: int = 256,
        cancel: Cancel | None = None,
    ) -> str:
        """Greedy text, constrained by ``grammar``; an off-grammar answer is asked for once
        more, then raises :class:`ServerAnswerError`."""
        if cancel is not None:
            cancel.check()
        body = {**self._base(), "max_tokens": max_tokens}
        if grammar is not None:
            body.update(self._constrain(grammar))
        bad = ""
        for _ in range(2):
            text, finish, _ = self._chat(messages, max_tokens + 4, body)
            if grammar is None or gbnf.check(grammar, text, partial=finish == "length") is not False:
                if cancel is not None:
                    cancel.check()
                return text
            bad = text
        raise ServerAnswerError(
            f"The model server's answer does not follow the grammar, twice: {_short(bad)!r}. "
            "Is the server ignoring grammars? Corral needs llama-server, llama-cpp-python's "
            "server or vLLM with structured outputs.")

    def choose(self, messages: Sequence[Message], options: Sequence[str], *, answer_prefix: str = "") -> Choice:
        """One of ``options``, with a confidence; see the module docstring."""
        if not options:
            raise ValueError("choose() needs at least one option")
        lead = answer_prefix + " " if answer_prefix else ""
        answers = [lead + opt for opt in options]
        longest = max(len(a.encode("utf-8")) for a in answers) + 4
        body = {**self._base(), "max_tokens": longest}
        if self.features.logprobs and len(options) > 1:
            scores = self._map(lambda a: self._score(messages, a, longest, body), answers)
            probs = option_probabilities(scores)
            index = max(range(len(options)), key=lambda i: (probs[i], -i))
            return Choice(index, options[index], probs[index], dict(enumerate(probs)))
        grammar = gbnf.choice_grammar(answers)
        index = self._choose_once(messages, answers, longest, {**body, **self._constrain(grammar)})
        if len(options) == 1:
            return Choice(0, options[0], 1.0, {0: 1.0})
        samples = self._samples(messages, answers, longest, {**body, **self._constrain(grammar)})
        confidence, first = sampled_choice(index, samples, len(options))
        return Choice(index, options[index], confidence, first)

    def _map(self, fn: Any, items: Sequence[Any]) -> list[Any]:
        """``fn`` over ``items`` with up to ``concurrency`` requests in flight."""
        if self.concurrency == 1 or len(items) == 1:
            return [fn(x) for x in items]
        with self._lock:
            if self._pool is None:
                from concurrent.futures import ThreadPoolExecutor

                self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="corral-server")
        return list(self._pool.map(fn, items))

    def _score(self, messages: Sequence[Message], answer: str, reserve: int, body: dict[str, Any]) -> float:
        """The log-probability of ``answer`` as the reply: the answer forced by a grammar of
        its own, its tokens' logprobs summed."""
        request = {**body, **self._constrain(gbnf.choice_grammar([answer])),
                   "logprobs": True, "top_logprobs": 1}
        for _ in range(2):
            text, _, data = self._chat(messages, reserve, request)
            steps = _logprob_steps(data)
            if text == answer and steps:
                return sum(lp for _, lp, _ in steps)
        raise ServerAnswerError(
            f"The model server did not give the forced answer {answer!r} with logprobs "
            f"(it answered {_short(text)!r}): it does not follow the grammar.")

    def _choose_once(self, messages: Sequence[Message], answers: list[str], reserve: int,
                     body: dict[str, Any]) -> int:
        bad = ""
        for _ in range(2):
            text, _, _ = self._chat(messages, reserve, body)
            if text in answers:
                return answers.index(text)
            bad = text
        raise ServerAnswerError(
            f"The model server answered {_short(bad)!r}, which is none of the {len(answers)} "
            "options, twice: it does not follow the grammar.")

    def _samples(self, messages: Sequence[Message], answers: list[str], reserve: int,
                 body: dict[str, Any]) -> list[int]:
        """``SAMPLES`` constrained answers at temperature 1 (no logprobs on this server)."""
        def one(seed: int) -> int | None:
            sample = {**body, "temperature": 1.0, "seed": seed}
            sample.pop("top_k", None)
            text, _, _ = self._chat(messages, reserve, sample)
            return answers.index(text) if text in answers else None

        return [i for i in self._map(one, list(range(1, SAMPLES + 1))) if i is not None]

    # -- speed -------------------------------------------------------------------------------
    def measure_speed(self, prompt_tokens: int = 256, gen_tokens: int = 32) -> SpeedReport:
        """Prompt and generation speed as seen from here (network included), no cache reuse."""
        filler = "The quick brown fox jumps over the lazy dog. " * max(1, prompt_tokens // 10 + 1)
        tokens = self.tokenize(filler)
        if tokens is not None and len(tokens) > prompt_tokens:
            filler = self.truncate(filler, prompt_tokens)
        nonce = f"{random.random():.12f} "
        body = {"model": self.features.model, "temperature": 0.0, "top_k": 1, "seed": 0,
                "cache_prompt": False, "stream": False}

        def timed(prompt: str, n: int) -> tuple[float, dict[str, Any]]:
            t0 = time.perf_counter()
            data = self._post("/v1/completions", {**body, "prompt": prompt, "max_tokens": n,
                                                  "ignore_eos": True, "min_tokens": n})
            if data is None:
                raise ServerLacks(f"{self.options.origin()} has no /v1/completions endpoint.")
            return time.perf_counter() - t0, data

        t_prompt, data = timed(nonce + filler, 1)
        n_prompt = int((data.get("usage") or {}).get("prompt_tokens") or prompt_tokens)
        t_short, _ = timed(nonce + "Count: 1, 2, 3,", 1)
        t_gen, data = timed(nonce + "Count: 1, 2, 3,", gen_tokens)
        n_gen = int((data.get("usage") or {}).get("completion_tokens") or 0)
        if n_gen > 1 and t_gen - t_short > 0.01:  # the first token costs what t_short cost
            gen_speed = (n_gen - 1) / (t_gen - t_short)
        else:  # the server stopped at once (no ignore_eos): time per request, roughly
            gen_speed = max(1, n_gen) / max(t_gen, 1e-6)
        return SpeedReport(n_prompt / max(t_prompt, 1e-6), gen_speed)

    # -- embeddings --------------------------------------------------------------------------
    def embedder(self) -> RemoteEmbedder | None:
        """The server's sentence embedder when it serves one (see EMBEDDER_HINTS)."""
        if not self.features.embed_model:
            return None
        transport = _Transport(self.options, self._http.root)  # its own, closed with it
        return RemoteEmbedder(transport, self.features.embed_model, self.features.meta.get("embed_dim"))


class RemoteEmbedder:
    """Sentence embeddings through ``/v1/embeddings``, L2-normalised like models/embeddings.py."""

    BATCH = 64

    def __init__(self, transport: _Transport, model: str, dim: int | None) -> None:
        self._http = transport
        self.model = model
        self.dim = dim

    @property
    def identity(self) -> str:
        return f"server:{self.model}:{self.dim}"

    def embed(self, texts: Sequence[str], cancel: Any | None = None) -> np.ndarray:
        rows: list[list[float]] = []
        for start in range(0, len(texts), self.BATCH):
            if cancel is not None:
                cancel.check()
            chunk = [t or " " for t in texts[start : start + self.BATCH]]
            data = self._http.request("POST", "/v1/embeddings", {"model": self.model, "input": chunk})
            items = sorted((data or {}).get("data") or [], key=lambda d: d.get("index", 0))
            if len(items) != len(chunk):
                raise ServerAnswerError(
                    f"The server returned {len(items)} embeddings for {len(chunk)} texts.")
            for item in items:
                vec = item.get("embedding")
                if not isinstance(vec, list) or not vec:
                    raise ServerAnswerError("The server returned an embedding that is not a list of numbers.")
                rows.append(vec)
        if not rows:
            return np.zeros((0, self.dim or 0), dtype=np.float32)
        arr = np.asarray(rows, dtype=np.float32)
        if arr.ndim != 2 or not np.isfinite(arr).all():
            raise ServerAnswerError("The server returned malformed embeddings.")
        norms = np.linalg.norm(arr, axis=1, keepdims=True)
        return arr / np.maximum(norms, 1e-12)

    def close(self) -> None:
        self._http.close()


# -- detection ----------------------------------------------------------------------------------


def _grammar_fields(style: str, grammar: str) -> dict[str, Any]:
    if style == "structured_outputs":
        return {"structured_outputs": {"grammar": grammar}}
    if style == "guided_grammar":
        return {"guided_grammar": grammar}
    return {"grammar": grammar}


def _message_text(data: Any) -> tuple[str, str]:
    try:
        choice = data["choices"][0]
        content = choice["message"]["content"]
    except (KeyError, IndexError, TypeError) as exc:
        raise ServerAnswerError(f"The server's answer has no message text: {_short(json.dumps(data)[:400])}") from exc
    if not isinstance(content, str):
        raise ServerAnswerError("The server's answer has no message text.")
    return content, str(choice.get("finish_reason") or "")


Step = tuple[str, float, list[tuple[str, float]]]  # (token, logprob, top alternatives)


def _logprob_steps(data: dict[str, Any]) -> list[Step]:
    try:
        content = data["choices"][0]["logprobs"]["content"]
        steps = []
        for entry in content:
            top = [(str(t["token"]), float(t["logprob"])) for t in entry.get("top_logprobs") or []]
            steps.append((str(entry["token"]), float(entry["logprob"]), top))
        return steps
    except (KeyError, IndexError, TypeError, ValueError):
        return []


def _context_from_error(text: str) -> int | None:
    for pattern in _CTX_PATTERNS:
        m = pattern.search(text)
        if m:
            return int(m.group(1))
    return None


def _tokenize(http: _Transport, style: str | None, model: str, text: str, *,
              before_retry: Any = None, retry: bool = True) -> list[int] | None:
    if style == "llama-server":
        data = http.request("POST", "/tokenize", {"content": text, "add_special": False},
                            before_retry=before_retry, retry=retry)
    elif style == "vllm":
        data = http.request("POST", "/tokenize", {"model": model, "prompt": text, "add_special_tokens": False},
                            before_retry=before_retry, retry=retry)
    elif style == "llama-cpp-python":
        data = http.request("POST", "/extras/tokenize", {"input": text, "model": model},
                            before_retry=before_retry, retry=retry)
    else:
        return None
    tokens = (data or {}).get("tokens") if isinstance(data, dict) else None
    if not isinstance(tokens, list):
        return None
    # llama-server may answer [{"id":..,"piece":..}] with with_pieces; plain ids otherwise
    return [int(t["id"]) if isinstance(t, dict) else int(t) for t in tokens]


def _detokenize(http: _Transport, style: str | None, model: str, tokens: list[int], *,
                before_retry: Any = None) -> str | None:
    if style == "llama-server":
        data = http.request("POST", "/detokenize", {"tokens": tokens}, before_retry=before_retry)
        key = "content"
    elif style == "vllm":
        data = http.request("POST", "/detokenize", {"model": model, "tokens": tokens}, before_retry=before_retry)
        key = "prompt"
    elif style == "llama-cpp-python":
        data = http.request("POST", "/extras/detokenize", {"tokens": tokens, "model": model},
                            before_retry=before_retry)
        key = "text"
    else:
        return None
    text = data.get(key) if isinstance(data, dict) else None
    return text if isinstance(text, str) else None


def _kind(models: list[dict[str, Any]], props: Any, version: Any) -> str:
    owners = {str(m.get("owned_by", "")).lower() for m in models}
    if "vllm" in owners or (isinstance(version, dict) and "version" in version and props is None):
        return "vllm"
    if "llamacpp" in owners or isinstance(props, dict) and "default_generation_settings" in props:
        return "llama-server"
    if "me" in owners:
        return "llama-cpp-python"
    if owners & {"library", "ollama"}:
        return "ollama"
    return "openai-compatible"


def _detect(http: _Transport, options: ServerOptions) -> ServerFeatures:
    try:
        listing = http.request("GET", "/v1/models")
    except ServerUnreachable as exc:
        raise ServerUnreachable(
            f"No model server answers at {options.origin()} ({exc.reason}). Start it first, e.g. "
            "`llama-server -m MODEL.gguf --port 8080 --parallel 4` or "
            "`python -m llama_cpp.server --model MODEL.gguf --port 8080`, or check the address."
        ) from exc
    if not isinstance(listing, dict) or not isinstance(listing.get("data"), list):
        raise ServerLacks(
            f"{options.origin()} does not answer /v1/models like an OpenAI-compatible server.")
    entries = [m for m in listing["data"] if isinstance(m, dict) and m.get("id")]
    ids = [str(m["id"]) for m in entries]
    embed_ids = [i for i in ids if any(h in i.lower() for h in EMBEDDER_HINTS)]
    chat_ids = [i for i in ids if i not in embed_ids] or ids
    if options.model:
        if options.model not in ids:
            raise ServerLacks(
                f"The server at {options.origin()} does not serve {options.model!r}; it serves: "
                f"{', '.join(ids) or 'nothing'}.")
        model = options.model
    elif len(chat_ids) == 1:
        model = chat_ids[0]
    else:
        raise ServerLacks(
            f"The server at {options.origin()} serves {len(chat_ids)} models ({', '.join(chat_ids) or 'none'}); "
            "choose one with --server-model.")
    entry = next(m for m in entries if str(m["id"]) == model)
    props = _optional(http, "/props")
    version = _optional(http, "/version")
    kind = _kind(entries, props if isinstance(props, dict) else None, version)
    meta = _model_meta(entry)
    n_ctx = None
    if isinstance(props, dict):
        settings = props.get("default_generation_settings") or {}
        n_ctx = settings.get("n_ctx") or props.get("n_ctx")
    if not n_ctx and entry.get("max_model_len"):
        n_ctx = entry["max_model_len"]
    n_ctx = int(n_ctx) if n_ctx else None  # what the server says beats --n-ctx

    tokenizer = None
    order = {"llama-server": ["llama-server"], "vllm": ["vllm"],
             "llama-cpp-python": ["llama-cpp-python"]}.get(kind, ["llama-server", "vllm", "llama-cpp-python"])
    for style in order:
        try:
            if _tokenize(http, style, model, "hello world", retry=False):
                tokenizer = style
                break
        except ServerError:
            continue

    grammar_style, logprobs = _probe_grammar(http, model, kind)
    features = ServerFeatures(kind, model, ids, grammar_style, logprobs, tokenizer, n_ctx, meta)
    if options.embeddings and embed_ids:
        name = embed_ids[0]
        try:
            data = http.request("POST", "/v1/embeddings", {"model": name, "input": ["probe"]}, retry=False)
            vec = data["data"][0]["embedding"] if isinstance(data, dict) else None
            if isinstance(vec, list) and vec:
                features.embed_model = name
                features.meta["embed_dim"] = len(vec)
        except (ServerError, KeyError, IndexError, TypeError):
            pass
    features.parts = _identity_parts(http, features)
    features.fingerprint = _fingerprint(features.parts)
    return features


def _optional(http: _Transport, path: str) -> Any:
    """GET an endpoint some servers have; None when absent or refused."""
    try:
        return http.request("GET", path, retry=False)
    except ServerError:
        return None


def _model_meta(entry: dict[str, Any]) -> dict[str, Any]:
    """What the model list says about the model: llama-server's meta, vLLM's fields."""
    meta: dict[str, Any] = {}
    if isinstance(entry.get("meta"), dict):
        meta.update({k: entry["meta"][k] for k in ("n_params", "size", "n_vocab", "n_ctx_train", "n_embd")
                     if k in entry["meta"]})
    for k in ("max_model_len", "root"):
        if k in entry:
            meta[k] = entry[k]
    return meta


def _probe_grammar(http: _Transport, model: str, kind: str) -> tuple[str, bool]:
    """How the server takes a grammar, and whether its answers carry logprobs. Each style is
    tried with logprobs, then (a server may refuse them: llama-cpp-python's without
    logits_all answers HTTP 500) without."""
    styles = ["structured_outputs", "guided_grammar", "grammar"] if kind == "vllm" else \
        ["grammar", "structured_outputs", "guided_grammar"]
    tried = []
    for style in styles:
        for logprobs in (True, False):
            body = {"model": model, "stream": False, "max_tokens": 6, "temperature": 0.0, "seed": 0,
                    "messages": [{"role": "user", "content": "Say hello."}],
                    **_grammar_fields(style, PROBE_GRAMMAR)}
            if logprobs:
                body.update({"logprobs": True, "top_logprobs": 2})
            try:
                data = http.request("POST", "/v1/chat/completions", body, retry=False)
            except (_HTTPError, ServerUnreachable) as exc:
                tried.append(f"{style}{'' if logprobs else ' without logprobs'}: {exc.args[0][:120]}")
                continue
            if data is None:
                raise ServerLacks(f"{http.options.origin()} has no /v1/chat/completions endpoint.")
            try:
                text, _ = _message_text(data)
            except ServerAnswerError as exc:
                tried.append(f"{style}: {exc}")
                break
            if _PROBE_RE.fullmatch(text):
                return style, logprobs and bool(_logprob_steps(data))
            tried.append(f"{style}: answered {_short(text, 40)!r}")
            break  # the style was taken and ignored; logprobs are not the reason
    raise ServerLacks(
        f"The server at {http.options.origin()} does not constrain answers with a grammar "
        f"({'; '.join(tried)}). Corral needs llama.cpp's llama-server, llama-cpp-python's "
        "server, or vLLM with structured outputs (xgrammar).")


def _identity_parts(http: _Transport, features: ServerFeatures, *, retry: bool = True,
                    fresh: bool = False) -> dict[str, Any]:
    """What identifies the model: its name, what the model list reports about it, the token
    ids of a fixed text and the greedy answer to a fixed prompt. ``fresh`` reads the model
    list again (after a lost connection) and fails if the model is gone."""
    meta = {k: v for k, v in features.meta.items() if k != "embed_dim"}
    if fresh:
        listing = http.request("GET", "/v1/models", retry=retry)
        entries = [m for m in (listing or {}).get("data") or [] if isinstance(m, dict)]
        entry = next((m for m in entries if str(m.get("id")) == features.model), None)
        if entry is None:
            raise ServerModelChanged(
                f"The server no longer serves {features.model}; it serves: "
                f"{', '.join(str(m.get('id')) for m in entries) or 'nothing'}.")
        meta = _model_meta(entry)
    tokens = None
    if features.tokenizer:
        tokens = _tokenize(http, features.tokenizer, features.model, FINGERPRINT_TEXT, retry=retry)
    return {"model": features.model, "meta": meta, "tokens": tokens,
            "answer": _probe_answer(http, features.model, retry=retry)}


def _probe_answer(http: _Transport, model: str, *, retry: bool = True) -> str:
    body = {"model": model, "messages": FINGERPRINT_MESSAGES, "stream": False,
            "max_tokens": 12, "temperature": 0.0, "top_k": 1, "seed": 0, "repeat_penalty": 1.0}
    answer, _ = _message_text(http.request("POST", "/v1/chat/completions", body, retry=retry))
    return answer


def _fingerprint(parts: dict[str, Any]) -> str:
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


if TYPE_CHECKING:

    def _is_a_text_model(model: RemoteLLM) -> TextModel:  # mypy checks the interface here
        return model
