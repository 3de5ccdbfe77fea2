"""Every shipped world and lab, run through the simulator (which writes real ccmsetup.log shapes) and read back
through the parser and the tracker, as `log summary`, the install page and Diagnose read a real log:

- the phases visited are in order, none skipped that the log shows and none the log does not show (the
  simulator's line keys say which phase each line proves);
- the percent never goes back within one file and never reads 100 % at a failed download;
- the outcome's state, return code and error code agree with the simulator's verdict;
- the explanation is of the outcome's code (or of the specific error line behind a generic code), and for
  0x87d0027e it agrees with the world's own cause (wrong tenant, token with /mp, wrong CMG ID, not joined).
"""

from __future__ import annotations

import pytest

from wizard.core.explain import explain_message
from wizard.core.logparse import parse_file
from wizard.core.parse import split_windows_args
from wizard.core.simulator import OUTCOMES, evaluate, simulate
from wizard.core.simulator.shapes import shape
from wizard.core.tracker import PHASES, RunSplitter
from wizard.core.world import load_world, world_names
from wizard.core.world.labs import lab_names, load_lab
from wizard.host.demo import render_dsregcmd
from wizard.host.dsregcmd import parse_dsregcmd
from wizard.host.session import join_state_of

ORDER = [pid for pid, _ in PHASES]
# The phase a simulated line proves (shape keys of wizard/core/simulator/shapes.py); other lines prove none
# (the launcher's copy of itself, the parameter dump, HTTP errors, the result line).
PROVES = {
    "service": ("service-created", "service-started", "service-main"),
    "entra": ("aad-info", "aad-device-token", "aad-device-token-ok", "wam-failed", "aad-token-failed",
              "aad-token-sid-failed", "user-token-fallback", "aad-user-token", "aad-user-token-ok", "ccm-token-sts",
              "ccm-token-url", "token-cached"),
    "locate": ("ccm-post", "site-info", "only-one-mp", "searching-dp", "location-request", "location-body",
               "location-reply", "local-location", "dp-none-good", "checking-url", "valid-mp", "remote-location",
               "on-azure", "no-local-dp", "dp-locations-failed", "no-valid-source"),
    "download": ("bits-add", "bits-start", "bits-failed", "bits-failed-client-files"),
    "prereqs": ("prerequisite-failed",),
    "msi": ("installing-version", "running-package", "msi-action", "msi-rollback", "msi-file-failed"),
    "finishing": ("install-succeeded", "install-succeeded-reboot"),
}
PHASE_OF_KEY = {key: phase for phase, keys in PROVES.items() for key in keys}
FAILURE_KEYS = ("failed", "bits-failed", "bits-failed-client-files")
# What the outcome's explanation must say for the world's own cause (its finding), in the words of its cause or
# action, so that the Finish page's two boxes agree; none of them is a content problem ("Distribute the client
# package") and none is "transient" (a retry by itself fixes none of them).
CAUSE_WORDS = {
    "aadtenantid-wrong": "tenant",
    "tenant-not-onboarded": "tenant",
    "regtoken-with-mp": "without /mp",
    "cmg-id-wrong": "CMG's ID",
    "not-entra-joined": "not Entra joined",
    "token-rejected": "token",
    "device-disabled": "disabled",
    "device-in-other-tenant": "bulk registration token",
    "cmg-root-untrusted": "root",
}


def _cases():
    for name in world_names():
        world = load_world(name).world
        command = world.site.sample_command()
        yield pytest.param(world, command, None, id=f"world-{name}")
        yield pytest.param(world, command.replace("ccmsetup.exe", "ccmsetup.exe /noservice", 1), None,
                           id=f"world-{name}-noservice")
    for name in lab_names():
        lab = load_lab(name)
        yield pytest.param(lab.world, lab.start_command, None, id=f"lab-{name}")
        yield pytest.param(lab.fixed_world, lab.fixed_command, None, id=f"lab-{name}-fixed")
    default = load_world("entra-joined").world
    for outcome in OUTCOMES:
        yield pytest.param(default, default.site.sample_command(), outcome, id=f"outcome-{outcome}")
    # The 0x87d0027e causes no shipped world plants: a tenant the site does not know, a CMG ID that is not the site's.
    other_site = default.model_copy(update={"site": default.site.model_copy(
        update={"tenant_id": "bbbbcccc-1111-dddd-2222-eeee3333ffff", "tenant_name": "Fabrikam"})})
    command = default.site.sample_command().split(" AADTENANTID=")[0]
    yield pytest.param(other_site, command, None, id="extra-tenant-not-onboarded")
    cmg_id = default.site.cmg.id
    yield pytest.param(default, default.site.sample_command().replace(cmg_id, cmg_id[:-1] + "9"), None,
                       id="extra-cmg-id-wrong")


@pytest.mark.parametrize(("world", "command", "forced"), list(_cases()))
def test_the_tracker_reads_every_simulated_run_truly(world, command, forced, tmp_path):
    argv = split_windows_args(command)[1:]
    verdict, recording = evaluate(argv, world, outcome=forced)
    log_dir = tmp_path / "ccmsetup"
    simulate(log_dir, argv, world=world, outcome=forced, detach=False, speed=1e6)
    records = parse_file(log_dir / "ccmsetup.log")
    keys = [r.key for r in recording.records if r.log == "ccmsetup"]
    assert len(records) == len(keys)
    assert all(shape(key).pattern().match(r.message) for r, key in zip(records, keys, strict=True))

    join_state = join_state_of(parse_dsregcmd(render_dsregcmd(world.device)))
    splitter = RunSplitter(join_state=join_state)
    visited: list[str] = []
    previous = None
    for record, key in zip(records, keys, strict=True):
        splitter.feed([record])
        tracker = splitter.current
        if not visited or visited[-1] != tracker.phase:
            visited.append(tracker.phase)
        percent = tracker.percent
        if percent is not None and previous is not None and key == "file-download-percent":
            assert percent >= previous or previous == 100, (key, previous, percent)  # within one file
        if key in FAILURE_KEYS:
            assert percent != 100, (key, record.message)
        previous = percent
    splitter.flush()
    runs = splitter.runs
    assert len(runs) == 1
    tracker = runs[0].tracker
    outcome = tracker.outcome

    # Phases: in order, exactly those the log shows (bootstrap first, done at the end).
    shown = {PHASE_OF_KEY[k] for k in keys if k in PHASE_OF_KEY}
    assert [ORDER.index(p) for p in visited] == sorted(ORDER.index(p) for p in visited)
    assert [p for p in visited if p not in ("bootstrap", "done")] == [p for p in ORDER if p in shown]
    assert visited[-1] == "done"

    # The outcome agrees with what the simulated ccmsetup decided.
    if verdict.state == "already-running":
        assert (outcome.state, outcome.return_code) == ("failed", 8)
    else:
        assert outcome.state == verdict.state, outcome.summary
        assert outcome.error_code == verdict.error_code
        if outcome.return_code is not None or verdict.state != "failed":
            assert outcome.return_code == verdict.return_code
    assert outcome.final
    if outcome.state == "failed" and verdict.error_code is not None:
        assert tracker.percent != 100

    # The explanation is the outcome's code's, or the specific line behind a generic code.
    exp = outcome.explanation
    assert exp is not None
    expected_code = outcome.error_code or str(outcome.return_code)
    if exp.code != expected_code:
        assert outcome.error_code and not exp.generic, (exp.code, expected_code)
        assert any((found := explain_message(r.message)) is not None and found.code == exp.code for r in records)
    if verdict.finding is not None and verdict.finding.id in CAUSE_WORDS:
        said = exp.cause + " " + exp.action
        assert CAUSE_WORDS[verdict.finding.id] in said, (verdict.finding.id, said)
        assert "distribute the client package" not in said.lower() and "transient" not in exp.title.lower()
