"""Check a text against a GBNF grammar (llama.cpp's grammar format), in pure Python.

The in-process runtime never needs this: llama.cpp cannot produce a token the grammar
forbids. A model server is another matter: it may ignore the ``grammar`` field, support
only part of the format, or hand back something else entirely (a proxy's error page, a
truncated body). :func:`check` lets models/remote_server.py reject such answers the way a
local run never sees them.

Supported: rules (``name ::= ...``), literals with escapes, character classes (``[a-z]``,
``[^...]``), ``.``, grouping, alternation, ``* + ?`` and ``{m}``, ``{m,}``, ``{m,n}``,
comments. A grammar using anything else (token syntax ``<...>``, recursion) is *not
checked*: :func:`check` answers ``None`` and the caller accepts the text, so a gap here can
never reject a correct answer.

Matching is by sets of end positions per (node, start), memoised, so nested repetitions
stay polynomial. ``partial=True`` also accepts a text that is a proper prefix of a sentence
of the grammar: an answer cut off by ``max_tokens`` (a local model stops the same way).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


class Unsupported(Exception):
    """The grammar uses a feature this checker does not implement."""


@dataclass(frozen=True)
class Lit:
    text: str


@dataclass(frozen=True)
class Cls:
    ranges: tuple[tuple[str, str], ...]
    negated: bool

    def matches(self, ch: str) -> bool:
        inside = any(lo <= ch <= hi for lo, hi in self.ranges)
        return inside != self.negated


@dataclass(frozen=True)
class Any_:
    pass


@dataclass(frozen=True)
class Seq:
    items: tuple[object, ...]


@dataclass(frozen=True)
class Alt:
    options: tuple[object, ...]


@dataclass(frozen=True)
class Rep:
    node: object
    low: int
    high: int | None


@dataclass(frozen=True)
class Ref:
    name: str


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"', "[": "[", "]": "]", "-": "-", "^": "^"}
_MAX_REPEAT = 100_000


class _Parser:
    def __init__(self, src: str) -> None:
        self.src = src
        self.pos = 0

    def error(self, what: str) -> Unsupported:
        return Unsupported(f"{what} at offset {self.pos}")

    def space(self, newlines: bool) -> None:
        src = self.src
        while self.pos < len(src):
            ch = src[self.pos]
            if ch == "#":
                while self.pos < len(src) and src[self.pos] not in "\r\n":
                    self.pos += 1
            elif ch in " \t" or (newlines and ch in "\r\n"):
                self.pos += 1
            else:
                break

    def name(self) -> str:
        start = self.pos
        while self.pos < len(self.src) and (self.src[self.pos].isalnum() or self.src[self.pos] in "-_"):
            self.pos += 1
        if start == self.pos:
            raise self.error("expected a rule name")
        return self.src[start : self.pos]

    def char(self) -> str:
        ch = self.src[self.pos]
        if ch != "\\":
            self.pos += 1
            return ch
        self.pos += 1
        if self.pos >= len(self.src):
            raise self.error("dangling escape")
        esc = self.src[self.pos]
        self.pos += 1
        if esc in _ESCAPES:
            return _ESCAPES[esc]
        width = {"x": 2, "u": 4, "U": 8}.get(esc)
        if width is None:
            raise self.error(f"unknown escape \\{esc}")
        digits = self.src[self.pos : self.pos + width]
        self.pos += width
        try:
            return chr(int(digits, 16))
        except ValueError as exc:
            raise self.error("bad hex escape") from exc

    def rules(self) -> dict[str, object]:
        rules: dict[str, object] = {}
        while True:
            self.space(newlines=True)
            if self.pos >= len(self.src):
                return rules
            name = self.name()
            self.space(newlines=False)
            if not self.src.startswith("::=", self.pos):
                raise self.error("expected ::=")
            self.pos += 3
            rules[name] = self.alternatives(nested=False)

    def alternatives(self, nested: bool) -> object:
        options = [self.sequence(nested)]
        while self.pos < len(self.src) and self.src[self.pos] == "|":
            self.pos += 1
            options.append(self.sequence(nested))
        return options[0] if len(options) == 1 else Alt(tuple(options))

    def sequence(self, nested: bool) -> object:
        items: list[object] = []
        while True:
            self.space(newlines=nested)
            if self.pos >= len(self.src):
                break
            ch = self.src[self.pos]
            if ch == '"':
                self.pos += 1
                chars = []
                while self.pos < len(self.src) and self.src[self.pos] != '"':
                    chars.append(self.char())
                if self.pos >= len(self.src):
                    raise self.error("unterminated literal")
                self.pos += 1
                items.append(Lit("".join(chars)))
            elif ch == "[":
                self.pos += 1
                negated = self.src.startswith("^", self.pos)
                self.pos += negated
                ranges = []
                while self.pos < len(self.src) and self.src[self.pos] != "]":
                    lo = self.char()
                    hi = lo
                    if self.src.startswith("-", self.pos) and not self.src.startswith("-]", self.pos):
                        self.pos += 1
                        hi = self.char()
                    ranges.append((lo, hi))
                if self.pos >= len(self.src):
                    raise self.error("unterminated character class")
                self.pos += 1
                items.append(Cls(tuple(ranges), negated))
            elif ch == ".":
                self.pos += 1
                items.append(Any_())
            elif ch == "(":
                self.pos += 1
                inner = self.alternatives(nested=True)
                self.space(newlines=True)
                if not self.src.startswith(")", self.pos):
                    raise self.error("expected )")
                self.pos += 1
                items.append(inner)
            elif ch.isalnum() or ch in "-_":
                save = self.pos
                name = self.name()
                self.space(newlines=False)
                if self.src.startswith("::=", self.pos):  # the next rule starts here
                    self.pos = save
                    break
                self.pos = save + len(name)
                items.append(Ref(name))
            elif ch in "*+?{":
                if not items:
                    raise self.error("repetition of nothing")
                items[-1] = self.repetition(items[-1])
            elif ch in "|)\r\n":
                break
            else:
                raise self.error(f"unexpected {ch!r}")
        return items[0] if len(items) == 1 else Seq(tuple(items))

    def repetition(self, node: object) -> Rep:
        ch = self.src[self.pos]
        self.pos += 1
        if ch == "*":
            return Rep(node, 0, None)
        if ch == "+":
            return Rep(node, 1, None)
        if ch == "?":
            return Rep(node, 0, 1)
        end = self.src.find("}", self.pos)
        if end < 0:
            raise self.error("unterminated {")
        body = self.src[self.pos : end].replace(" ", "")
        self.pos = end + 1
        try:
            if "," not in body:
                n = int(body)
                return Rep(node, n, n)
            low, high = body.split(",", 1)
            return Rep(node, int(low or 0), int(high) if high else None)
        except ValueError as exc:
            raise self.error("bad repetition") from exc


@lru_cache(maxsize=64)
def parse(grammar: str) -> dict[str, object]:
    """The rules of ``grammar``; raises :class:`Unsupported` for what is not covered."""
    rules = _Parser(grammar).rules()
    if "root" not in rules:
        raise Unsupported("no root rule")
    return rules


class _Matcher:
    def __init__(self, rules: dict[str, object], text: str) -> None:
        self.rules = rules
        self.text = text
        self.memo: dict[tuple[int, int], tuple[frozenset[int], bool]] = {}
        self.active: set[tuple[str, int]] = set()

    def ends(self, node: object, pos: int) -> tuple[frozenset[int], bool]:
        """Positions where a match of ``node`` starting at ``pos`` can end, and whether a
        match could also run past the end of the text (the text is a prefix of it)."""
        key = (id(node), pos)
        hit = self.memo.get(key)
        if hit is None:
            hit = self._ends(node, pos)
            self.memo[key] = hit
        return hit

    def _ends(self, node: object, pos: int) -> tuple[frozenset[int], bool]:
        text = self.text
        if isinstance(node, Lit):
            if text.startswith(node.text, pos):
                return frozenset([pos + len(node.text)]), False
            rest = text[pos:]
            return frozenset(), len(rest) < len(node.text) and node.text.startswith(rest)
        if isinstance(node, Cls | Any_):
            if pos >= len(text):
                return frozenset(), True
            ok = isinstance(node, Any_) or node.matches(text[pos])
            return (frozenset([pos + 1]), False) if ok else (frozenset(), False)
        if isinstance(node, Ref):
            target = self.rules.get(node.name)
            if target is None:
                raise Unsupported(f"undefined rule {node.name}")
            if (node.name, pos) in self.active:
                raise Unsupported("recursive rules")
            self.active.add((node.name, pos))
            try:
                return self.ends(target, pos)
            finally:
                self.active.discard((node.name, pos))
        if isinstance(node, Alt):
            out: set[int] = set()
            partial = False
            for option in node.options:
                e, p = self.ends(option, pos)
                out |= e
                partial |= p
            return frozenset(out), partial
        if isinstance(node, Seq):
            frontier = {pos}
            partial = False
            for item in node.items:
                nxt: set[int] = set()
                for start in frontier:
                    e, part = self.ends(item, start)
                    nxt |= e
                    partial |= part
                frontier = nxt
                if not frontier:
                    break
            return frozenset(frontier), partial
        if isinstance(node, Rep):
            return self._repeat(node, pos)
        raise Unsupported(type(node).__name__)

    def _repeat(self, node: Rep, pos: int) -> tuple[frozenset[int], bool]:
        high = _MAX_REPEAT if node.high is None else node.high
        inner = node.node
        text = self.text
        if isinstance(inner, Cls | Any_) or (isinstance(inner, Lit) and len(inner.text) == 1):
            run = 0
            while pos + run < len(text) and run < high and (
                (isinstance(inner, Any_))
                or (isinstance(inner, Cls) and inner.matches(text[pos + run]))
                or (isinstance(inner, Lit) and text[pos + run] == inner.text)
            ):
                run += 1
            ends = frozenset(pos + i for i in range(node.low, run + 1))
            return ends, pos + run == len(text) and run < high
        accepted: set[int] = {pos} if node.low == 0 else set()
        frontier = {pos}
        seen = {pos}
        partial = False
        for count in range(1, min(high, len(text) + node.low + 1) + 1):
            nxt: set[int] = set()
            for p in frontier:
                e, part = self.ends(inner, p)
                nxt |= e
                partial |= part
            if count >= node.low:
                accepted |= nxt
            if node.high is None:
                nxt -= seen
                seen |= nxt
            if not nxt:
                break
            frontier = nxt
        return frozenset(accepted), partial


def check(grammar: str, text: str, *, partial: bool = False) -> bool | None:
    """True if ``text`` is a sentence of ``grammar`` (or, with ``partial``, the beginning of
    one); False if it is not; None if the grammar uses something this module does not cover."""
    try:
        rules = parse(grammar)
        ends, could_continue = _Matcher(rules, text).ends(rules["root"], 0)
    except (Unsupported, RecursionError, IndexError):
        return None
    return len(text) in ends or (partial and could_continue)


def quote(text: str) -> str:
    """``text`` as a GBNF string literal."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def choice_grammar(answers: list[str]) -> str:
    """A grammar whose sentences are exactly ``answers``."""
    return "root ::= " + " | ".join(quote(a) for a in answers) + "\n"
