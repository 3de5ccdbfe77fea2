"""The top-level entry point: version, help, subcommand dispatch and the GUI fast path."""

from __future__ import annotations

import pytest

from wizard import __version__
from wizard.cli import main as cli_main


def test_version_prints_package_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli_main.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"ccmsetup-wizard {__version__}"


def test_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit):
        cli_main.main(["--help"])
    out = capsys.readouterr().out
    for name in cli_main.COMMANDS:
        assert name in out


def test_every_subcommand_module_registers(capsys):
    parser = cli_main.build_parser()
    for name in cli_main.COMMANDS:
        with pytest.raises(SystemExit) as exit_info:
            parser.parse_args([name, "--help"])
        assert exit_info.value.code == 0
        assert name in capsys.readouterr().out


def test_misspelled_subcommand_names_the_valid_ones(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli_main.main(["lnt"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "'lnt'" in err and "lint" in err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], False),
        (["--demo"], False),
        (["--demo", "offline"], False),
        (["--profile", "site.json", "--self-test"], False),
        (["--profile=site.json"], False),
        (["lint", "ccmsetup.exe"], True),
        (["--demo", "--", "x"], True),
        (["-h"], True),
        (["typo"], True),
    ],
)
def test_gui_start_skips_subcommand_imports_only_without_a_command(argv, expected):
    assert cli_main._names_a_command(argv) is expected


def test_gui_path_receives_demo_and_profile(monkeypatch):
    seen = {}

    def fake_run(**kwargs):
        seen.update(kwargs)
        return 0

    import wizard.ui.app as app

    monkeypatch.setattr(app, "run", fake_run)
    assert cli_main.main(["--demo", "offline", "--profile", "p.json"]) == 0
    assert seen == {"demo": "offline", "profile": "p.json", "self_test": False}


def test_subcommand_exit_code_is_returned(capsys):
    code = cli_main.main(["lint", "ccmsetup.exe SMSSITECODE=AUX"])
    assert code == 1
    assert "site-code" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--demo=offline", "check", "--from", "ccmsetup.exe SMSSITECODE=P01"],
         "put --demo after the subcommand: ccmsetup-wizard check --demo=offline"),
        (["--demo", "offline", "install", "--yes"], "put --demo after the subcommand: ccmsetup-wizard install"),
        (["--profile", "site.json", "command"], "put --profile after the subcommand: ccmsetup-wizard command "
                                                "--profile=site.json"),
        (["--demo", "lint", "ccmsetup.exe SMSSITECODE=P01"], "'lint' is a subcommand, not a demo preset"),
        (["--demo", "lint"], "'lint' has no --demo option"),
        (["--demo", "check", "--from", "x"], "put --demo after the subcommand: ccmsetup-wizard check --demo="),
        (["--profile=p.json", "lint", "x"], "'lint' has no --profile option"),
    ],
)
def test_gui_option_before_a_subcommand_is_an_error(argv, expected, capsys, monkeypatch):
    import wizard.ui.app as app

    monkeypatch.setattr(app, "run", lambda **kwargs: pytest.fail(f"the GUI must not open: {kwargs}"))
    assert cli_main.main(argv) == 2
    captured = capsys.readouterr()
    assert expected in captured.err and captured.out == ""


@pytest.mark.parametrize("argv", [["--demo", "offline"], ["--demo"], ["--demo=offline", "--self-test"],
                                  ["--profile", "p.json"]])
def test_gui_options_alone_are_not_misplaced(argv):
    assert cli_main.misplaced_gui_option(argv) is None


def test_closed_output_pipe_ends_quietly():
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head` that already exited
    try:
        done = subprocess.run([sys.executable, "-m", "wizard.cli.main", "lint", "ccmsetup.exe SMSSITECODE=ABC"],
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(write_end)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr


def test_help_shows_that_the_command_is_optional(capsys):
    """Without a subcommand the wizard opens: the usage must not present COMMAND as required."""
    import re

    with pytest.raises(SystemExit) as exit_info:
        cli_main.main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    usage = out.split("\n\n")[0].removeprefix("usage: ")
    forms = [" ".join(part.split()) for part in re.split(r"(?m)^\s*(?=ccmsetup-wizard )", usage) if part.strip()]
    assert any("--demo" in form and "COMMAND" not in form for form in forms), forms
    assert "without a command" in out.lower()
    with pytest.raises(SystemExit):
        cli_main.main(["lint", "--help"])
    assert capsys.readouterr().out.startswith("usage: ccmsetup-wizard lint [-h]")


def test_usage_names_every_gui_option(capsys):
    """The hand-written usage line lists each option the wizard takes without a command (--lab too)."""
    with pytest.raises(SystemExit):
        cli_main.main(["--help"])
    out = capsys.readouterr().out
    usage = out.split("\n\n")[0]
    parser = cli_main.build_parser(with_commands=False)
    for action in parser._actions:
        if "-h" in action.option_strings:
            continue  # shown as -h
        for option in action.option_strings:
            assert option in usage, option


def test_a_subcommand_loads_only_its_own_module(tmp_path):
    """`log summary` must not pay for the plan model, the simulator or the other commands (about 0.3 s)."""
    import subprocess
    import sys

    log = tmp_path / "ccmsetup.log"
    log.write_text('<![LOG[Ccmsetup command line: ccmsetup.exe /mp:mp1 SMSSITECODE=PS1]LOG]!><time="10:00:00.000+480" '
                   'date="01-13-2023" component="ccmsetup" context="" type="1" thread="1" file="x:1">\r\n')
    probe = ("import sys; from wizard.cli.main import main; code = main(['log', 'summary', sys.argv[1], '--json']); "
             "print(sorted(m for m in sys.modules if m.startswith(('wizard.cli.', 'wizard.core.plan', 'pydantic', "
             "'wizard.host', 'wizard.core.simulator'))))")
    out = subprocess.run([sys.executable, "-c", probe, str(log)], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "['wizard.cli.log_cmd', 'wizard.cli.main']"


def test_help_after_a_subcommand_is_that_subcommands_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli_main.main(["log", "--help"])
    assert exit_info.value.code == 0
    assert "summary" in capsys.readouterr().out
