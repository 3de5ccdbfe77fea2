"""Property test: every interleaving of a real two-process (bootstrap + service) ccmsetup run is judged truly.

The bootstrap and the service write to one log from different threads. Whatever order their lines land in — the
bootstrap's "exiting with return code 0" before or after the service's first lines, with or without "Successfully
started the ccmsetup service", the service's command line with or without `/runservice` — the outcome is never
`succeeded` when the service failed, and never final while the service may still work.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wizard.core.logparse import LogRecord
from wizard.core.tracker import InstallTracker, RunSplitter

WORK = ["Getting AAD info from CMG 'CMG.CLOUDAPP.NET'", "Found a valid online MP 'https://mp1.contoso.com'",
        "Searching for DP locations from MP(s)...", "Starting BITS download for client deployment files.",
        "File download 35% complete (1024 of 2925 bytes).", "Running installation package",
        "Failed to download files through BITS. Error: 0x80190194, Description HTTP status 404: Not found"]
FAILURES = ["0x80190194", "0x80070643", "0x80004005", "0x87d0027e"]


def rec(message: str, thread: str, type_: int = 1) -> LogRecord:
    return LogRecord(message, "ccmsetup", "", type_, thread, "ccmsetup.cpp:1", "ccm", 0)


@st.composite
def two_process_runs(draw, service_fails: bool):
    tb, ts, tm = (str(n) for n in draw(st.lists(st.integers(1, 99999), min_size=3, max_size=3, unique=True)))
    boot_head = [rec("==========[ ccmsetup started in process 4312 ]==========", tb)]
    if draw(st.booleans()):
        boot_head.append(rec('Ccmsetup command line: "C:\\Temp\\ccmsetup.exe" /mp:mp1.contoso.com '
                             + draw(st.sampled_from(['SMSSITECODE=PS1', '/source:\\\\dp1\\share/noservice',
                                                     'CCMADMINS="x /noservice"'])), tb))
    if draw(st.booleans()):
        boot_head.append(rec("Downloading C:\\Temp\\ccmsetup.exe to C:\\Windows\\ccmsetup\\ccmsetup.exe", tb))
    if draw(st.booleans()):
        boot_head.append(rec("Successfully created the ccmsetup service", tb))
    boot_tail = []
    started_line = draw(st.booleans())
    if started_line:
        boot_tail.append(rec("Successfully started the ccmsetup service", tb))
    boot_tail.append(rec("CcmSetup is exiting with return code 0", tb))

    service = [rec("==========[ ccmsetup started in process 7812 ]==========", ts)]
    runservice = draw(st.booleans())
    if runservice:
        service.append(rec('Ccmsetup command line: "C:\\WINDOWS\\ccmsetup\\ccmsetup.exe" /runservice '
                           '"/mp:mp1.contoso.com" SMSSITECODE=PS1', ts))
    if draw(st.booleans()) or not (runservice or started_line):
        # A real service always says "In ServiceMain" (often from a thread of its own); one marker of the hand-over
        # is always there.
        service.append(rec("In ServiceMain", draw(st.sampled_from([ts, tm]))))
    for line in draw(st.lists(st.sampled_from(WORK), max_size=5)):
        service.append(rec(line, draw(st.sampled_from([ts, tm])), 3 if "Failed" in line else 1))
    if service_fails:
        code = draw(st.sampled_from(FAILURES))
        service.append(rec(f"CcmSetup failed with error code {code}", ts, draw(st.sampled_from([1, 3]))))
        decisive = len(service) - 1
        if draw(st.booleans()):
            service.append(rec(f"CcmSetup is exiting with return code {draw(st.sampled_from([6, 0]))}", ts))
    else:
        code = None
        service.append(rec("CcmSetup is exiting with return code 0", ts))
        decisive = len(service) - 1

    # The service starts after the launcher created it; from there on the two processes' lines interleave freely.
    order = draw(st.permutations([0] * len(boot_tail) + [1] * len(service)))
    records, decisive_at = list(boot_head), None
    b = s = 0
    for who in order:
        if who == 0:
            records.append(boot_tail[b])
            b += 1
        else:
            if s == decisive:
                decisive_at = len(records)
            records.append(service[s])
            s += 1
    return records, decisive_at, code


def check_failed_run(records, decisive_at, code):
    tracker = InstallTracker()
    splitter = RunSplitter()
    for i, record in enumerate(records):
        tracker.feed([record])
        splitter.feed([record])
        for outcome in (tracker.outcome, splitter.current.outcome):
            assert outcome.state != "succeeded", (i, outcome)
            if i < decisive_at:
                assert not outcome.final, (i, outcome)  # the service may still work
    splitter.flush()
    for outcome in (tracker.outcome, splitter.current.outcome):
        assert (outcome.state, outcome.error_code, outcome.final) == ("failed", code, True), outcome
        assert outcome.return_code in (None, 6)
    assert len(splitter.runs) == 1


def check_succeeded_run(records, decisive_at):
    tracker = InstallTracker()
    splitter = RunSplitter()
    for i, record in enumerate(records):
        tracker.feed([record])
        splitter.feed([record])
        if i < decisive_at:
            for outcome in (tracker.outcome, splitter.current.outcome):
                assert outcome.state == "running" and not outcome.final, (i, outcome)
    splitter.flush()
    for outcome in (tracker.outcome, splitter.current.outcome):
        assert (outcome.state, outcome.return_code, outcome.final) == ("succeeded", 0, True), outcome
    assert len(splitter.runs) == 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(two_process_runs(service_fails=True))
def test_a_failed_service_is_never_a_success_in_any_interleaving(run):
    check_failed_run(*run)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(two_process_runs(service_fails=False))
def test_a_successful_service_is_final_only_at_its_own_exit_line(run):
    check_succeeded_run(*run[:2])


@pytest.mark.slow
@settings(max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(two_process_runs(service_fails=True))
def test_slow_failed_service_interleavings(run):
    check_failed_run(*run)


@pytest.mark.slow
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(two_process_runs(service_fails=False))
def test_slow_successful_service_interleavings(run):
    check_succeeded_run(*run[:2])
