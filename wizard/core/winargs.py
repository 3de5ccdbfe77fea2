"""Split a Windows command line into arguments as CommandLineToArgvW does. Its own module, free of the plan
model, so that reading a log (the tracker, `log summary`) can split a logged command line without loading it."""

from __future__ import annotations

__all__ = ["split_windows_args"]


def split_windows_args(text: str) -> list[str]:
    """Split arguments the way CommandLineToArgvW splits everything after argv[0]."""
    return [arg for arg, _ in _split_with_offsets(text)]


def _split_with_offsets(text: str) -> list[tuple[str, int]]:
    """(argument, index where it starts in text) pairs, CommandLineToArgvW rules."""
    args: list[tuple[str, int]] = []
    start = 0
    current: list[str] = []
    in_arg = False
    quotes = 0  # 0 outside quotes, 1 inside; 2 transiently after a closing quote
    backslashes = 0
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in " \t" and quotes == 0:
            if in_arg:
                args.append(("".join(current), start))
                current, in_arg = [], False
            backslashes = 0
            i += 1
            continue
        if not in_arg:
            in_arg, start = True, i
        if ch == "\\":
            current.append(ch)
            backslashes += 1
            i += 1
            continue
        if ch == '"':
            if backslashes % 2 == 0:
                del current[len(current) - backslashes // 2:]
                quotes += 1
            else:
                del current[len(current) - backslashes // 2 - 1:]
                current.append('"')
            backslashes = 0
            i += 1
            # A run of quotes: every third one (counting the state) is a literal quote.
            while i < n and text[i] == '"':
                quotes += 1
                if quotes == 3:
                    current.append('"')
                    quotes = 0
                i += 1
            if quotes == 2:
                quotes = 0
            continue
        current.append(ch)
        backslashes = 0
        i += 1
    if in_arg:
        args.append(("".join(current), start))
    return args
