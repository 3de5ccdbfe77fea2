"""The tracker's shortcuts never change a judgement (issue 14: speed, never at the cost of a verdict).

The shortcuts: the facts of each distinct message text computed once (`_MessageFacts`), lines that change nothing
but the recent lines skipped at once (`InstallTracker._feed_one`, and whole stretches of them in
`RunSplitter.feed`), the fast routing of the usual line. Every log here is fed to the tracker as it was before
them (tests/tracker_reference.py), to the tracker with them and to the tracker with them switched off, in batches
of every size, and the runs, phases, percents, outcomes and the state behind them must be the same: every
simulated world and lab log (one run each, and all of them one after the other as one long log), and fuzzed logs
made of the real line shapes (wizard/core/simulator/shapes.py) with random values, threads, types and components.
"""

from __future__ import annotations

import string

import pytest
import tracker_reference as reference
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_tracker_interleavings import two_process_runs
from test_tracker_worlds import _cases

from wizard.core import tracker as fast
from wizard.core.logparse import LogRecord, parse_file
from wizard.core.parse import split_windows_args
from wizard.core.simulator import simulate
from wizard.core.simulator.shapes import _ALL, REGISTRATION_SHAPES

_FIELDS = ("phase", "percent", "records_seen", "run_seen", "errors", "warnings", "last_error_message",
           "reboot_requested", "processes", "service_mode", "launcher_exit_code", "result_logged", "noservice",
           "scenario", "stalled", "last_activity", "_copying_self", "_specific", "_specific_phase", "_work_phase",
           "_download_trouble", "_failed_phase", "_log_retry", "_log_timeout", "_service_started", "_return_code",
           "_error_code", "_error_message", "_result_time", "_terminal_seen", "_final", "_forced_unknown",
           "_nearby", "_switches")


def snapshot(tracker) -> dict:
    """Everything the tracker knows, comparable between the two implementations."""
    state = {name: getattr(tracker, name) for name in _FIELDS}
    outcome = tracker.outcome
    state["outcome"] = (outcome.as_dict(), outcome.summary, outcome.when, outcome.explanation, outcome.final)
    state["registration"] = (None if tracker.registration is None else
                             (tracker.registration.as_dict(), list(tracker.registration.messages)))
    state["recent"] = list(tracker._recent)
    state["first_record"] = id(tracker._first_record)
    state["last_record"] = id(tracker._last_record)
    state["procs"] = [(p.pid, p.thread, p.order, p.kind, p.exited, p.exit_code, p.error_code, p.has_banner)
                      for p in tracker._procs]
    state["accepts_process"] = tracker.accepts_process()
    state["context"] = tracker.explain_context()
    return state


def runs_of(splitter) -> list:
    return [(r.first_index, r.last_index, r.started, r.ended, id(r.start_record), id(r.end_record),
             snapshot(r.tracker)) for r in splitter.runs]


def judge(module, records: list, cuts: list[int], **options) -> tuple:
    """Feed `records` in the batches `cuts` gives; the newest run after each batch, then every run."""
    splitter = module.RunSplitter(**options)
    seen = []
    points = sorted({min(max(c, 0), len(records)) for c in cuts}) + [len(records)]
    last = 0
    for point in points:
        splitter.feed(records[last:point])
        last = point
        seen.append(snapshot(splitter.current))
    splitter.flush()
    seen.append(snapshot(splitter.current))
    return seen, runs_of(splitter)


def assert_same_judgement(records: list, cuts: list[int], **options) -> None:
    expected = judge(reference, records, cuts, **options)
    assert judge(fast, records, cuts, **options) == expected
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fast, "_FAST", False)
        assert judge(fast, records, cuts, **options) == expected


# -- every simulated world and lab ----------------------------------------------------------------------------------


def _simulated(world, command, forced, folder) -> list[LogRecord]:
    argv = split_windows_args(command)[1:]
    simulate(folder, argv, world=world, outcome=forced, detach=False, speed=1e6)
    return parse_file(folder / "ccmsetup.log")


_CASES = list(_cases())


@pytest.mark.parametrize(("world", "command", "forced"), _CASES)
def test_every_simulated_run_is_judged_the_same(world, command, forced, tmp_path):
    records = _simulated(world, command, forced, tmp_path / "ccmsetup")
    assert_same_judgement(records, [])  # one batch, as `log summary` and Diagnose feed
    assert_same_judgement(records, list(range(len(records))))  # line by line, as the install page follows
    assert_same_judgement(records, [7, 8, 40], keep_runs=False)


@pytest.mark.slow
def test_all_simulated_runs_one_after_the_other_are_judged_the_same(tmp_path):
    """One long log of many runs (service and /noservice, failed and succeeded), as a device that was retried
    for days holds; batches cut across runs."""
    records: list[LogRecord] = []
    for number, case in enumerate(_CASES):
        records += _simulated(*case.values, tmp_path / f"run{number}")
    assert_same_judgement(records, [])
    assert_same_judgement(records, list(range(0, len(records), 97)), keep_runs=False)
    assert_same_judgement(records, list(range(0, len(records), 13)), noservice=True)


# -- fuzzed logs of real line shapes ------------------------------------------------------------------------------

_SHAPES = _ALL + list(REGISTRATION_SHAPES.values())
_CODES = ["0x80190194", "0x87d0027e", "0x80004005", "0x80070643", "0x87d00231", "0x80072ee7", "0x8007064c",
          "AADSTS50001", "AADSTS700016", "1603", "0", "7", "6", "-1", "0x0", "99999999999999"]
_COMMANDS = ["ccmsetup.exe /mp:mp1.contoso.com SMSSITECODE=PS1", '"C:\\WINDOWS\\ccmsetup\\ccmsetup.exe" /runservice',
             "ccmsetup.exe /noservice /mp:mp1", "ccmsetup.exe /retry:5 /downloadtimeout:30",
             "ccmsetup.exe /source:\\\\dp1\\share/noservice", 'ccmsetup.exe PROP="x /noservice" /regtoken:********',
             "ccmsetup.exe /retry:abc /downloadtimeout:-1"]
_PATHS = ["C:\\Windows\\ccmsetup\\ccmsetup.exe", "C:\\Windows\\ccmsetup\\client.msi",
          "https://cmg.cloudapp.net/CCM_Proxy_MutualAuth/1/CCM_Client/x64/vcredist_x64.exe", "ccmsetup.exe'"]


@st.composite
def _values(draw, fields: list[str]) -> dict:
    values = {}
    for name in fields:
        if name in ("code", "status", "state", "count"):
            values[name] = draw(st.sampled_from(_CODES))
        elif name == "command":
            values[name] = draw(st.sampled_from(_COMMANDS))
        elif name in ("path", "source", "target", "url", "item", "package"):
            values[name] = draw(st.sampled_from(_PATHS))
        elif name in ("percent", "minutes", "pid", "done", "total", "attempt", "approval"):
            values[name] = draw(st.sampled_from(["0", "42", "100", "250", "10", "1440", "7"]))
        else:
            values[name] = draw(st.sampled_from(["x", "mp1.contoso.com", "GUID:C66EE0FD-08E7-4B38-B282-7E6954B71139",
                                                 "Error 0x80004005", "AADSTS50001", "download", ""]))
    return values


_EXTRA = ["Retry time:       10 minute(s)", "Download Timeout: 30 minutes", "Windows Installer has requested a reboot",
          "In ServiceMain", "Successfully started the ccmsetup service", "Command line: ccmsetup.exe /runservice",
          "Download complete.", "Failed to download files through BITS. Error: 0x80190194", "some other line",
          "CCMSETUP STARTED IN PROCESS 12", "ccmſetup ſtarted in proceſſ 12", "Error", "warning"]


@st.composite
def _lines(draw) -> list[tuple[str, str, int, str]]:
    """A pool of (message, component, type, thread) lines drawn from the real shapes, reused so lines repeat."""
    pool = []
    for _ in range(draw(st.integers(1, 14))):
        if draw(st.integers(0, 5)) == 0:
            message, component, typ = draw(st.sampled_from(_EXTRA)), "ccmsetup", draw(st.sampled_from([0, 1, 2, 3]))
        else:
            shape = draw(st.sampled_from(_SHAPES))
            fields = [f for _, f, _, _ in string.Formatter().parse(shape.text) if f]
            message = shape.render(**draw(_values(fields)))
            component = draw(st.sampled_from([shape.component, shape.component, "ccmsetup", "ClientIDManagerStartup"]))
            typ = draw(st.sampled_from([shape.type, shape.type, shape.type, 2, 3]))
        pool.append((message, component, typ, draw(st.sampled_from(["", "10", "11", "12", "13"]))))
    return pool


@st.composite
def _logs(draw) -> list[LogRecord]:
    pool = draw(_lines())
    picks = draw(st.lists(st.integers(0, len(pool) - 1), max_size=120))
    records = []
    for at in picks:
        message, component, typ, thread = pool[at]
        if draw(st.integers(0, 3)) == 0:
            thread = draw(st.sampled_from(["", "10", "11", "12", "13", "14"]))
        records.append(LogRecord(message, component, "", typ, thread or None, "x.cpp:1", "ccm", len(records),
                                 f"10:{len(records) % 60:02d}:00.000+480", "01-13-2023"))
    return records


@st.composite
def _runs_with_noise(draw) -> list[LogRecord]:
    """Whole bootstrap + service runs in every interleaving (tests/test_tracker_interleavings.py), one after the
    other, with fuzzed lines of any thread dropped in between."""
    records: list[LogRecord] = []
    for _ in range(draw(st.integers(1, 3))):
        run, _, _ = draw(two_process_runs(service_fails=draw(st.booleans())))
        if draw(st.booleans()):  # the service's banner is not in the log (a cut log, or written elsewhere)
            run = run[:1] + [r for r in run[1:] if "started in process" not in r.message]
        moved = draw(st.sampled_from(["", "777"]))  # some lines written by a thread no banner names
        run = [r._replace(thread=moved or None) if moved is not None and draw(st.integers(0, 3)) == 0 else r
               for r in run]
        records += run
    for record in draw(_logs()):
        records.insert(draw(st.integers(0, len(records))), record)
    return records


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(_logs(), st.lists(st.integers(0, 130), max_size=6), st.booleans(), st.booleans(),
       st.sampled_from([None, "cmg-token", "onprem-mp"]))
def test_fuzzed_logs_are_judged_the_same(records, cuts, noservice, keep_runs, scenario):
    assert_same_judgement(records, cuts, noservice=noservice, keep_runs=keep_runs, scenario=scenario)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(_runs_with_noise(), st.lists(st.integers(0, 200), max_size=6), st.booleans())
def test_fuzzed_two_process_runs_are_judged_the_same(records, cuts, keep_runs):
    assert_same_judgement(records, cuts, keep_runs=keep_runs)


@pytest.mark.slow
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(_logs(), st.lists(st.integers(0, 130), max_size=6), st.booleans(), st.booleans(),
       st.sampled_from([None, "cmg-token", "onprem-mp", "cmg"]))
def test_fuzzed_logs_are_judged_the_same_slow(records, cuts, noservice, keep_runs, scenario):
    assert_same_judgement(records, cuts, noservice=noservice, keep_runs=keep_runs, scenario=scenario)


@pytest.mark.slow
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(_runs_with_noise(), st.lists(st.integers(0, 200), max_size=6), st.booleans(), st.booleans())
def test_fuzzed_two_process_runs_are_judged_the_same_slow(records, cuts, keep_runs, noservice):
    assert_same_judgement(records, cuts, keep_runs=keep_runs, noservice=noservice)


def test_a_tracker_fed_directly_judges_the_same():
    """InstallTracker.feed (the install page's own tracker, no splitter) takes the same shortcuts."""
    lines = ["==========[ ccmsetup started in process 1 ]==========", "In ServiceMain",
             "Found a valid online MP 'https://mp1'", "MSI: Action 1:2:3: x", "Received message 'x'",
             "File download 10% complete (1 of 10 bytes).", "CcmSetup failed with error code 0x80004005",
             "Received message 'x'", "CcmSetup is exiting with return code 6"]
    records = [LogRecord(m, "ccmsetup", "", 1, "7", "", "ccm", i) for i, m in enumerate(lines * 3)]
    old, new = reference.InstallTracker(), fast.InstallTracker()
    for record in records:
        old.feed([record], now=reference._FEED_TIME)
        new.feed([record], now=fast._FEED_TIME)
        assert snapshot(new) == snapshot(old)
