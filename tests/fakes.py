"""A scripted stand-in for LocalLLM, for unit tests of the logic around the model."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from corral.models.runtime import Choice, Message, UsageStats


class FakeLLM:
    concurrency = 1  # one call at a time, as the in-process runtime
    def __init__(
        self,
        *,
        label_for: Callable[[str], str] = lambda text: text.split()[0],
        merge_answer: list[str] | str | None = None,
        choose_for: Callable[[str, Sequence[str]], int] | None = None,
        coherent: Callable[[list[str]], bool] = lambda sample: True,
        generic_answer: list[str] | None = None,
        reask_for: Callable[[str], str] | None = None,
    ) -> None:
        self.generic_answer = generic_answer or []
        self.reask_for = reask_for or label_for  # the criterion asked again (stages/relevance.py)
        self.coherent = coherent
        self.label_for = label_for
        self.merge_answer = merge_answer
        self.choose_for = choose_for
        self.usage = UsageStats()
        self.calls: list[str] = []
        self.closed = False

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def truncate(self, text: str, max_tokens: int) -> str:
        words = text.split()
        return text if len(words) <= max_tokens else " ".join(words[:max_tokens]) + " ..."

    def generate(self, messages: Sequence[Message], *, grammar: str | None = None,
                 max_tokens: int = 256, cancel: object = None) -> str:
        prompt = messages[-1]["content"]
        self.usage.calls += 1
        if "Question about the file below:" in prompt:
            # One file's own answer to the criterion: its label, bare words.
            self.calls.append("answer")
            return self.label_for(prompt.split("File:\n", 1)[1].rsplit("\n\nQuestion: ", 1)[0])
        if "These files are being sorted into folders by one question:" in prompt:
            self.calls.append("reask")
            return self.reask_for(prompt.split("File:\n", 1)[1].rsplit("\n\nFolder name:", 1)[0])
        if "Answer the question for each file in your head" in prompt:
            # The criterion's values: the labels of the sample's files, in order, K of them.
            self.calls.append("values")
            files = prompt.split("Some of the files:\n", 1)[1].split("\n\n", 1)[0]
            values = list(dict.fromkeys(self.label_for(line.split(". ", 1)[1]) for line in files.splitlines()))
            if "then list the " in prompt and prompt.split("then list the ", 1)[1][0].isdigit():
                k = int(prompt.split("then list the ", 1)[1].split()[0])
                values = (values + [f"extra {n}" for n in range(k)])[:k]
            return json.dumps(values)
        if "common short answers" in prompt:
            self.calls.append("generic")
            return json.dumps(self.generic_answer)
        if "Name this group" in prompt:
            self.calls.append("name")
            labels = json.loads(prompt.split("(with counts): ", 1)[1].split("\n", 1)[0])
            return json.dumps([max(labels, key=labels.get)])
        if "Merge" in prompt:
            self.calls.append("merge")
            if isinstance(self.merge_answer, str):
                return self.merge_answer
            counts = json.loads(prompt.split("got it.\n", 1)[1].split("\n\n", 1)[0])
            return json.dumps(self.merge_answer if self.merge_answer is not None else list(counts))
        self.calls.append("summary")
        return "A summary of the document."

    def choose(self, messages: Sequence[Message], options: Sequence[str], *, answer_prefix: str = "") -> Choice:
        self.usage.calls += 1
        prompt = messages[-1]["content"]
        if "classify the group" in prompt:
            self.calls.append("coherence")
            members = prompt.split("in one group:\n", 1)[1].split("\n\n", 1)[0]
            good = self.coherent([line[2:] for line in members.splitlines()])
            return Choice(0 if good else 1, options[0 if good else 1], 0.9, {0: 0.9 if good else 0.1})
        self.calls.append("assign")
        text = messages[-1]["content"].rsplit("File:\n", 1)[1]
        if self.choose_for is not None:
            idx = self.choose_for(text, options)
        else:
            idx = next((i for i, o in enumerate(options) if o.lower() in text.lower()), 0)
        conf = 0.9 if options[idx].lower() in text.lower() else 0.2
        return Choice(idx, options[idx], conf, {idx: conf})

    def close(self) -> None:
        self.closed = True


class FakeStateLLM(FakeLLM):
    """A FakeLLM that also gives a hidden state with each answer, as the in-process runtime's
    ``generate_with_state`` does: ``state_for(file text)`` gives the (2, dim) array."""

    def __init__(self, *, state_for: Callable[[str], object], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.state_for = state_for

    def generate_with_state(self, messages: Sequence[Message], *, grammar: str | None = None,
                            max_tokens: int = 256, cancel: object = None) -> tuple[str, object]:
        text = self.generate(messages, grammar=grammar, max_tokens=max_tokens, cancel=cancel)
        body = messages[-1]["content"].split("File:\n", 1)[1].rsplit("\n\nQuestion: ", 1)[0]
        return text, self.state_for(body)


class FakeBatchLLM(FakeLLM):
    """A FakeLLM that answers several prompts in one call, as the in-process runtime's
    ``generate_many`` does, ``parallel`` at a most; ``batches`` records each call's size."""

    def __init__(self, *, parallel: int = 4, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.parallel = parallel
        self.batches: list[int] = []

    def generate_many(self, requests: Sequence[Sequence[Message]], *, grammar: str | None = None,
                      max_tokens: int = 256, cancel: object = None) -> list[str]:
        assert len(requests) <= self.parallel
        self.batches.append(len(requests))
        return [self.generate(m, grammar=grammar, max_tokens=max_tokens) for m in requests]
