"""Reference implementation of CommandLineToArgvW, used only by the tests to pin the Windows argv
rules. It is a line-by-line port of the pointer-based algorithm Wine uses (which was written to
match Windows, including the undocumented runs-of-quotes behaviour), kept deliberately different in
shape from wizard.core.parse.split_windows_args so the two check each other."""

from __future__ import annotations


def command_line_to_argv(cmdline: str) -> list[str]:
    """Full CommandLineToArgvW: argv[0] is read with the program-name rule (quotes only delimit)."""
    s = 0
    n = len(cmdline)

    def at(i: int) -> str:
        return cmdline[i] if i < n else "\0"

    argv: list[str] = []
    # argv[0]
    if at(s) == '"':
        s += 1
        start = s
        while at(s) not in ('"', "\0"):
            s += 1
        argv.append(cmdline[start:s])
        if at(s) == '"':
            s += 1
    else:
        start = s
        while at(s) not in (" ", "\t", "\0"):
            s += 1
        argv.append(cmdline[start:s])
    while at(s) in (" ", "\t"):
        s += 1
    if at(s) == "\0":
        return argv
    return argv + split_arguments(cmdline[s:])


def split_arguments(text: str) -> list[str]:
    """The part after argv[0] (also what the parser uses for text without an exe)."""
    n = len(text)

    def at(i: int) -> str:
        return text[i] if i < n else "\0"

    s = 0
    while at(s) in (" ", "\t"):
        s += 1
    if at(s) == "\0":
        return []
    d: list[str] = []  # the output buffer; a NUL in it ends an argument
    args_start = [0]
    qcount = bcount = 0
    while at(s) != "\0":
        c = at(s)
        if c in (" ", "\t") and qcount == 0:
            d.append("\0")
            bcount = 0
            s += 1
            while at(s) in (" ", "\t"):
                s += 1
            if at(s) != "\0":
                args_start.append(len(d))
        elif c == "\\":
            d.append(c)
            s += 1
            bcount += 1
        elif c == '"':
            if bcount % 2 == 0:
                del d[len(d) - bcount // 2:]
                qcount += 1
            else:
                del d[len(d) - bcount // 2 - 1:]
                d.append('"')
            s += 1
            bcount = 0
            while at(s) == '"':
                qcount += 1
                if qcount == 3:
                    d.append('"')
                    qcount = 0
                s += 1
            if qcount == 2:
                qcount = 0
        else:
            d.append(c)
            s += 1
            bcount = 0
    buffer = "".join(d)
    pieces = buffer.split("\0")
    # The last argument may be empty only if it was written as "" (it was started explicitly).
    return pieces[: len(args_start)]
