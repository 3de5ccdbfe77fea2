import argparse
import json

import pytest

from wizard.cli import command_cmd, lint_cmd
from wizard.core.parse import parse_command
from wizard.core.profiles import Profile, load_profile, save_profile

CMG = "CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500"
SEED = (f"ccmsetup.exe /mp:https://{CMG} CCMHOSTNAME={CMG} SMSSITECODE=ABC SMSMP=https://mp1.contoso.com "
        "AADTENANTID=daf4a1c2-3a0c-401b-966f-0b855d3abd1a AADCLIENTAPPID=7506ee10-f7ec-415a-b415-cd3d58790d97 "
        "AADRESOURCEURI=https://contososerver")
TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJlLXNlY3JldA"  # exp 2100-01-01


def run(capsys, *argv):
    # Only this subcommands: the test must not depend on other subcommands being importable.
    parser = argparse.ArgumentParser(prog="ccmsetup-wizard")
    subparsers = parser.add_subparsers(dest="command")
    lint_cmd.add_parser(subparsers)
    command_cmd.add_parser(subparsers)
    args = parser.parse_args(list(argv))
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_lint_seed_is_clean(capsys):
    code, out, _ = run(capsys, "lint", SEED)
    assert code == 0 and "No problems found" in out
    code, out, _ = run(capsys, "lint", "--json", SEED)
    assert code == 0 and json.loads(out) == []


def test_lint_errors_exit_1_and_json_has_the_four_keys(capsys):
    bad = SEED.replace("SMSSITECODE=ABC", "SMSSITECODE=AUTO").replace("/mp:https://", "/mp:")
    code, out, _ = run(capsys, "lint", "--json", bad)
    assert code == 1
    findings = json.loads(out)
    assert {tuple(sorted(f)) for f in findings} == {("fix", "message", "rule", "severity")}
    assert {"auto-with-hostname", "cmg-mp-scheme"} <= {f["rule"] for f in findings}
    code, out, _ = run(capsys, "lint", bad)
    assert code == 1 and "auto-with-hostname [SMSSITECODE]" in out and "fix:" in out


def test_lint_unparseable_exits_2(capsys):
    code, out, err = run(capsys, "lint", "notepad.exe /x")
    assert code == 2 and "notepad.exe" in err and out == ""


def test_lint_joins_an_unquoted_paste(capsys):
    code, out, _ = run(capsys, "lint", "ccmsetup.exe", "/mp:mp1", "SMSSITECODE=ABC", "CCMINSTALLDIR=C:\\a b")
    assert code == 0


def test_lint_reports_parser_findings_once(capsys):
    code, out, _ = run(capsys, "lint", "--json", "ccmsetup /runservice /mp:mp1 SMSSITECODE=ABC FOO=1")
    rules = [f["rule"] for f in json.loads(out)]
    assert rules.count("unknown-property") == 1 and "internal-switch" in rules
    assert code == 0


def test_command_from_seed_in_every_format(capsys):
    plan = parse_command(SEED).plan
    for fmt in ("windows", "cmd", "powershell", "intune", "intune-msi", "json"):
        code, out, err = run(capsys, "command", "--from", SEED, "--format", fmt)
        assert code == 0, err
        assert parse_command(out).plan == plan, fmt


def test_command_set_accepts_properties_parameters_and_fields(capsys):
    code, out, err = run(capsys, "command", "--set", f"CCMHOSTNAME={CMG}", "--set", "smssitecode=ABC",
                         "--set", f"/mp=https://{CMG}", "--set", "NoCRLCheck", "--set", "/BITSPriority:HIGH",
                         "--set", "sitecode=XYZ", "--set", "FSP=fsp1", "--format", "intune")
    assert code == 0, err
    assert out.strip() == (f"/mp:https://{CMG} /NoCRLCheck /BITSPriority:HIGH CCMHOSTNAME={CMG} SMSSITECODE=XYZ "
                           "FSP=fsp1")
    code, out, err = run(capsys, "command", "--from", SEED, "--set", "SMSMP=", "--set", "mp=", "--format", "intune")
    assert code == 0 and "SMSMP" not in out and "/mp" not in out


def test_command_rule_errors_go_to_stderr_with_ids_and_exit_2(capsys):
    code, out, err = run(capsys, "command", "--from", SEED, "--set", "SMSSITECODE=AUTO", "--set", "/UsePKICert")
    assert code == 2 and out == ""
    assert "auto-with-hostname" in err and "pki-with-entra" in err


def test_command_bad_set_and_bad_from(capsys):
    code, _, err = run(capsys, "command", "--set", "scenario=moon")
    assert code == 2 and "onprem-mp" in err
    code, _, err = run(capsys, "command", "--set", "=x")
    assert code == 2 and "NAME=VALUE" in err
    code, _, err = run(capsys, "command", "--from", "notepad.exe")
    assert code == 2 and "--from" in err
    code, _, err = run(capsys, "command", "--set", "/mp")
    assert code == 2 and "needs a value" in err


def test_scenario_follows_the_command_unless_set(capsys):
    code, out, err = run(capsys, "command", "--from", SEED, "--set", f"/regtoken={TOKEN}", "--set", "mp=",
                         "--set", "AADTENANTID=", "--set", "AADCLIENTAPPID=", "--set", "AADRESOURCEURI=",
                         "--format", "json")
    assert code == 0, err
    assert json.loads(out)["plan"]["scenario"] == "cmg-token"
    code, out, err = run(capsys, "command", "--from", SEED, "--set", "scenario=onprem-mp", "--format", "json")
    assert "scenario-mismatch" in err


def test_regtoken_is_masked_unless_show_secrets(capsys):
    base = ("command", "--set", f"CCMHOSTNAME={CMG}", "--set", "SMSSITECODE=ABC", "--set", f"/regtoken={TOKEN}")
    code, out, err = run(capsys, *base)
    assert code == 0, err
    assert TOKEN not in out and TOKEN not in err and "/regtoken:********" in out
    code, out, err = run(capsys, *base, "--show-secrets")
    assert code == 0 and f"/regtoken:{TOKEN}" in out
    code, out, err = run(capsys, "command", "--set", "SMSSITECODE=A", "--set", f"/regtoken={TOKEN}x y")
    assert code == 2 and TOKEN not in err and TOKEN not in out


def test_save_profile_never_writes_the_token(capsys, tmp_path, memory_keyring):
    path = tmp_path / "token.json"
    code, out, err = run(capsys, "command", "--set", f"CCMHOSTNAME={CMG}", "--set", "SMSSITECODE=ABC",
                         "--set", f"/regtoken={TOKEN}", "--save-profile", str(path))
    assert code == 0, err
    assert TOKEN not in path.read_text() and TOKEN not in err
    assert load_profile(path).plan.scenario == "cmg-token"
    assert list(memory_keyring.passwords.values()) == [TOKEN]
    # The profile plus the stored token gives the full command back.
    code, out, err = run(capsys, "command", "--profile", str(path), "--show-secrets")
    assert code == 0, err
    assert f"/regtoken:{TOKEN}" in out


def test_profile_locks_are_enforced(capsys, tmp_path):
    path = tmp_path / "locked.json"
    plan = parse_command(SEED).plan
    save_profile(path, Profile(name="locked", plan=plan, locked=("SMSSITECODE", "/mp"), lock_reason="admin"))
    code, out, err = run(capsys, "command", "--profile", str(path), "--set", "SMSSITECODE=XYZ")
    assert code == 2 and "SMSSITECODE" in err and "admin" in err
    code, out, err = run(capsys, "command", "--profile", str(path), "--set", "FSP=f1", "--format", "intune")
    assert code == 0 and "FSP=f1" in out


def test_bad_profile_exits_2_naming_the_file(capsys, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{")
    code, _, err = run(capsys, "command", "--profile", str(path))
    assert code == 2 and str(path) in err


@pytest.mark.parametrize("name", ["lint", "command"])
def test_subcommands_are_wired_into_main(name):
    from wizard.cli.main import build_parser

    parser = build_parser()
    choices = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert name in choices


def test_lint_reads_standard_input_for_dash(capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(SEED + "\n"))
    code, out, _ = run(capsys, "lint", "-")
    assert code == 0 and "No problems found" in out


def test_save_profile_into_an_unwritable_place_exits_2(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, out, err = run(capsys, "command", "--from", SEED, "--save-profile", str(blocker / "p.json"))
    assert code == 2 and "p.json" in err and out == ""


@pytest.mark.parametrize("fmt", ["windows", "cmd", "powershell", "intune", "intune-msi", "json"])
def test_masked_token_gets_a_note_on_stderr(capsys, fmt):
    base = ("command", "--set", f"CCMHOSTNAME={CMG}", "--set", "SMSSITECODE=ABC", "--set", f"/regtoken={TOKEN}",
            "--format", fmt)
    code, out, err = run(capsys, *base)
    assert code == 0, err
    assert "the registration token is masked" in err and "--show-secrets" in err and TOKEN not in err
    code, out, err = run(capsys, *base, "--show-secrets")
    assert code == 0 and "masked" not in err
    code, out, err = run(capsys, "command", "--from", SEED, "--format", fmt)
    assert code == 0 and "masked" not in err


def test_token_message_without_keyring_shows_length_and_expiry_only(capsys, tmp_path, monkeypatch):
    from wizard.host import credentials

    monkeypatch.setattr(credentials, "open_credential_store", lambda: credentials.MemoryStore())
    code, out, err = run(capsys, "command", "--set", f"CCMHOSTNAME={CMG}", "--set", "SMSSITECODE=ABC",
                         "--set", f"/regtoken={TOKEN}", "--save-profile", str(tmp_path / "p.json"))
    assert code == 0, err
    line = next(line for line in err.splitlines() if "registration token (" in line)
    assert f"{len(TOKEN)} characters" in line and "2100-01-01" in line
    assert TOKEN[:4] not in line and TOKEN[-4:] not in line


def test_unreadable_three_part_token_is_not_said_to_lack_three_parts(capsys):
    code, out, _ = run(capsys, "lint", "--json", f"ccmsetup.exe CCMHOSTNAME={CMG} SMSSITECODE=ABC "
                                                  "/regtoken:abc.def.ghi")
    finding = next(f for f in json.loads(out) if f["rule"] == "regtoken-format")
    assert "three parts" not in finding["message"] and "base64url-encoded JSON" in finding["message"]
