"""Files and inputs the product reads and writes, against odd and hostile content (issue 9, "Files"): profiles
that are links to devices, FIFOs, huge, nested or holding lone surrogates; saving that keeps permissions and
leaves no temp file; lint/command on deeply nested JSON and lone surrogates exit 2 with a message."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import threading

import pytest

from wizard.core.plan import InstallPlan
from wizard.core.profiles import Profile, ProfileError, load_profile, save_profile

DEEP = "[" * 100_000 + "]" * 100_000
VALID = {"schema_version": 1, "name": "x", "plan": {"sitecode": "P01"}}
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX devices, FIFOs and permission bits")


# ---- reading profiles -------------------------------------------------------------------------------------------

@posix_only
def test_a_link_to_dev_zero_is_refused_without_reading_it_all(tmp_path):
    # In a child process with a 1 GB address-space limit: reading /dev/zero to the end must not take the machine.
    link = tmp_path / "zero.json"
    link.symlink_to("/dev/zero")
    script = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
              "from wizard.core.profiles import ProfileError, load_profile\n"
              "try:\n    load_profile(sys.argv[1])\nexcept ProfileError as exc:\n    print(exc)\n")
    done = subprocess.run([sys.executable, "-c", script, str(link)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "zero.json" in done.stdout and "regular file" in done.stdout


@posix_only
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    outcome: list = []
    reader = threading.Thread(target=lambda: outcome.append(_load_or_error(fifo)), daemon=True)
    reader.start()
    reader.join(10)
    if reader.is_alive():  # unblock the stuck open so the thread ends, then fail
        with open(fifo, "wb"):
            pass
        pytest.fail("loading a FIFO blocked")
    assert isinstance(outcome[0], ProfileError) and "pipe.json" in str(outcome[0])


def _load_or_error(path):
    try:
        return load_profile(path)
    except Exception as exc:
        return exc


def test_size_is_limited_by_bytes_read_not_by_the_reported_size(tmp_path, monkeypatch):
    from wizard.core import profiles

    big = tmp_path / "big.json"
    big.write_text(json.dumps(VALID | {"description": "x" * 5000}), encoding="utf-8")
    monkeypatch.setattr(profiles, "MAX_PROFILE_BYTES", 1000)
    with pytest.raises(ProfileError, match="larger than"):
        load_profile(big)


@pytest.mark.parametrize("version", [True, 1.0, "1", 2, None])
def test_schema_version_must_be_the_integer_1(tmp_path, version):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(VALID | {"schema_version": version}), encoding="utf-8")
    with pytest.raises(ProfileError, match="schema_version"):
        load_profile(path)
    path.write_text(json.dumps(VALID), encoding="utf-8")
    assert load_profile(path).plan.sitecode == "P01"


@pytest.mark.parametrize("content", [
    '{"schema_version": 1, "plan": {"sitecode": ' + DEEP + "}}",
    '{"schema_version": 1, "plan": {"sitecode": "P0\\ud800"}}',
    '{"schema_version": 1, "name": "\\udcff"}',
])
def test_nested_or_surrogate_profiles_give_a_profile_error_and_stay_untouched(tmp_path, content):
    path = tmp_path / "odd.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert "odd.json" in str(caught.value)
    assert path.read_text(encoding="utf-8") == content


# ---- saving profiles --------------------------------------------------------------------------------------------

@posix_only
def test_saving_keeps_the_existing_files_permissions(tmp_path):
    path = tmp_path / "p.json"
    save_profile(path, Profile(name="a"))
    path.chmod(0o640)
    save_profile(path, Profile(name="b"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o640 and load_profile(path).name == "b"


@posix_only
def test_a_new_profile_is_readable_as_the_umask_allows(tmp_path):
    old = os.umask(0o022)
    try:
        save_profile(tmp_path / "new.json", Profile(name="a"))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o644


@pytest.mark.parametrize("plan", [
    InstallPlan(sitecode="P0\udcff"),
    InstallPlan(properties=(("CCMINSTALLDIR", "C:\\\ud800"),)),
])
def test_unencodable_text_gives_the_same_clear_error_and_no_temp_file(tmp_path, plan):
    path = tmp_path / "p.json"
    path.write_text("old", encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        save_profile(path, Profile(name="x", plan=plan))
    assert "p.json" in str(caught.value) and "not valid text" in str(caught.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json"] and path.read_text(encoding="utf-8") == "old"


def test_a_recursion_error_while_saving_is_a_profile_error(tmp_path, monkeypatch):
    from wizard.core import profiles

    def too_deep(_profile):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(profiles, "profile_to_json", too_deep)
    with pytest.raises(ProfileError, match="p.json"):
        save_profile(tmp_path / "p.json", Profile(name="x"))
    assert list(tmp_path.iterdir()) == []


# ---- lint / command on hostile input: exit 2 and a message ----------------------------------------------------------

def _cli(argv: list[str], stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    from wizard.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8", "surrogatepass"))))
    code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("argv, stdin", [
    (["lint", '{"plan": ' + DEEP + "}"], None),
    (["lint", "-"], '{"arguments": ' + DEEP + "}"),
    (["lint", "--json", '{"plan": ' + DEEP + "}"], None),
    (["lint", '{"plan": {"sitecode": "\\ud800"}}'], None),
    (["lint", "--json", '{"arguments": ["SMSSITECODE=\\udcff"]}'], None),
    (["lint", "ccmsetup.exe /mp:mp1 SMSSITECODE=P\udcff"], None),
    (["lint", "ccmsetup.exe", "/mp:mp1", "SMSSITECODE=P\ud800"], None),
    (["lint", "-"], "ccmsetup.exe /mp:mp1 SMSSITECODE=P\udcff"),
    (["command", "--from", '{"plan": ' + DEEP + "}"], None),
    (["command", "--from", "ccmsetup.exe /mp:mp1 SMSSITECODE=P\udcff"], None),
    (["command", "--set", "SMSSITECODE=P\udcff", "--set", "/mp=mp1"], None),
    (["command", "--set", "/source=\ud800", "--set", "/mp=mp1", "--set", "SMSSITECODE=P01"], None),
])
def test_hostile_input_exits_2_with_a_message(argv, stdin, monkeypatch):
    code, out, err = _cli(argv, stdin, monkeypatch)
    assert code == 2, (code, out, err)
    assert "Traceback" not in err and err.strip()


@pytest.mark.parametrize("content", ['{"schema_version": 1, "plan": ' + DEEP + "}",
                                     '{"schema_version": true}', '{"schema_version": 1, "name": "\\ud800"}'])
def test_command_profile_with_hostile_content_exits_2(tmp_path, monkeypatch, content):
    path = tmp_path / "p.json"
    path.write_text(content, encoding="utf-8")
    code, out, err = _cli(["command", "--profile", str(path)], None, monkeypatch)
    assert code == 2 and "p.json" in err and out == ""


@pytest.mark.skipif(os.name != "posix", reason="POSIX argv bytes")
def test_undecodable_argv_bytes_exit_2_in_a_real_process():
    for argv in ([b"lint", b"ccmsetup.exe /mp:mp1 SMSSITECODE=P\xff"],
                 [b"lint", b"--json", b"ccmsetup.exe /mp:mp1 SMSSITECODE=P\xff"],
                 [b"command", b"--set", b"SMSSITECODE=\xff\xfe", b"--set", b"/mp=mp1"]):
        done = subprocess.run([sys.executable.encode(), b"-m", b"wizard.cli.main", *argv], capture_output=True,
                              timeout=120, env={**os.environ, "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": ""})
        assert done.returncode == 2, done
        assert b"Traceback" not in done.stderr and b"not valid text" in done.stderr
