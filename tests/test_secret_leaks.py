"""lint and command never print the registration token, however it was typed (issue 9, "Secrets never shown or
stored"): `/regtoken:T`, `/regtoken=T`, `/regtoken T` (a separate argument), `-regtoken:T`, any case, quoted,
inside CCMSETUPCMD="...", in the JSON form, or a JWT in any value; on stdout and stderr, as text and as JSON."""

from __future__ import annotations

import argparse
import contextlib
import io
import json

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from wizard.cli import command_cmd, lint_cmd
from wizard.core.parse import parse_command
from wizard.core.redact import redact
from wizard.core.render import FORMATS, MASK

CMG = "cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975"
REST = f"CCMHOSTNAME={CMG} SMSSITECODE=P01"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.c2VjcmV0LXNpZ25hdHVyZQ"
OPAQUE = "Opaque-Token_9xQ7wZ"


def run_cli(*argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="ccmsetup-wizard")
    subparsers = parser.add_subparsers(dest="command")
    lint_cmd.add_parser(subparsers)
    command_cmd.add_parser(subparsers)
    args = parser.parse_args(list(argv))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = args.func(args)
    return code, out.getvalue(), err.getvalue()


def all_outputs(command: str) -> str:
    """Everything lint (text and JSON) and command (every format) print for `command`, stdout and stderr."""
    texts = []
    for argv in (("lint", command), ("lint", "--json", command),
                 *(("command", "--from", command, "--format", fmt) for fmt in FORMATS)):
        _code, out, err = run_cli(*argv)
        texts += [out, err]
    return "\n".join(texts)


def assert_hidden(token: str, output: str) -> None:
    for piece in token.split(" "):
        assert piece not in output, f"{piece!r} leaked"
        assert json.dumps(piece)[1:-1] not in output, f"{piece!r} leaked (JSON-escaped)"


FORMS = {
    "colon": f"ccmsetup.exe /regtoken:{{T}} {REST}",
    "equals": f"ccmsetup.exe /regtoken={{T}} {REST}",
    "space": f"ccmsetup.exe /regtoken {{T}} {REST}",
    "space-after-colon": f"ccmsetup.exe /regtoken: {{T}} {REST}",
    "dash": f"ccmsetup.exe -regtoken:{{T}} {REST}",
    "dash-equals": f"ccmsetup.exe -RegToken={{T}} {REST}",
    "upper-quoted-value": f'ccmsetup.exe /REGTOKEN:"{{T}}" {REST}',
    "quoted-argument": f'ccmsetup.exe "/RegToken:{{T}}" {REST}',
    "quoted-separately": f'ccmsetup.exe "/regtoken" "{{T}}" {REST}',
    "last": f"ccmsetup.exe {REST} /regtoken {{T}}",
    "intune-msi": f'msiexec /i ccmsetup.msi CCMSETUPCMD="/regtoken {{T}} {REST}"',
    "intune-msi-equals": f'CCMSETUPCMD="/regtoken={{T}} {REST}"',
    "log-line": f"Ccmsetup command line: ccmsetup.exe /regtoken={{T}} {REST}",
    "json-arguments": '{{"arguments": ["/regtoken", "{T}", "SMSSITECODE=P01"]}}',
}


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("token", [JWT, OPAQUE])
def test_no_output_shows_the_token(form, token):
    command = FORMS[form].format(T=token)
    assert_hidden(token, all_outputs(command))


@pytest.mark.parametrize("token", [JWT, OPAQUE])
def test_a_token_typed_after_a_space_is_reported_as_such(token):
    code, out, _err = run_cli("lint", f"ccmsetup.exe /regtoken {token} {REST}")
    assert code == 1
    assert f"'/regtoken {MASK}' is not a ccmsetup parameter" in out and "no space after the colon" in out


def test_a_quoted_token_with_spaces_is_hidden_whole():
    for command in (f'ccmsetup.exe "/regtoken:{OPAQUE} Second-Part-77" {REST}',
                    f'ccmsetup.exe /regtoken:"{OPAQUE} Second-Part-77" {REST}',
                    f"ccmsetup.exe /regtoken {OPAQUE} Second-Part-77 {REST}"):
        assert_hidden(f"{OPAQUE} Second-Part-77", all_outputs(command))


def test_a_jwt_in_any_value_is_hidden():
    output = all_outputs(f"ccmsetup.exe /mp:https://mp1.contoso.com SMSSITECODE=P01 CCMADMINS={JWT} FOO={JWT}")
    assert JWT.split(".")[1] not in output


def test_set_regtoken_is_hidden_in_errors_too():
    code, out, err = run_cli("command", "--set", f"/regtoken={OPAQUE}", "--set", "scenario=bogus")
    assert code == 2 and OPAQUE not in out + err
    code, out, err = run_cli("command", "--set", f"regtoken={OPAQUE}", "--set", f"CCMHOSTNAME={CMG}",
                             "--set", "SMSSITECODE=P01")
    assert code == 0 and OPAQUE not in out + err and MASK in out


def test_show_secrets_still_prints_the_token_in_the_command_only():
    code, out, err = run_cli("command", "--from", f"ccmsetup.exe /regtoken:{OPAQUE} {REST}", "--show-secrets")
    assert code == 0 and f"/regtoken:{OPAQUE}" in out and OPAQUE not in err


# ---- free-text redaction (logs, evidence) -----------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    (f"ccmsetup.exe /regtoken {OPAQUE} SMSSITECODE=P01", f"ccmsetup.exe /regtoken {MASK} SMSSITECODE=P01"),
    (f"ccmsetup.exe /regtoken={OPAQUE} /mp:x", f"ccmsetup.exe /regtoken={MASK} /mp:x"),
    (f"ccmsetup.exe /RegToken:{OPAQUE}", f"ccmsetup.exe /RegToken:{MASK}"),
    (f"ccmsetup.exe -regtoken: {OPAQUE} X=1", f"ccmsetup.exe -regtoken: {MASK} X=1"),
    (f'"/regtoken:{OPAQUE} b" SMSSITECODE=P01', f'"/regtoken:{MASK}" SMSSITECODE=P01'),
    (f'CCMSETUPCMD="/regtoken:""{OPAQUE}"" SMSSITECODE=P01"', f'CCMSETUPCMD="/regtoken:{MASK} SMSSITECODE=P01"'),
    ("ccmsetup.exe /regtoken /mp:https://mp1 SMSSITECODE=P01", "ccmsetup.exe /regtoken /mp:https://mp1 SMSSITECODE=P01"),
    ("ccmsetup.exe /regtoken SMSSITECODE=P01", "ccmsetup.exe /regtoken SMSSITECODE=P01"),
    ("/regtoken\r\nnext line", "/regtoken\r\nnext line"),
    ("/regtokens:x /noregtoken:y", "/regtokens:x /noregtoken:y"),
])
def test_redact_masks_every_spelling_without_a_plan(text, expected):
    assert redact(text) == expected


def test_argv_secrets_take_the_arguments_after_a_bare_switch():
    from wizard.core.redact import argv_secrets

    assert argv_secrets(["/regtoken", "a1", "b2", "/mp:x", "-REGTOKEN=zz", "/regtoken:", "SMSSITECODE=P01"]) == \
        ["a1", "b2", "zz"]


def test_the_parser_keeps_the_secrets_it_left_out():
    parsed = parse_command(f"ccmsetup.exe /regtoken={OPAQUE} /regtoken {JWT} {REST}")
    assert OPAQUE in parsed.secrets and JWT in parsed.secrets
    assert all(OPAQUE not in f.message and JWT not in f.message for f in parsed.findings)


def test_redactor_masks_message_fix_and_field():
    from wizard.core.findings import Finding
    from wizard.core.redact import Redactor

    finding = Finding("x", "error", f"'{OPAQUE}' bad", f"remove {OPAQUE}", field=OPAQUE)
    masked = Redactor(secrets=[OPAQUE]).finding(finding)
    assert OPAQUE not in masked.message + masked.fix + masked.field


# ---- generated tokens in every form --------------------------------------------------------------------------

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
jwts = st.builds(lambda a, b, c: f"eyJ{a}.eyJ{b}.{c}", st.text(B64, min_size=4, max_size=30),
                 st.text(B64, min_size=4, max_size=30), st.text(B64, max_size=40))
# Opaque tokens: printable, no blank and no double quote (those change how the command splits), not starting
# with "/" (after a space that is the next parameter, for ccmsetup as for us).
opaque = st.text(B64 + ".~+=!$%&()*,;@[]^`{|}'#", min_size=10, max_size=60).filter(
    lambda t: not t.startswith("/") and any(c.isalnum() for c in t))
tokens = st.one_of(jwts, opaque)


def spelled(name: str, data) -> str:
    return "".join(c.upper() if flip else c for c, flip in zip(name, data, strict=True))


@st.composite
def typed_commands(draw):
    token = draw(tokens)
    form = draw(st.sampled_from(sorted(FORMS)))
    name = spelled("regtoken", draw(st.lists(st.booleans(), min_size=8, max_size=8)))
    command = FORMS[form].replace("regtoken", name).replace("RegToken", name).replace("REGTOKEN", name)
    return token, command.format(T=token)


def check_no_leak(token: str, command: str) -> None:
    assert_hidden(token, all_outputs(command))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(typed_commands())
@example((OPAQUE + "'", f"ccmsetup.exe /regtoken {OPAQUE}' {REST}"))
@example(("********abcdefgh", f"ccmsetup.exe /regtoken=********abcdefgh {REST}"))
def test_generated_tokens_never_leak(case):
    check_no_leak(*case)


@pytest.mark.slow
@settings(max_examples=2_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(typed_commands())
def test_generated_tokens_never_leak_many(case):
    check_no_leak(*case)


# ---- the live log view (wizard.ui.logmodel pre-filters on markers before redacting) -------------------------------

@pytest.mark.parametrize("spelling", [f"/regtoken {OPAQUE}", f"/regtoken={OPAQUE}", f"-RegToken {OPAQUE}"])
def test_the_log_view_masks_an_opaque_token_in_any_spelling_without_a_plan(qtbot, spelling):
    from wizard.core.logparse import LogRecord
    from wizard.ui.logmodel import LogTableModel

    model = LogTableModel()
    model.append([LogRecord(message=f"Ccmsetup command line: ccmsetup.exe {spelling} {REST}", component="ccmsetup")])
    model.flush()
    assert OPAQUE not in model.record(0).message and MASK in model.record(0).message
