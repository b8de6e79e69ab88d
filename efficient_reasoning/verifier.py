"""Answer checking with `math-verify`: a completion's final answer against a gold answer.

Extraction (`extraction=`, see `EXTRACTIONS`): `"paper"` follows the grader of the paper's authors (Qwen2.5-Math's
`extract_answer`): "The final answer is $X$. I hope it is correct.", else the last `\\boxed{}` (an empty one, a
prompt's `\\boxed{}` copied by a small model, is not an answer), else the stated final answer ("The final answer is
$4$.", "#### 18"), else what math-verify's own extraction finds (its priorities: an answer after "answer", then the
last LaTeX span or number, so that `Thus $x \\geq 5$ is the solution.` gives `x \\geq 5`). `"boxed"` reads the last
`\\boxed{}` only (the authors' training reward). Under both, text after a chat template's end-of-turn token
(`<|im_end|>`, `<|im_start|>`, `<｜end▁of▁sentence｜>`) is a run-on and not read, and boxes that end a completion
side by side (`\\boxed{-2} \\text{ and } \\boxed{1}`, or joined by a short phrase with "and" / "or") are read together
as one answer, `-2, 1`.

Checking: both sides are normalized (`\\mathrm{e}`, `\\mathrm{i}` as constants, digit groups `1 000` / `1{,}000`, a
trailing period), parsed with math-verify and compared with its `verify`; an inequality is compared as the interval
it describes when the other side is an interval, and a decimal comma (`3,5`, in the answer or in the gold) is read as
a decimal point when the other side is a single decimal number. A parse that covers only part of an answer never
makes two answers equal: such answers are compared as normalized strings.

Checks run in worker processes with a bound on the CPU time of each check (ordinary checks stay within it on a busy
machine; a power tower is stopped there) and a wall-clock backstop. Workers start from a forkserver with this module
preloaded, so the pool is safe to start from a process that already runs CUDA, NCCL or vLLM threads.
"""

from __future__ import annotations

import functools
import io
import logging
import math
import os
import re
import signal
from collections.abc import Sequence
from itertools import groupby
from multiprocessing import context, forkserver, popen_forkserver, reduction, spawn, util
from typing import NamedTuple

from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify
from math_verify.parser import get_extraction_regexes

EXTRACTIONS = ("paper", "boxed")
KINDS = ("math", "choice")
_BOXED_COMMANDS = ("\\boxed", "\\fbox")
_EXPR = ExprExtractionConfig()
_EXTRACTION = [LatexExtractionConfig(boxed_match_priority=0), _EXPR]
# math-verify warns on every call that its own alarm is off; the worker bounds the time instead.
logging.getLogger("math_verify").setLevel(logging.ERROR)


def _box_span(text: str, end: int) -> tuple[int, int, int] | None:
    """(command start, content start, content end) of the last balanced box starting before `end`, or None."""
    start = max(text.rfind(cmd, 0, end) for cmd in _BOXED_COMMANDS)
    while start >= 0:
        cmd = next(c for c in _BOXED_COMMANDS if text.startswith(c, start))
        i = start + len(cmd)
        while i < len(text) and text[i] == " ":
            i += 1
        if i < len(text) and text[i] == "{":
            depth = 0
            for j in range(i, len(text)):
                if text[j] == "{":
                    depth += 1
                elif text[j] == "}":
                    depth -= 1
                    if depth == 0:
                        return start, i + 1, j
            return None
        start = max(text.rfind(c, 0, start) for c in _BOXED_COMMANDS)
    return None


def last_boxed(text: str) -> str | None:
    """The content of the last `\\boxed{...}` (or `\\fbox{...}`) in `text`, or None when there is none or it is
    unbalanced. Scans backwards from the last command, so megabytes of reasoning before it cost a single `rfind`."""
    span = _box_span(text, len(text))
    return None if span is None else text[span[1] : span[2]]


# What may stand between boxes that give one answer together: `\boxed{-2} \text{ and } \boxed{1}`, and a name
# before the next box (`x = \boxed{1}, y = \boxed{2}`).
_BOX_SEPARATOR = re.compile(
    r"(?:\s|\$|,|;|\\[,;:! ]|\\q?quad|\\[()\[\]]|\b(?:and|or)\b|\\(?:text|mathrm)\s*\{\s*(?:and|or|,)?\s*\}"
    r"|\b[A-Za-z](?:_\{?\w+\}?)?\s*=)*"
)
# Or a short phrase with "and" / "or" (`\boxed{1} papers and \boxed{2} bins`), as math-verify joins boxes; a comma
# alone is not enough there (`\boxed{25} wait, no: \boxed{26}` is 26).
_BOX_CONJUNCTION = re.compile(r"\b(?:and|or)\b")


def _joined(text: str, previous: tuple[int, int, int], span: tuple[int, int, int]) -> bool:
    between = text[previous[2] + 1 : span[0]]
    if len(between) < 10 or _BOX_SEPARATOR.fullmatch(between):  # math-verify joins boxes this close
        return True
    different = text[previous[1] : previous[2]].strip() != text[span[1] : span[2]].strip()
    return different and len(between) < 70 and bool(_BOX_CONJUNCTION.search(between))


def boxed_answer(text: str) -> str | None:
    """The last `\\boxed{}` content, joined with the boxes right before it when only separators ("and", ",", `$`) or
    a short phrase with "and" / "or" stand between them: `\\boxed{-2} \\text{ and } \\boxed{1}` gives `-2, 1`. None
    when there is no box."""
    span = _box_span(text, len(text))
    if span is None:
        return None
    parts = [text[span[1] : span[2]].strip()]
    while True:
        previous = _box_span(text, span[0])
        if previous is None:
            break
        if not _joined(text, previous, span):
            break
        span = previous
        parts.insert(0, text[span[1] : span[2]].strip())
    unique = list(dict.fromkeys(parts))  # the same answer boxed twice is one answer
    return ", ".join(unique)


_STATED = re.compile(r"(?i)(?:final\s+answer|the\s+answer|answer)\s*(?:is|:|=)\s*:?\s*|####\s*")
_MATH_DELIMITERS = (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]"))
# Where a chat template ends a turn: text after it is a run-on into the next turn (`<|im_start|>user ...`).
_END_OF_TURN = re.compile(
    r"<\|(?:im_end|im_start|endoftext|eot_id|end_of_text|start_header_id)\|>|<｜end▁of▁sentence｜>|</s>"
)
# math-verify's own answer patterns (boxes are read by `boxed_answer`), tried by priority, the rightmost match first.
_MV_PATTERNS = sorted(
    (
        (priority, pattern, isinstance(config, LatexExtractionConfig))
        for patterns, config in get_extraction_regexes([LatexExtractionConfig(boxed_match_priority=-1), _EXPR])
        for pattern, priority in patterns
    ),
    key=lambda p: p[0],
)
_MV_TAIL = 4000  # math-verify's patterns run on the end of a completion only: the answer is there, and time stays flat


def _end_turn(text: str) -> str:
    match = _END_OF_TURN.search(text)
    return text if match is None else text[: match.start()]


def _matched_answer(match: re.Match, latex: bool) -> str:
    """The answer text of one math-verify match: its LaTeX spans joined by ", ", or its number / expression."""
    groups = {k: v for k, v in match.groupdict().items() if v}
    percent = "\\%" if any(k.endswith("percent") for k in groups) else ""
    if latex:
        return ", ".join(v.strip() for k, v in groups.items() if "_latex" in k) + percent
    integer = next((v for k, v in groups.items() if k.startswith("integer")), "")
    decimal = next((v for k, v in groups.items() if k.startswith("decimal")), "")
    if integer or decimal:  # as math-verify reads it: `1 000` and `1,000` are 1000, `3,5` is 3.5
        return re.sub(r"[ ,]", "", integer) + decimal.replace(",", ".") + percent
    return groups.get("expr", "").strip()


def math_verify_answer(text: str) -> str | None:
    """The answer math-verify's extraction finds in `text` ("answer: ...", "final answer ... is ...", the last LaTeX
    span or number), as text; None when none. Regex only: nothing is parsed here."""
    if len(text) > _MV_TAIL:
        text = text[-_MV_TAIL:]
        text = text[text.find("\n") + 1 :]  # start on a line, so that `$` pairs are not shifted
    for _, group in groupby(_MV_PATTERNS, key=lambda p: p[0]):
        found = [(m.end(), -m.start(), m, latex) for _, pattern, latex in group for m in pattern.finditer(text)]
        if found:
            _, _, match, latex = max(found, key=lambda f: f[:2])
            return _matched_answer(match, latex) or None
    return None


def _minerva_answer(text: str) -> str | None:
    # "Final Answer: The final answer is $X$. I hope it is correct.": Qwen2.5-Math's grader reads it before any box.
    # The last one counts (a model that corrects itself states it again).
    start = text.rfind("final answer is $")
    end = text.find("$. I hope", start)
    return text[start + len("final answer is $") : end].strip() if start >= 0 and end >= 0 else None


def stated_answer(text: str) -> str | None:
    """The answer after the last "the (final) answer is" / "answer:" / "####" that states one (not an empty box), up to
    the end of its math span, sentence or line; when that reads as a sentence ("The volume is 120"), the answer
    math-verify finds in it. None when the completion states none."""
    for match in reversed(list(_STATED.finditer(text))):  # the last statement that states something
        answer = _stated_after(text, match)
        if answer is not None and boxed_answer(answer) != "":  # "The answer is \\boxed{}." states nothing
            return answer
    return None


def _stated_after(text: str, match: re.Match) -> str | None:
    rest = text[match.end() :].lstrip()
    for opening, closing in _MATH_DELIMITERS:
        if rest.startswith(opening):
            close = rest.find(closing, len(opening))
            return rest[len(opening) : close].strip() if close > 0 else None
    rest = re.split(r"\n|\.\s|\.$|,\s+(?=[A-Za-z]{2})", rest, maxsplit=1)[0].strip()  # "5, not 4 as I thought" -> "5"
    if _is_prose(rest):
        return math_verify_answer(text[match.start() : match.end()] + rest)
    return rest or None


def extract_math(text: str, extraction: str = "paper") -> str | None:
    """The final answer of a math completion under `extraction` (see the module docstring), or None."""
    if extraction not in EXTRACTIONS:
        raise ValueError(f"unknown answer extraction {extraction!r}; choose from {EXTRACTIONS}")
    text = _end_turn(text)
    minerva = _minerva_answer(text) if extraction == "paper" else None
    if minerva:
        return minerva
    boxed = boxed_answer(text)
    if extraction == "boxed" or (boxed is not None and boxed.strip()):
        return boxed
    stated = stated_answer(text)  # no box, or an empty one (`\\boxed{}` copied from the prompt): not an answer
    if stated is not None:
        return stated
    return math_verify_answer(text)  # its last number stands apart from letters: not the 2 of `AZYUK2A`


def normalize_answer(answer: str) -> str:
    """Strip what graders disagree on: surrounding `$`, `\\boxed{}` wrappers (several boxes are one answer) and a
    trailing period (`104.`)."""
    answer = answer.strip()
    boxed = boxed_answer(answer)
    if boxed is not None:
        answer = boxed.strip()
    answer = answer.strip("$").strip()
    while answer.endswith(".") or answer.endswith("\\."):
        answer = answer.removesuffix("\\.").removesuffix(".").rstrip()
    return answer


# Upright constants (`\mathrm{e}`, `\text{i}`) break math-verify's LaTeX parse partway; write them as plain symbols.
_UPRIGHT_CONSTANT = re.compile(r"\\(?:mathrm|text|operatorname|rm|mathit)\s*\{\s*(e|i|\\pi)\s*\}")
# Thousands groups: `1 000`, `1\,000`, `1{,}000`, `1\ 000` (exactly three digits per group).
_DIGIT_GROUPS = re.compile(r"(?<![\d.])\d{1,3}(?:(?:\{,\}|\\[, !]|~| )\d{3})+(?![\d.])")
# A decimal comma as math-verify reads one: `3,5`, `0,111`, `1000,99`; not a thousands group (`1,234`).
_DECIMAL_COMMA = re.compile(r"-?\d+,\d+")
_THOUSANDS = re.compile(r"-?[1-9]\d{0,2}(?:,\d{3})+")
_DECIMAL_POINT = re.compile(r"-?\d*\.\d+")


def _plain_constant(match: re.Match) -> str:
    # A space only where the constant would otherwise merge with a letter: `\\cdot\\mathrm{e}` -> `\\cdot e`.
    before, after = match.string[match.start() - 1 : match.start()], match.string[match.end() : match.end() + 1]
    return (" " if before.isalpha() else "") + match.group(1) + (" " if after.isalpha() else "")


def _prepare(answer: str) -> str:
    answer = _UPRIGHT_CONSTANT.sub(_plain_constant, normalize_answer(answer))
    answer = _DIGIT_GROUPS.sub(lambda m: re.sub(r"\D", "", m.group(0)), answer)
    return re.sub(r"\s+", " ", answer).strip()


class Parsed(NamedTuple):
    text: str  # the normalized answer
    values: list  # math-verify's parse: [sympy expression, matched string], empty when nothing parsed
    complete: bool  # the parse covers the whole answer (a partial parse must not decide equality)


def _complete(values: list) -> bool:
    if not values:
        return False
    matched = str(values[-1])
    return matched.count("{") == matched.count("}") and not re.search(r"[{\\^_+\-*/=]\s*$", matched)


def _parse(answer: str) -> Parsed:
    text = _prepare(answer)
    if not text:
        return Parsed(text, [], False)
    # Time is bounded by the caller's worker; math-verify's own alarm has 1 s granularity.
    values = parse(f"${text}$", extraction_config=_EXTRACTION, parsing_timeout=None)
    return Parsed(text, values, _complete(values))


@functools.lru_cache(maxsize=4096)
def _parse_gold(gold: str) -> Parsed:
    return _parse(gold)


# Words that may stand bare in a math answer; any other run of two or more bare words is prose ("see figure").
_MATH_WORDS = {"and", "or", "sin", "cos", "tan", "cot", "sec", "csc", "log", "exp", "max", "min", "gcd", "lcm", "mod",
               "det", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "lim", "inf", "sup"}  # fmt: skip


def _is_prose(gold: str) -> bool:
    """Two or more bare words of 3+ letters outside `\\text{}` and LaTeX commands: a note, not an answer.
    math-verify reads such text as a product of symbols (`see figure` = s*e*e*f*i*g*u*r*e), which would make it
    "parse" and reward a completion that repeats it."""
    text = re.sub(r"\\[A-Za-z]+", " ", re.sub(r"\\text\s*\{[^{}]*\}", " ", gold))
    words = [w for w in re.findall(r"[A-Za-z]+", text) if len(w) >= 3 and w.lower() not in _MATH_WORDS]
    return len(words) >= 2


def is_scorable_gold(gold: str) -> bool:
    """True when `gold` parses as math in full and is not prose (rows whose gold is not are dropped or scored as
    strings)."""
    return not _is_prose(str(gold)) and _parse_gold(str(gold)).complete


def _relations_as_sets(values: list, other: list) -> list:
    """`x > 2` as the interval `(2, oo)`, when the other side holds a set (an interval or a union)."""
    import sympy

    if not any(isinstance(v, sympy.Set) for v in other):
        return values
    extra = []
    for v in values:
        if isinstance(v, (sympy.core.relational.Relational, sympy.And, sympy.Or)) and len(v.free_symbols) == 1:
            try:
                extra.append(v.as_set())
            except Exception:  # not a univariate real condition
                pass
    return values + extra


def _equal(gold: Parsed, pred: Parsed) -> bool:
    if gold.text.replace(" ", "") == pred.text.replace(" ", ""):
        return True
    if not (gold.complete and pred.complete):
        return False
    gold_values = _relations_as_sets(gold.values, pred.values)
    pred_values = _relations_as_sets(pred.values, gold.values)
    # Only the parsed expressions are compared: math-verify's string fallback would match `e` to `\mathrm{e}` texts.
    return bool(verify(gold_values[:1] + gold_values[2:], pred_values[:1] + pred_values[2:], timeout_seconds=None))


def check_answer(predicted: str | None, gold: str) -> float:
    """1.0 when `predicted` (an extracted answer, without `\\boxed`) matches `gold`, 0.0 when not or when nothing
    was extracted, NaN when the gold answer itself cannot be parsed (the row is unscorable)."""
    gold_parsed = _parse_gold(gold)
    if not gold_parsed.values:
        return math.nan
    if predicted is None or not predicted.strip():
        return 0.0
    pred_parsed = _parse(predicted)
    if _equal(gold_parsed, pred_parsed):
        return 1.0
    # `3,5` against `3.5`, either side: a decimal comma, read as such only when the other side is one decimal number.
    if _DECIMAL_POINT.fullmatch(gold_parsed.text) and _is_decimal_comma(pred_parsed.text):
        return float(_equal(gold_parsed, _parse(pred_parsed.text.replace(",", "."))))
    if _DECIMAL_POINT.fullmatch(pred_parsed.text) and _is_decimal_comma(gold_parsed.text):
        return float(_equal(_parse(gold_parsed.text.replace(",", ".")), pred_parsed))
    return 0.0


def _is_decimal_comma(text: str) -> bool:
    return bool(_DECIMAL_COMMA.fullmatch(text)) and not _THOUSANDS.fullmatch(text)


class _CPUTimeout(BaseException):  # BaseException: not swallowed by the `except Exception` inside sympy
    pass


def _raise_cpu_timeout(signum, frame):
    raise _CPUTimeout


def check_bounded(predicted: str | None, gold: str, cpu_seconds: float) -> float:
    """`check_answer` stopped after `cpu_seconds` of this process's CPU time (NaN then). Unlike a wall-clock bound,
    a busy machine does not turn an ordinary check into a timeout. Needs the main thread of a worker process."""
    previous = signal.signal(signal.SIGPROF, _raise_cpu_timeout)
    signal.setitimer(signal.ITIMER_PROF, cpu_seconds)
    try:
        return check_answer(predicted, gold)
    except _CPUTimeout:
        return math.nan
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def _warm() -> None:
    # Build math-verify's parsers once, in the forkserver, so every worker (also one restarted after a kill) starts
    # with them ready and a check's time bound measures the check.
    check_answer("\\frac{1}{2}", "0.5")
    check_answer("x > 2", "(2, \\infty)")


class _Popen(popen_forkserver.Popen):
    """The stdlib's forkserver launch, minus re-running the caller's `__main__` module in each worker: a training
    script's imports would make every worker start (and every restart after a killed check) take seconds."""

    def _launch(self, process_obj):
        prep_data = spawn.get_preparation_data(process_obj._name)
        prep_data.pop("init_main_from_name", None)
        prep_data.pop("init_main_from_path", None)
        buf = io.BytesIO()
        context.set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            context.set_spawning_popen(None)
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)
        _parent_w = os.dup(w)  # as in the stdlib: the child watches this end to notice its parent's death
        self.finalizer = util.Finalize(self, util.close_fds, (_parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _Process(context.ForkServerProcess):
    @staticmethod
    def _Popen(process_obj):
        return _Popen(process_obj)


class _Context(context.ForkServerContext):
    Process = _Process


def pool_context() -> context.BaseContext:
    """A forkserver context with this module preloaded: workers are forked from a clean single-threaded server, never
    from the calling process (which may hold CUDA, NCCL or vLLM threads; forking those can deadlock)."""
    ctx = _Context()
    ctx.set_forkserver_preload(["efficient_reasoning._verifier_worker"])
    return ctx


class Verifier:
    """Scores completions against gold answers in a pool of worker processes.

    Each check may use `timeout` seconds of CPU time; a check that does not return within `wall_timeout` seconds
    (default `2 * timeout`, a backstop for code that ignores signals) is killed and its worker restarted. A
    check that runs out of time, or whose worker dies, is unscorable (NaN), which the reward treats as incorrect.
    `extraction` is one of `EXTRACTIONS` (see the module docstring). With `num_workers=0` checks run in this process
    with no time bound (for debugging).
    """

    def __init__(
        self,
        timeout: float = 1.0,
        num_workers: int | None = None,
        extraction: str = "paper",
        wall_timeout: float | None = None,
    ):
        if timeout <= 0:
            raise ValueError(f"`timeout` must be > 0 seconds, got {timeout}")
        if extraction not in EXTRACTIONS:
            raise ValueError(f"unknown answer extraction {extraction!r}; choose from {EXTRACTIONS}")
        self.timeout = timeout
        self.wall_timeout = 2 * timeout if wall_timeout is None else wall_timeout
        self.extraction = extraction
        self.num_workers = min(4, os.cpu_count() or 1) if num_workers is None else num_workers
        self._pool = None

    def _get_pool(self):
        if self._pool is None:
            from pebble import ProcessPool

            self._pool = ProcessPool(max_workers=self.num_workers, context=pool_context())
        return self._pool

    def __call__(
        self,
        completions: Sequence[str],
        golds: Sequence[str],
        finished: Sequence[bool] | None = None,
        kind: str = "math",
    ) -> list[float]:
        """1.0 / 0.0 / NaN per completion. An unfinished completion (no EOS before the token limit) is 0.0 whatever
        it contains. `kind="choice"`: golds are option letters, checked with `check_choice`."""
        if len(completions) != len(golds) or (finished is not None and len(finished) != len(completions)):
            raise ValueError(
                f"got {len(completions)} completions, {len(golds)} gold answers and "
                f"{'no' if finished is None else len(finished)} finished flags; they must match one to one"
            )
        if kind not in KINDS:
            raise ValueError(f"unknown answer kind {kind!r}; choose from {KINDS}")
        finished = [True] * len(completions) if finished is None else finished
        if kind == "choice":
            return [
                check_choice(c, g, self.extraction) if done else 0.0
                for c, g, done in zip(completions, golds, finished)
            ]
        answers = [extract_math(c, self.extraction) if done else None for c, done in zip(completions, finished)]
        if self.num_workers == 0:
            return [_check_inline(a, g) if done else 0.0 for a, g, done in zip(answers, golds, finished)]
        pool = self._get_pool()
        futures = [
            pool.schedule(check_bounded, args=(a, str(g), self.timeout), timeout=self.wall_timeout) if done else None
            for a, g, done in zip(answers, golds, finished)
        ]
        return [0.0 if f is None else _result(f) for f in futures]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.stop()
            self._pool.join()
            self._pool = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


def _check_inline(answer: str | None, gold: str) -> float:
    try:
        return check_answer(answer, str(gold))
    except Exception:
        return math.nan


def _result(future) -> float:
    try:
        return future.result()
    except Exception:  # killed at the wall-clock backstop, or a crash: unscorable
        return math.nan


# --- Multiple-choice mode -------------------------------------------------------------------------------------
# Golds are option letters ("A".."J"). The completion's letter is taken from the last `\boxed{...}` (`\boxed{B}`,
# `\boxed{(B)}`, `\boxed{\text{B}}`, `\boxed{B) text}`), else a stated answer ("The answer is B", "answer: (B)"),
# else the last standalone `(B)` / `B)`; with `extraction="boxed"` from the box only. Plain string matching.

_LETTERS = "A-J"
_BOXED_CHOICE = re.compile(
    rf"^\s*(?:\\(?:text|textbf|mathrm|mathbf)\s*\{{\s*)?\(?\s*([{_LETTERS}])\s*(?:\)|\}}|$|[.:\s])"
)
_STATED_CHOICE = re.compile(rf"(?i:answer)\s*(?:is|:)?\s*:?\s*\(?([{_LETTERS}])\b\)?")
_STANDALONE_CHOICE = re.compile(rf"(?<![A-Za-z0-9])\(?([{_LETTERS}])\)")


def extract_choice(text: str, extraction: str = "paper") -> str | None:
    """The option letter a completion gives, or None (see the block comment above for the order)."""
    boxed = last_boxed(text)
    if boxed is not None:
        match = _BOXED_CHOICE.match(boxed)
        return match.group(1) if match else None
    if extraction == "boxed":
        return None
    for pattern in (_STATED_CHOICE, _STANDALONE_CHOICE):
        matches = pattern.findall(text)
        if matches:
            return matches[-1]
    return None


def extract_answer(text: str, extraction: str = "paper", kind: str = "math") -> str | None:
    """The final answer of a completion under `extraction`, with the rule the checker uses: the math answer
    (`extract_math`) or, for `kind="choice"`, the option letter (`extract_choice`)."""
    if kind not in KINDS:
        raise ValueError(f"unknown answer kind {kind!r}; choose from {KINDS}")
    if extraction not in EXTRACTIONS:
        raise ValueError(f"unknown answer extraction {extraction!r}; choose from {EXTRACTIONS}")
    return extract_choice(text, extraction) if kind == "choice" else extract_math(text, extraction)


def check_choice(completion: str, gold: str, extraction: str = "paper") -> float:
    """1.0 when the completion's option letter equals the gold letter, else 0.0."""
    return 1.0 if extract_choice(completion, extraction) == str(gold).strip().strip("()").upper() else 0.0
