"""The language model on a server (models/remote_server.py): privacy rules, feature
detection, the confidence arithmetic, faults (down, slow, garbage, another model), the API
key, several requests in flight; then a real llama-cpp-python server with the tiny model,
killed mid-run and restarted (marked ``model``).

Every server here listens on 127.0.0.1 on a free port; every wait is bounded.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from corral.engine import prompts
from corral.models import gbnf
from corral.models.remote_server import (
    API_KEY_ENV,
    RemoteLLM,
    ServerAnswerError,
    ServerError,
    ServerLacks,
    ServerModelChanged,
    ServerOptions,
    ServerUnreachable,
    check_address,
    option_probabilities,
    sampled_choice,
)
from tests.fake_openai import FakeServer, Script

REPO = Path(__file__).resolve().parents[1]
# Plain words, not JSON: a grammar the server's answer is checked against.
WORDS_GRAMMAR = 'root ::= word (" " word){0,3}\nword ::= [^" \\n,<>]{1,24}\n'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _options(url: str, **kw: object) -> ServerOptions:
    base = {"retries": 1, "backoff_s": 0.05, "read_timeout_s": 10.0, "connect_timeout_s": 2.0}
    return ServerOptions(url, **{**base, **kw})  # type: ignore[arg-type]


# -- privacy -------------------------------------------------------------------------------------


def test_only_local_addresses_without_allow_remote() -> None:
    assert check_address("http://127.0.0.1:8080/v1/") == "http://127.0.0.1:8080"
    assert check_address("http://192.168.1.20:8000") == "http://192.168.1.20:8000"
    assert check_address("http://[::1]:8080") == "http://[::1]:8080"
    assert check_address("http://10.0.0.5/llm/v1") == "http://10.0.0.5/llm"
    with pytest.raises(ServerError, match="outside this computer"):
        check_address("http://8.8.8.8:8080")
    with pytest.raises(ServerError, match="https"):
        check_address("http://8.8.8.8:8080", allow_remote=True)
    assert check_address("https://8.8.8.8", allow_remote=True) == "https://8.8.8.8"
    with pytest.raises(ServerError, match="user name or password"):
        check_address("http://me:secret@127.0.0.1:8080")
    with pytest.raises(ServerError, match="not an http"):
        check_address("ftp://127.0.0.1")


def test_the_default_path_loads_no_network_code() -> None:
    """Without --server nothing imports the HTTP client or the remote model; the
    socket-blocked organize in test_faults.py covers the run itself."""
    code = ("import sys, corral.engine.cli as cli, corral.engine.pipeline, corral.engine.stages.inflight\n"
            "cli.build_parser().parse_args(['organize', 'x', '-c', 'kind'])\n"
            "bad = [m for m in ('httpx', 'httpcore', 'corral.models.remote_server') if m in sys.modules]\n"
            "assert not bad, bad\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_network_code_lives_only_in_remote_or_server_files() -> None:
    pattern = re.compile(r"^\s*(import|from)\s+(socket|ssl|httpx|httpcore|requests|urllib\.request|"
                         r"http\.client|aiohttp|websocket)\b", re.M)
    offenders = []
    for folder in ("models", "engine", "desktop", "corral"):
        for path in (REPO / folder).rglob("*.py"):
            if pattern.search(path.read_text(encoding="utf-8")):
                name = path.name
                if not (folder == "models" and ("remote" in name or "server" in name)):
                    offenders.append(str(path.relative_to(REPO)))
    assert offenders == []


# -- arithmetic ----------------------------------------------------------------------------------


def test_option_probabilities_and_samples() -> None:
    probs = option_probabilities([-0.1, -3.0, float("-inf")])
    assert probs[0] > 0.9 and probs[2] == 0.0 and abs(sum(probs) - 1) < 1e-9
    confidence, shares = sampled_choice(1, [1, 1, 0, 1], 3)
    assert confidence == 0.75 and shares == {0: 0.25, 1: 0.75, 2: 0.0}


def test_grammar_check_on_corral_grammars() -> None:
    single = WORDS_GRAMMAR
    assert gbnf.check(single, "medical bills")
    assert gbnf.check(single, "a b c d e") is False
    assert gbnf.check(single, "<html>oops</html>") is False
    three = prompts.label_grammar(3)
    assert gbnf.check(three, '["a", "b c","d"]')
    assert gbnf.check(three, '["a", "b"]') is False
    assert gbnf.check(three, '["a", "b c", "d', partial=True)  # cut off by max_tokens
    assert gbnf.check(prompts.SUMMARY_GRAMMAR, "x" * 30)
    assert gbnf.check(prompts.SUMMARY_GRAMMAR, "short") is False
    assert gbnf.check("root ::= <[123]>", "x") is None  # not covered: never rejects
    grammar = gbnf.choice_grammar(['Group: say "hi"', "Group: a\\b"])
    assert gbnf.check(grammar, 'Group: say "hi"') and gbnf.check(grammar, "Group: a\\b")


# -- a scripted server ---------------------------------------------------------------------------


def test_connect_detects_what_the_server_offers() -> None:
    with FakeServer(Script(embedder="all-minilm-l6-v2")) as fake:
        with RemoteLLM.connect(_options(fake.url)) as llm:
            f = llm.features
            assert (f.kind, f.model, f.grammar_style, f.logprobs, f.tokenizer) == (
                "llama-cpp-python", "fake-model", "grammar", True, "llama-cpp-python")
            assert f.embed_model == "all-minilm-l6-v2"
            assert llm.identity.startswith("server:fake-model:")
            vectors = llm.embedder().embed(["a b", "ccc"])
            assert vectors.shape == (2, 3)
            first = llm.identity
        fake.script.fingerprint = "another model's words"
        with RemoteLLM.connect(_options(fake.url)) as other:
            assert other.identity != first
        with pytest.raises(ServerModelChanged):
            RemoteLLM.connect(_options(fake.url), expect_identity=first)


def test_choose_scores_every_option_in_flight() -> None:
    with FakeServer() as fake, RemoteLLM.connect(_options(fake.url, concurrency=3)) as llm:
        messages = prompts.assign_messages("kind", ["receipt", "letter", "recipe"], "A letter to Anna")
        choice = llm.choose(messages, ["receipt", "letter", "recipe"], answer_prefix="Group:")
        assert choice.option == "letter" and choice.confidence > 0.8
        assert set(choice.first_step) == {0, 1, 2}
        forced = [b for p, b, _ in fake.script.requests if p == "POST /v1/chat/completions"
                  and '"Group: ' in str(b.get("grammar"))]
        assert len(forced) == 3 and all(b["cache_prompt"] for b in forced)


def test_speed_is_measured_through_the_server() -> None:
    with FakeServer() as fake, RemoteLLM.connect(_options(fake.url)) as llm:
        speed = llm.measure_speed(prompt_tokens=200, gen_tokens=32)
        assert 50 < speed.prompt_tokens_per_s < 2000 and 50 < speed.generate_tokens_per_s < 2000
        sent = [b for p, b, _ in fake.script.requests if p == "POST /v1/completions"]
        assert sent and not any(b["cache_prompt"] for b in sent)


def test_no_logprobs_falls_back_to_constrained_samples() -> None:
    script = Script(logprobs=False, chat=lambda body: "Good" if "Good" in body.get("grammar", "") else "x")
    with FakeServer(script) as fake, RemoteLLM.connect(_options(fake.url)) as llm:
        assert not llm.features.logprobs
        choice = llm.choose(prompts.coherence_messages("kind", ["a", "b"]), ["Good", "Bad"])
        assert choice.option == "Good" and choice.confidence == 1.0


def test_a_server_that_refuses_logprobs_is_used_without_them() -> None:
    with FakeServer(Script(refuse_logprobs=True)) as fake, RemoteLLM.connect(_options(fake.url)) as llm:
        assert llm.features.grammar_style == "grammar" and not llm.features.logprobs
        messages = prompts.assign_messages("kind", ["receipt", "letter"], "A letter to Anna")
        assert llm.choose(messages, ["receipt", "letter"], answer_prefix="Group:").index in (0, 1)


def test_dead_url_says_so_clearly(tmp_path: Path) -> None:
    port = _free_port()
    with pytest.raises(ServerUnreachable, match="No model server answers at http://127.0.0.1"):
        RemoteLLM.connect(_options(f"http://127.0.0.1:{port}"))
    done = subprocess.run(
        [sys.executable, "-m", "corral", "organize", str(REPO / "resources"), "-c", "kind",
         "--server", f"http://127.0.0.1:{port}", "--project", str(tmp_path / "p.corral")],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "No model server answers" in done.stderr and "Traceback" not in done.stderr


def test_a_server_that_ignores_grammars_is_refused() -> None:
    with FakeServer(Script(grammar=False)) as fake:
        with pytest.raises(ServerLacks, match="does not constrain answers with a grammar"):
            RemoteLLM.connect(_options(fake.url))


def test_garbage_and_off_grammar_answers_are_rejected() -> None:
    script = Script(chat=lambda body: "<html>Bad gateway</html>")
    with FakeServer(script) as fake, RemoteLLM.connect(_options(fake.url)) as llm:
        msgs = prompts.answer_messages("kind", "Dear Anna")
        with pytest.raises(ServerAnswerError, match="does not follow the grammar"):
            llm.generate(msgs, grammar=WORDS_GRAMMAR, max_tokens=24)
        with pytest.raises(ServerAnswerError):
            llm.choose(msgs, ["a", "b"])
        fake.script.raw = "this is not json"
        with pytest.raises(ServerAnswerError, match="not JSON"):
            llm.generate(msgs, grammar=WORDS_GRAMMAR)
        fake.script.raw = None
        fake.script.chat = lambda body: "letter"
        assert llm.generate(msgs, grammar=WORDS_GRAMMAR) == "letter"


def test_errors_and_slowness_are_retried_with_backoff_then_reported() -> None:
    with FakeServer() as fake, RemoteLLM.connect(_options(fake.url, retries=2)) as llm:
        msgs = prompts.answer_messages("kind", "Dear Anna")
        fake.script.fail = [503, 502]
        assert llm.generate(msgs, grammar=WORDS_GRAMMAR) == "dear"
        fake.script.fail = [500, 500, 500]
        with pytest.raises(ServerUnreachable, match="3 tries.*HTTP 500.*resume"):
            llm.generate(msgs)
    with FakeServer() as fake, RemoteLLM.connect(_options(fake.url, read_timeout_s=0.3)) as llm:
        fake.script.delay_s = 1.0
        start = time.monotonic()
        with pytest.raises(ServerUnreachable, match="timeout"):
            llm.generate(msgs)
        assert time.monotonic() - start < 5


def test_the_context_size_is_learnt_from_a_refusal_and_the_prompt_fitted() -> None:
    with FakeServer(Script(max_prompt_chars=1200)) as fake, \
            RemoteLLM.connect(_options(fake.url, n_ctx=4096)) as llm:
        assert llm.n_ctx == 4096  # llama-cpp-python's server does not say
        long_text = "Dear Anna, " + "word " * 2000
        label = llm.generate(prompts.answer_messages("kind", long_text),
                             grammar=WORDS_GRAMMAR, max_tokens=24)
        assert label == "dear" and llm.n_ctx == 256
        sent = [b for p, b, _ in fake.script.requests if p == "POST /v1/chat/completions"][-1]
        assert sum(len(m["content"]) for m in sent["messages"]) <= 1200


def test_another_model_behind_the_url_is_detected_mid_run() -> None:
    port = _free_port()
    first = FakeServer(port=port).start()
    llm = RemoteLLM.connect(_options(first.url, retries=3, backoff_s=1.0))
    msgs = prompts.answer_messages("kind", "Dear Anna")
    assert llm.generate(msgs) == "dear"
    first.stop()  # "restarted" with another model: the next request fails once, then verifies
    second: list[FakeServer] = []  # made (and listening) only once the timer fires
    timer = threading.Timer(0.3, lambda: second.append(
        FakeServer(Script(fingerprint="another model's words"), port=port).start()))
    timer.start()
    try:
        with pytest.raises(ServerModelChanged, match="changed during the run"):
            llm.generate(msgs)
    finally:
        timer.join()
        for server in second:
            server.stop()
        llm.close()


def test_a_silent_swap_is_caught_by_the_periodic_check() -> None:
    with FakeServer() as fake, RemoteLLM.connect(_options(fake.url, verify_every_s=0.0)) as llm:
        msgs = prompts.answer_messages("kind", "Dear Anna")
        assert llm.generate(msgs) == "dear"
        fake.script.fingerprint = "another model's words"
        with pytest.raises(ServerModelChanged):
            llm.generate(msgs)


def test_the_api_key_goes_only_into_the_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture) -> None:
    secret = "sk-corral-test-0123456789"
    monkeypatch.setenv(API_KEY_ENV, secret)
    caplog.set_level(logging.DEBUG)
    folder = tmp_path / "docs"
    folder.mkdir()
    for kind in ("receipt", "letter", "recipe"):
        for n in range(3):
            (folder / f"{kind}{n}.txt").write_text(f"{kind} number {n} " + "words " * n)
    project = tmp_path / "p.corral"
    with FakeServer(Script(embedder="all-minilm-l6-v2")) as fake:
        done = subprocess.run(
            [sys.executable, "-m", "corral", "organize", str(folder), "-c", "kind", "--k", "3",
             "--project", str(project), "--server", fake.url + "/v1", "--concurrency", "3"],
            capture_output=True, text=True, timeout=300, env={**os.environ, API_KEY_ENV: secret})
        assert done.returncode == 0, done.stderr
        headers = [h for _, _, h in fake.script.requests]
        assert headers and all(h.get("Authorization") == f"Bearer {secret}" for h in headers)
        assert any(p == "POST /v1/embeddings" for p, _, _ in fake.script.requests)
        with RemoteLLM.connect(_options(fake.url)) as llm:
            assert secret not in repr(llm) and secret not in repr(llm.options)
    assert secret not in done.stdout + done.stderr + caplog.text
    for root in (tmp_path, Path(os.environ["CORRAL_HOME"])):  # the project; settings, logs
        for path in root.rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), path
    con = sqlite3.connect(project)
    model = con.execute("select model from runs order by id desc").fetchone()[0]
    con.close()
    assert model.startswith("server:fake-model:")


# -- a real llama-cpp-python server -------------------------------------------------------------


def _start_server(model: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
         "--port", str(port), "--n_threads", "1", "--n_threads_batch", "1", "--n_ctx", "2048"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("llama_cpp.server exited at start")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("llama_cpp.server did not start within 120 s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=30)


def _cached(project: Path, stage: str) -> int:
    try:
        con = sqlite3.connect(project, timeout=1)
        try:
            return con.execute("select count(*) from cache where stage = ?", [stage]).fetchone()[0]
        finally:
            con.close()
    except sqlite3.OperationalError:
        return 0


@pytest.mark.model
@pytest.mark.slow
def test_organize_through_a_real_server_killed_mid_run_then_resumed(
    tmp_path: Path, tiny_model_path: Path
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    texts = {"receipt": "Receipt: total due {n}.50 dollars, paid by card.",
             "letter": "Dear Anna, thank you for letter number {n}. Love, Jonas."}
    for kind, template in texts.items():
        for n in range(4):
            (folder / f"{kind}_{n}.txt").write_text(template.format(n=n))
    project = tmp_path / "p.corral"
    port = _free_port()
    cmd = [sys.executable, "-m", "corral", "organize", str(folder), "-c", "kind of document",
           "--k", "2", "--project", str(project), "--server", f"http://127.0.0.1:{port}",
           "--concurrency", "2", "--threads", "1"]
    server = _start_server(tiny_model_path, port)
    try:
        run = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and run.poll() is None and _cached(project, "answer") < 3:
            time.sleep(0.05)
        assert run.poll() is None, "the run finished before the server could be killed"
        _stop(server)  # killed mid-run
        out, err = run.communicate(timeout=300)
        assert run.returncode == 1, out + err
        assert "run the same command to resume" in err and "Traceback" not in err
        kept = _cached(project, "answer")
        assert kept >= 3

        server = _start_server(tiny_model_path, port)  # same model: same identity, cache reused
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        con = sqlite3.connect(project)
        status, stats = con.execute("select status, stats from runs order by id desc").fetchone()
        assigned = con.execute("select count(*) from assignments a join runs r on a.run_id = r.id "
                               "where r.status = 'done'").fetchone()[0]
        con.close()
        assert status == "done" and assigned == 8
        assert json.loads(stats)["propose"]["cached"] >= kept
    finally:
        _stop(server)


# -- several requests in flight (engine/stages/inflight.py) ----------------------------------


def test_cached_many_keeps_order_bounds_the_flight_and_keeps_finished_answers(tmp_path: Path) -> None:
    from corral.engine.stages.base import LazyModel, Settings, StageContext
    from corral.engine.stages.inflight import cached_many
    from corral.engine.store import Project

    class Model:
        concurrency = 3

        def close(self) -> None:
            pass

    lock = threading.Lock()
    state = {"active": 0, "peak": 0, "calls": 0}

    def job(i: int, fail: bool = False):  # noqa: ANN202
        def run() -> str:
            with lock:
                state["active"] += 1
                state["calls"] += 1
                state["peak"] = max(state["peak"], state["active"])
            time.sleep(0.05 if not fail else 0.01)
            with lock:
                state["active"] -= 1
            if fail:
                raise RuntimeError("server gone")
            return f"answer {i}"
        return {"i": i}, run

    with Project.open(tmp_path / "p.corral") as project:
        ctx = StageContext(project, LazyModel("m", Model), Settings(criterion="c"))
        jobs = [job(i) for i in range(6)] + [job(0)]  # the last asks what the first asks
        out = cached_many(ctx, "answer", jobs)
        assert [a for a, _ in out] == [f"answer {i}" for i in range(6)] + ["answer 0"]
        assert [c for _, c in out] == [True] * 6 + [False]
        assert state["calls"] == 6 and 2 <= state["peak"] <= 3
        again = cached_many(ctx, "answer", jobs)
        assert [c for _, c in again] == [False] * 7 and state["calls"] == 6
        with pytest.raises(RuntimeError, match="server gone"):
            cached_many(ctx, "answer", [job(10), job(11), job(12, fail=True), job(13)])
        kept = cached_many(ctx, "answer", [job(10), job(11)])
        assert [c for _, c in kept] == [False, False]  # finished before the failure: kept
