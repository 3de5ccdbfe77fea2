"""Following a ccmsetup run the tool did not start (host.follow.RunningSetupFollower)."""

from __future__ import annotations

from pathlib import Path

from wizard.core.simulator import ccm_line
from wizard.host.follow import RunningSetupFollower


class FakeHost:
    def __init__(self, folder: Path):
        self.folder = folder
        self.running = True

    def log_dir(self) -> Path:
        return self.folder

    def setup_running(self) -> bool:
        return self.running


def write(path: Path, *messages: str) -> None:
    with open(path, "a", encoding="utf-8", newline="") as log:
        for message in messages:
            log.write(ccm_line(message, thread=1))


# A run that ended for certain: in service mode a launcher's "exiting with return code 0" is not a result (its
# service may still come), so the finished run is a /noservice one, whose exit line is final.
FINISHED_RUN = ("==========[ ccmsetup started in process 100 ]==========", "Running as user 'SYSTEM'",
                "Ccmsetup command line: ccmsetup.exe /noservice /mp:mp1.contoso.com",
                "CcmSetup is exiting with return code 0")


def test_only_the_current_run_is_shown_and_it_ends_with_its_result(tmp_path):
    host = FakeHost(tmp_path)
    log = tmp_path / "ccmsetup.log"
    write(log, *FINISHED_RUN, "==========[ ccmsetup started in process 200 ]==========", "Running as user 'SYSTEM'")
    follower = RunningSetupFollower(host, poll_interval=0.01)
    records = follower.poll()
    assert [r.message for r in records][0] == "==========[ ccmsetup started in process 200 ]=========="
    assert not follower.finished and follower.snapshot().setup_running
    write(log, "CcmSetup failed with error code 0x80190194")
    records = follower.poll()
    assert [r.message for r in records] == ["CcmSetup failed with error code 0x80190194"]
    assert not follower.finished  # ccmsetup is still there (see the test below)
    host.running = False
    follower.poll()
    follower.poll()
    assert follower.finished and follower.outcome.state == "failed"
    assert follower.outcome.error_code == "0x80190194"


def test_a_log_whose_last_run_ended_waits_for_the_running_setups_own_lines(tmp_path):
    host = FakeHost(tmp_path)
    log = tmp_path / "ccmsetup.log"
    write(log, *FINISHED_RUN)
    follower = RunningSetupFollower(host, poll_interval=0.01)
    assert follower.poll() == [] and not follower.finished  # the old run's success is not this setup's
    write(log, "==========[ ccmsetup started in process 300 ]==========")
    assert len(follower.poll()) == 1 and not follower.finished
    host.running = False  # gone without a result line
    follower.poll()
    follower.poll()
    assert follower.finished and follower.outcome.state == "unknown"


def test_no_log_yet_keeps_following_while_setup_runs(tmp_path):
    host = FakeHost(tmp_path)
    follower = RunningSetupFollower(host, poll_interval=0.01)
    for _ in range(3):
        assert follower.poll() == []
    assert not follower.finished


SERVICE_RUN = ("==========[ ccmsetup started in process 400 ]==========",
               'Ccmsetup command line: "C:\\WINDOWS\\ccmsetup\\ccmsetup.exe" /runservice /mp:mp1.contoso.com',
               "Starting BITS download for client deployment files.")


def test_a_logged_result_is_not_final_while_ccmsetup_is_still_there(tmp_path):
    """Facts 4.2: a result line is final only once the ccmsetup processes and service are gone (after a failed
    download the service stays and retries every /retry minutes; after a success it still removes itself)."""
    host = FakeHost(tmp_path)
    log = tmp_path / "ccmsetup.log"
    write(log, *SERVICE_RUN)
    follower = RunningSetupFollower(host, poll_interval=0.01)
    follower.poll()
    write(log, "CcmSetup failed with error code 0x80190194")
    for _ in range(3):
        follower.poll()
    assert not follower.finished  # the service is still there: it may retry
    outcome = follower.outcome
    assert outcome.state == "failed" and not outcome.final
    assert not follower.snapshot().outcome.final and not follower.snapshot().finished
    host.running = False
    follower.poll()
    follower.poll()
    assert follower.finished
    outcome = follower.outcome
    assert (outcome.state, outcome.error_code, outcome.final) == ("failed", "0x80190194", True)
