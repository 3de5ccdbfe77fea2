"""Where CCM records begin and end: the record grammar of the log parser, in linear time.

A CCM record starts at `<![LOG[` and ends at the first later `]LOG]!>` that is directly followed by a well-formed
attribute block: `<`, up to 16 `name="value"` pairs (values up to 512 characters, white space including line breaks
around them), `>`. One line break right after the `>` belongs to the record. Everything in between is the
message, literal `<![LOG[` and stray `]LOG]!>` included, which is how CMTrace shows a script that logs its own log
lines. A `<![LOG[` with no such end within `limit` characters is not a record (see `find_end`).

Every pattern here either has bounded length or runs once per position of the text, and the incremental helper
(`HeldText`) looks only at new text plus a bounded window, so no input costs more than linear time.
"""

from __future__ import annotations

import re

START = "<![LOG["
END = "]LOG]!>"
MAX_RECORD_CHARS = 4 << 20  # longest CCM message and longest plain line piece, in characters

_WS = r"\s{0,16}"
_NAME = r"[A-Za-z_][\w.:-]{0,63}"
_ATTRIBUTE = _WS + _NAME + _WS + "=" + _WS + r'"[^"]{0,512}"'
_VALUE = r'"([^"\r\n]{0,512})"'
# The attribute order every ConfigMgr component writes, captured group by group (fast path); GENERIC is the
# grammar itself (any order, any names, line breaks) and CANONICAL is a subset of it.
_CANONICAL = (f"time={_VALUE} date={_VALUE} component={_VALUE} context={_VALUE} type={_VALUE} thread={_VALUE} "
              f"file={_VALUE}")
_GENERIC = f"((?:{_ATTRIBUTE}){{0,16}}{_WS})"
_HEAD_REST = f"<(?:{_CANONICAL}|{_GENERIC})>(?:\\r?\\n)?"

# Records for `re.split` (see `split`): the message runs to the next `]LOG]!>`, and when no valid block follows it
# the match still succeeds, with both attribute groups None (a "pseudo record" that tells the caller to hand over to
# `find_end`). So every attempt at a `<![LOG[` that meets a `]LOG]!>` succeeds, and no text is scanned twice.
# Groups: message, head (`]LOG]!>` + block + line break), 7 canonical values, generic block.
PATTERN = re.compile(r"<!\[LOG\[([^\]]*(?:\](?!LOG\]!>)[^\]]*)*)(\]LOG\]!>(?:" + _HEAD_REST + ")?)")
GROUPS = 10
# The joint between two canonical records, for `re.split` (see `split_canonical`): one record's `]LOG]!>`, its
# canonical block and line break, directly followed by the next record's `<![LOG[`. It starts with a literal, so
# the engine skips message text at `str.find` speed instead of stepping through it. Groups: the head (`]LOG]!>`,
# block, line break) and its 7 values.
JOINT = re.compile(r"(\]LOG\]!><" + _CANONICAL + r">(?:\r?\n)?)<!\[LOG\[")
JOINT_GROUPS = 8
# The same joint capturing only what judging a record needs: time, date, component, type, thread (see
# `RecordParser(lean=True)`).
_SKIPPED = r'"[^"\r\n]{0,512}"'
LEAN_JOINT = re.compile(r"\]LOG\]!><" + f"time={_VALUE} date={_VALUE} component={_VALUE} context={_SKIPPED} "
                        f"type={_VALUE} thread={_VALUE} file={_SKIPPED}" + r">(?:\r?\n)?<!\[LOG\[")
LEAN_JOINT_GROUPS = 5
# The end of a record at a known `]LOG]!>`. Groups: 7 canonical values, generic block.
HEAD = re.compile(r"\]LOG\]!>" + _HEAD_REST)
# Text after `]LOG]!>` that more text could still turn into a valid block (used only at the end of unfinished text).
_HEAD_PREFIX = re.compile(
    f'(?:<(?:{_ATTRIBUTE}){{0,16}}{_WS}(?:{_NAME}(?:{_WS}(?:={_WS}(?:"[^"]{{0,512}})?)?)?)?)?')
# Longer than any valid head and any viable prefix of one: past this, a `]LOG]!>` is decided.
MAX_HEAD = 11_000
# Skips a block's content up to its first `>` outside double quotes (or to an unclosed quote).
_BLOCK_CONTENT = re.compile(r'(?:[^">]++|"[^"]*+")*+')


def split(text: str) -> list:
    """`PATTERN.split` of `text` such that at most one attempt at a `<![LOG[` runs to the end of the text without
    meeting a `]LOG]!>`: of the whole text when at most one `<![LOG[` follows its last `]LOG]!>` (the usual case: a
    record being written), else of the text up to that `]LOG]!>`. [text] when it has none. The caller leaves the
    last record of the result and what follows it to `find_end`."""
    last = text.rfind(END)
    if last < 0:
        return [text]
    after = text.find(START, last)
    if after < 0 or text.find(START, after + 1) < 0:
        return PATTERN.split(text)
    return PATTERN.split(text[:last + len(END)])


def split_canonical(text: str) -> list:
    """`JOINT.split(text)`: [text up to the second record's message, (head, 7 values), message, (head, 7 values),
    ..., the rest from the message of the last record that is followed by a joint]. Only a prefix of canonical
    records back to back is read this way; the caller checks that no message holds a `]LOG]!>` (where the
    grammar could end a record earlier) and hands everything else to `split`/`find_end`."""
    return JOINT.split(text)


def find_end(text: str, start: int, final: bool, limit: int):
    """The end of the record opened at `start` (`text[start:]` begins with `<![LOG[`).

    Returns ("record", match of HEAD), ("none", None) when no end lies within `limit` message characters (the
    opening is then not a record), or ("open", e) when more text is needed — `e` is the first `]LOG]!>` that more
    text could still make valid, or None. Each `]LOG]!>` is looked at once.
    """
    n = len(text)
    last = start + len(START) + limit  # an end must begin at or before this
    e = start + len(START)
    while True:
        e = text.find(END, e, last + len(END))
        if e < 0:
            return ("none", None) if final or n >= last + len(END) else ("open", None)
        m = HEAD.match(text, e)
        if m:
            return "record", m
        if not final and _HEAD_PREFIX.fullmatch(text, e + len(END), n):
            return "open", e
        e += 1


def hold_point(text: str, begin: int, end: int, limit: int, growing: bool) -> int:
    """The last place at or before `end` where plain text may be cut: the start of the line `end` is on, or the
    start of its last `limit`-character piece. `begin` must itself be such a place. When `growing` (more text may
    follow `end`), last characters that more text could turn into a `<![LOG[` are not cut off."""
    if growing:
        for size in range(len(START) - 1, 0, -1):
            if end - size >= begin and text.startswith(START[:size], end - size):
                end -= size
                break
    newline = text.rfind("\n", begin, end)
    line_start = newline + 1 if newline >= 0 else begin
    return line_start + (end - line_start) // limit * limit


class HeldText:
    """Decides cheaply, per piece of new text, whether text held back by an incremental parser could have become
    complete — so the parser re-reads the held text only when that can make progress (which keeps feeding many
    small pieces linear).

    Two kinds of held text: a partial plain line (it completes at a line break, at a `<![LOG[` that opens a record,
    or when it reaches `limit` characters) and an open record (it completes at its end, or when it is certain that
    none comes within `limit`). For an open record only the new text and a window of at most MAX_HEAD characters
    are examined; its `]LOG]!>` marks are judged exactly as `find_end` judges them, so the re-read then finds the
    end (or its absence) this helper saw.
    """

    def __init__(self, text: str, limit: int, open_at: int | None = None, waiting: int | None = None,
                 search: int = 0):
        """`text` is all held text. For an open record: `open_at` is its index, `waiting` the first `]LOG]!>` not
        decided yet (or None), `search` the index from which no `]LOG]!>` has been looked at."""
        self.size = len(text)
        self.limit = limit
        self.open_at = open_at
        if open_at is None:
            self._tail = text[-(len(START) - 1):]
            return
        self._last = open_at + len(START) + limit
        self._head = [waiting, waiting + len(END), False] if waiting is not None else None
        self._search = waiting if waiting is not None else search
        self._window_start = self._search
        self._window = text[self._search:]

    def wake(self, new: str) -> bool:
        """Account for `new` text appended to the held text; True when it is worth parsing the held text again."""
        self.size += len(new)
        if self.open_at is None:
            if "\n" in new or START in new or START in self._tail + new[:len(START) - 1] or self.size >= self.limit:
                return True
            self._tail = (self._tail + new)[-(len(START) - 1):]
            return False
        return self._wake_open(new)

    def _wake_open(self, new: str) -> bool:
        window = self._window + new
        ws = self._window_start
        head, search, size = self._head, self._search, self.size
        while True:
            if head is None:
                i = window.find(END, search - ws, self._last + len(END) - ws)
                if i < 0:
                    if size >= self._last + len(END):
                        return True  # certain now: no end within the limit
                    search = max(search, size - (len(END) - 1))
                    break
                head = [ws + i, ws + i + len(END), False]
            e, resume, in_quote = head
            if resume == e + len(END):
                if resume >= size:
                    break
                if window[resume - ws] != "<":
                    head, search = None, e + 1
                    continue
                resume += 1
            close, resume, in_quote = _block_close(window, resume - ws, in_quote)
            if close >= 0:
                if HEAD.match(window, e - ws):
                    return True  # a complete record
                head, search = None, e + 1
                continue
            if size - e > MAX_HEAD:
                head, search = None, e + 1
                continue
            head = [e, ws + resume, in_quote]
            break
        keep = head[0] if head is not None else search
        self._window = window[keep - ws:]
        self._window_start = keep
        self._head, self._search = head, search
        return False


def _block_close(text: str, i: int, in_quote: bool) -> tuple[int, int, bool]:
    """Scan an attribute block from `i`: (index of its closing `>` or -1, where to resume, inside a quote)."""
    n = len(text)
    if in_quote:
        q = text.find('"', i)
        if q < 0:
            return -1, n, True
        i = q + 1
    j = _BLOCK_CONTENT.match(text, i).end()
    if j >= n:
        return -1, n, False
    if text[j] == ">":
        return j, j, False
    return -1, n, True  # a quote opened and not closed yet
