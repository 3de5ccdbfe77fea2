"""`ccmsetup-wizard explain CODE [--scenario S] [--json]`: every spelling a log uses, the exit codes, sources shown."""

from __future__ import annotations

import json

import pytest

from wizard.cli.main import build_parser, main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("code, expected", [
    ("0x87d0027e", "0x87d0027e"), ("87D0027E", "0x87d0027e"), ("-2016411010", "0x87d0027e"),
    ("-2145844844", "0x80190194"), ("2147943860", "0x800705b4"), ("1603", "1603"), ("1612", "0x8007064c"),
    ("AADSTS700016", "AADSTS700016"), ("ERROR_TIMEOUT", "0x800705b4"), ("0x80072f0c", "0x80072f0c"),
])
def test_known_codes_exit_0_with_meaning_cause_fix_and_source(capsys, code, expected):
    status, out, _ = run(capsys, "explain", code)
    assert status == 0
    assert expected in out and "Meaning:" in out and "Likely cause:" in out and "What to do:" in out
    assert "Source:" in out


def test_words_are_joined(capsys):
    status, out, _ = run(capsys, "explain", "AADSTS", "50126")
    assert status == 0 and "password" in out


def test_json_output(capsys):
    status, out, _ = run(capsys, "explain", "--json", "--scenario", "cmg", "0x87d00215")
    data = json.loads(out)
    assert status == 0 and data["code"] == "0x87d00215" and data["in_table"] and data["source"]
    assert "Allow access to cloud distribution point" in data["cause"] + data["action"]
    assert data["ccmsetup_return_code"] is None


def test_scenario_changes_the_cause(capsys):
    _, default, _ = run(capsys, "explain", "0x80072efd")
    _, cmg, _ = run(capsys, "explain", "--scenario", "cmg", "0x80072efd")
    assert default != cmg and "CMG" in cmg


def test_ccmsetup_return_codes_are_explained_as_such(capsys):
    status, out, _ = run(capsys, "explain", "7")
    assert status == 0 and "ccmsetup return code 7: Reboot required" in out
    status, out, _ = run(capsys, "explain", "--json", "9")
    assert json.loads(out)["ccmsetup_return_code"]["title"] == "Prerequisite evaluation failure"


def test_a_code_not_in_the_table_is_decoded_honestly_and_exits_1(capsys):
    status, out, _ = run(capsys, "explain", "0x87d0ffff")
    assert status == 1 and "Configuration Manager" in out and "Not in the explanation table" in out
    status, out, _ = run(capsys, "explain", "0x800C0005")
    assert status == 1 and "INET_E_RESOURCE_NOT_FOUND" in out and "Access is denied" not in out
    status, out, _ = run(capsys, "explain", "--json", "0xcaa2ffff")
    assert status == 1 and json.loads(out)["in_table"] is False


@pytest.mark.parametrize("text", ["nonsense", "0xZZZ", "12345678901", "0x1234567890"])
def test_unparseable_input_exits_2(capsys, text):
    status, out, err = run(capsys, "explain", text)
    assert status == 2 and "not an error code" in err and out == ""


def test_unparseable_input_in_json(capsys):
    status, out, _ = run(capsys, "explain", "--json", "hello")
    assert status == 2 and "error" in json.loads(out)


def test_registered_in_the_main_parser():
    assert "explain" in build_parser()._subparsers._group_actions[0].choices
