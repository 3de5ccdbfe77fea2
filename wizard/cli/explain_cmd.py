"""`ccmsetup-wizard explain CODE [--scenario S] [--json]`: what an error code means, its likely cause, the fix and
where that knowledge comes from.

Exit 0: the code is in the explanation table; 1: a code, decoded, but not in the table; 2: not a code."""

from __future__ import annotations

import argparse
import json
import sys

from wizard.core.explain import SCENARIO_KEYS, Explanation, explain_code, explain_return_code, normalise_code

SCENARIOS = tuple(key for key in SCENARIO_KEYS if key != "default")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "explain",
        help="explain an error code from ccmsetup.log, client.msi.log or dsregcmd",
        description="Explain a code: an HRESULT (0x87d0027e, 87d0027e), a decimal (1603, -2145844844, 2147943860), "
                    "an Entra code (AADSTS50126) or a name (ERROR_TIMEOUT, CERT_E_UNTRUSTEDROOT). ccmsetup's own "
                    "return codes (0, 6, 7, 8, 9, 10) are explained as such. Exit 0: in the table; 1: decoded but not "
                    "in the table; 2: not a code.",
    )
    parser.add_argument("code", nargs="+", metavar="CODE", help="the code as the log shows it")
    parser.add_argument("--scenario", choices=SCENARIOS, help="the install scenario, for a cause that fits it")
    parser.add_argument("--json", action="store_true", help="print the explanation as JSON")
    parser.set_defaults(func=run)
    return parser


def _source_line(source: dict) -> str:
    where = source.get("url") or source.get("where") or ""
    return f"{source['title']} — {where}" if where else source["title"]


def _print(exp: Explanation, heading: str) -> None:
    print(heading)
    print(f"  Meaning:      {exp.meaning}")
    print(f"  Likely cause: {exp.cause}")
    print(f"  What to do:   {exp.action}")
    if exp.doc:
        print(f"  Read more:    {exp.doc}")
    for source in exp.source:
        print(f"  Source:       {_source_line(source)}")
    if not exp.in_table:
        print("  (Not in the explanation table: the decoding above is generic.)")


def run(args: argparse.Namespace) -> int:
    text = " ".join(args.code).strip()
    key = normalise_code(text)
    if key is None:
        message = f"'{text}' is not an error code: give a hex HRESULT (0x80070643), a decimal (1603, " \
                  "-2145844844), an AADSTS code or a name such as ERROR_TIMEOUT."
        if args.json:
            print(json.dumps({"input": text, "error": message}, indent=2, ensure_ascii=False))
        else:
            print(f"ccmsetup-wizard explain: {message}", file=sys.stderr)
        return 2
    return_code = explain_return_code(int(key), args.scenario) if key.isdigit() else None
    if return_code is not None and not return_code.in_table:  # not one of ccmsetup's documented return codes
        return_code = None
    exp = explain_code(key, args.scenario)
    known = exp.in_table or return_code is not None
    if args.json:
        print(json.dumps({"input": text, **exp.as_dict(),
                          "ccmsetup_return_code": return_code.as_dict() if return_code else None},
                         indent=2, ensure_ascii=False))
        return 0 if known else 1
    if return_code is not None:
        _print(return_code, f"ccmsetup return code {key}: {return_code.title}")
        if not exp.in_table:
            return 0
        print()
    alias = f" (= {exp.code})" if exp.code.lower() != text.lower() else ""
    _print(exp, f"{text}{alias}: {exp.title}" + (f" [{exp.symbol}]" if exp.symbol and exp.symbol not in exp.title
                                                  else ""))
    return 0 if known else 1
