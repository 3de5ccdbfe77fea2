"""The wizard's single branching function, tested without Qt, and the wizard's nextId() over it."""

from __future__ import annotations

import pytest

from wizard.core.plan import InstallPlan
from wizard.ui.wizard import PageId, canonical_lock_name, next_page, reapply_locked

SCENARIOS = ("onprem-mp", "cmg", "internet-mp", "cmg-token")
FULL_PATH = [PageId.WELCOME, PageId.SCENARIO, PageId.ADDRESSES, PageId.ENTRA, PageId.OPTIONS, PageId.CHECKS,
             PageId.REVIEW, PageId.INSTALL, PageId.FINISH]


def walk(plan: InstallPlan, locked=()) -> list[PageId]:
    path = [PageId.WELCOME]
    while (following := next_page(path[-1], plan, locked)) is not None:
        path.append(following)
        assert len(path) < 20, "branching loops"
    return path


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_scenario_walks_every_page_once_in_order(scenario):
    assert walk(InstallPlan(scenario=scenario)) == FULL_PATH


def test_finish_is_the_last_page():
    assert next_page(PageId.FINISH, InstallPlan()) is None


@pytest.mark.parametrize("spelling", ["scenario", "SCENARIO", " Scenario "])
def test_profile_that_locks_the_scenario_skips_the_scenario_page(spelling):
    path = walk(InstallPlan(scenario="cmg"), locked=[spelling])
    assert PageId.SCENARIO not in path
    assert path[:2] == [PageId.WELCOME, PageId.ADDRESSES]


def test_locking_other_fields_does_not_change_the_path():
    assert walk(InstallPlan(scenario="cmg"), locked=["sitecode", "/mp"]) == FULL_PATH


@pytest.mark.parametrize(("given", "expected"), [
    ("sitecode", "SMSSITECODE"), ("SMSSITECODE", "SMSSITECODE"), ("smssitecode", "SMSSITECODE"),
    ("mp", "/MP"), ("/mp", "/MP"), ("/MP", "/MP"), ("ccmhostname", "CCMHOSTNAME"),
    ("/NoCRLCheck", "/NOCRLCHECK"), ("CCMLOGLEVEL", "CCMLOGLEVEL"), ("scenario", "SCENARIO"),
])
def test_lock_names_compare_in_one_spelling(given, expected):
    assert canonical_lock_name(given) == expected


def test_reapply_locked_keeps_locked_values_from_the_old_plan():
    old = InstallPlan(scenario="cmg", sitecode="P01", mp=("https://old",)).with_parameter("/NoCRLCheck")
    old = old.with_property("CCMLOGLEVEL", "0")
    new = InstallPlan(scenario="onprem-mp", sitecode="XYZ", mp=("https://new",)).with_property("CCMLOGLEVEL", "3")
    merged = reapply_locked(old, new, ["SMSSITECODE", "scenario", "/NoCRLCheck", "CCMLOGLEVEL"])
    assert merged.sitecode == "P01"
    assert merged.scenario == "cmg"
    assert merged.has_switch("/NoCRLCheck")
    assert merged.property("CCMLOGLEVEL") == "0"
    assert merged.mp == ("https://new",)  # not locked: the import wins


def test_reapply_locked_removes_what_the_old_plan_did_not_have():
    old = InstallPlan(scenario="cmg")
    new = InstallPlan(scenario="cmg", sitecode="XYZ").with_parameter("/forceinstall")
    merged = reapply_locked(old, new, ["sitecode", "/forceinstall"])
    assert merged.sitecode is None
    assert not merged.has_switch("/forceinstall")


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_wizard_next_id_follows_the_plan(qtbot, tmp_path, scenario):
    from wizard.host.credentials import MemoryStore
    from wizard.host.demo import DemoHost
    from wizard.ui.wizard import SetupWizard

    wizard = SetupWizard(DemoHost("entra-joined", base_dir=tmp_path, latency=0.0), credentials=MemoryStore(),
                         plan=InstallPlan(scenario=scenario))
    qtbot.addWidget(wizard)
    wizard.show()
    seen = [wizard.currentId()]
    for _ in range(4):
        wizard.next()
        seen.append(wizard.currentId())
    assert seen == [int(p) for p in FULL_PATH[:5]]
    assert wizard.plan.scenario == scenario
    # The Entra page turns into the token page for the token scenario.
    wizard.back()
    entra = wizard.currentPage()
    assert entra.stack.currentIndex() == (1 if scenario == "cmg-token" else 0)
