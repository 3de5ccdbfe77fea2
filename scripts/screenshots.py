"""Render every wizard page to PNG (offscreen) by driving the wizard in demo mode.

    python scripts/screenshots.py [--out docs/screenshots] [--width 960 --height 680]

Flows: a CMG install from a pasted command to success (every page, Install while running), the token page,
a CMG install that fails on an untrusted certificate (Finish with the explanation and the cause in the
simulated world), errors that stop Next, the install page following a setup that was already running,
the Review page in a dark palette, the device self-test, the Diagnose page on a simulated device folder
whose client.msi failed, and a lab (briefing on Welcome, debrief on Finish). Only the public page
classes and the SetupWizard are used.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

CMG_HOST = "cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975"


def wait_until(condition, timeout: float = 60.0, what: str = "condition") -> None:
    from PySide6.QtTest import QTest

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshots: timed out waiting for {what}")
        QTest.qWait(30)


def settle(ms: int = 150) -> None:
    from PySide6.QtTest import QTest

    QTest.qWait(ms)


class Shooter:
    def __init__(self, out: Path, size: tuple[int, int]):
        self.out = out
        self.size = size
        self.written: list[Path] = []
        out.mkdir(parents=True, exist_ok=True)

    def shoot(self, widget, name: str) -> None:
        settle()
        path = self.out / f"{name}.png"
        if not widget.grab().save(str(path)):
            raise SystemExit(f"screenshots: could not write {path}")
        self.written.append(path)

    def wizard(self, preset: str, *, size: tuple[int, int] | None = None, **host_options):
        from wizard.host.credentials import MemoryStore
        from wizard.host.demo import DemoHost
        from wizard.ui.wizard import SetupWizard

        host = DemoHost(preset, base_dir=Path(tempfile.mkdtemp(prefix="ccmsetup-wizard-shots-")), **host_options)
        wizard = SetupWizard(host, credentials=MemoryStore())
        # Deleted in the UI thread right after its flow: no wizard is left for the exit-time garbage collector.
        wizard.finished.connect(wizard.deleteLater)
        wizard.resize(*(size or self.size))
        wizard.show()
        wizard.activateWindow()
        return wizard


def press_next(wizard) -> None:
    from PySide6.QtWidgets import QWizard

    button = wizard.button(QWizard.WizardButton.CommitButton if wizard.currentPage().isCommitPage()
                           else QWizard.WizardButton.NextButton)
    before = wizard.currentId()
    wait_until(lambda: button.isEnabled() and button.isVisible(), what=f"Next on page {before}")
    button.click()
    wait_until(lambda: wizard.currentId() != before, what=f"leaving page {before}")


def success_flow(shots: Shooter) -> None:
    from PySide6.QtTest import QTest

    from wizard.core.parse import parse_command
    from wizard.core.profiles import Profile, RecentProfiles, save_profile
    from wizard.ui.dialogs import PasteCommandDialog
    from wizard.ui.wizard import PageId

    # A recent profile so the Welcome page shows the list as a returning technician sees it.
    profile_dir = Path(os.environ["XDG_CONFIG_HOME"]) / "profiles"
    profile_dir.mkdir(parents=True, exist_ok=True)
    profile_path = profile_dir / "contoso-cmg.json"
    save_profile(profile_path, Profile(name="Contoso CMG", lock_reason="Site standard"))
    RecentProfiles().add(profile_path)

    wizard = shots.wizard("entra-joined", speed=12.0)
    welcome = wizard.currentPage()
    welcome.refresh_recent()
    wait_until(lambda: welcome.client_info is not None or "No Configuration" in welcome.client_label.text(),
               what="the installed-client lookup")
    shots.shoot(wizard, "01-welcome")

    # The paste dialog with a command that needs fixing: findings appear as you paste.
    command = wizard.host.sample_command().replace("SMSSITECODE=P01", "SMSSITECODE=P0") + " /UsePKICert"
    dialog = PasteCommandDialog(wizard)
    dialog.set_text(command)
    dialog.show()
    shots.shoot(dialog, "02-paste-command")
    dialog.close()
    welcome.apply_import(parse_command(command))
    shots.shoot(wizard, "03-welcome-imported")

    press_next(wizard)
    shots.shoot(wizard, "04-scenario")

    press_next(wizard)
    addresses = wizard.currentPage()
    addresses.fields["sitecode"].edit.clear()
    QTest.keyClicks(addresses.fields["sitecode"].edit, "P01")
    addresses.test_buttons["mp"].click()
    wait_until(lambda: bool(addresses.last_test_results), what="the /mp test")
    shots.shoot(wizard, "05-addresses")

    press_next(wizard)
    entra = wizard.currentPage()
    wait_until(lambda: entra.device_status is not None, what="dsregcmd")
    shots.shoot(wizard, "06-entra")

    press_next(wizard)
    options = wizard.currentPage()
    row = options.row_of("/UsePKICert")
    if row >= 0:  # the imported /UsePKICert breaks Entra auth: switch it off here
        from PySide6.QtCore import Qt

        options.table.item(row, 1).setCheckState(Qt.CheckState.Unchecked)
        options.table.selectRow(row)
        options.table.scrollToItem(options.table.item(row, 0))
    shots.shoot(wizard, "07-options")

    press_next(wizard)
    checks = wizard.currentPage()
    wait_until(lambda: checks.isComplete() or not getattr(checks, "running", False), what="the checks")
    settle(300)
    shots.shoot(wizard, "08-checks")

    press_next(wizard)
    assert wizard.currentId() == int(PageId.REVIEW)
    shots.shoot(wizard, "09-review")

    press_next(wizard)
    wait_until(lambda: wizard.session is not None and wizard.session.tracker.phase in ("download", "prereqs", "msi"),
               what="the install to reach the download")
    settle(400)
    shots.shoot(wizard, "10-install-running")
    press_next(wizard)
    settle(400)
    shots.shoot(wizard, "11-finish-success")
    wizard.close()


def token_flow(shots: Shooter) -> None:
    import base64
    import json

    from PySide6.QtTest import QTest

    from wizard.core.plan import InstallPlan

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    token = f"{part({'alg': 'RS256'})}.{part({'Type': 'BulkRegistration', 'exp': int(time.time()) + 3 * 86400})}.c2ln"
    wizard = shots.wizard("not-joined")
    wizard.set_plan(InstallPlan(scenario="cmg-token", ccmhostname=CMG_HOST, sitecode="P01"))
    for _ in range(3):
        press_next(wizard)
    entra = wizard.currentPage()
    QTest.keyClicks(entra.token.edit, token)
    shots.shoot(wizard, "12-token")
    wizard.close()


def override_checks(wizard) -> None:
    """On the Checks page: wait for the results and take the recorded expert override."""
    page = wizard.currentPage()
    wait_until(lambda: not page.running and bool(page.results()), what="the checks")
    if page.failed_ids():
        page.override_box.setChecked(True)


def failure_flow(shots: Shooter) -> None:
    from wizard.core.plan import InstallPlan
    from wizard.core.world import NamedWorld
    from wizard.core.world.labs import load_lab

    # The device does not trust the CMG's root (the untrusted-root lab's world, without the lab around it).
    world = NamedWorld("untrusted-root", load_lab("untrusted-root").world)
    wizard = shots.wizard("entra-joined", world=world, speed=200.0, size=(shots.size[0], shots.size[1] + 140))
    wizard.set_plan(InstallPlan(scenario="cmg", mp=("https://" + CMG_HOST,), ccmhostname=CMG_HOST, sitecode="P01"))
    for _ in range(5):
        press_next(wizard)
    override_checks(wizard)
    press_next(wizard)  # Review
    press_next(wizard)  # Install
    press_next(wizard)  # Finish
    settle(400)
    shots.shoot(wizard, "13-finish-failure")
    wizard.close()


def mismatch_and_locks(shots: Shooter) -> None:
    """The Entra page on a device joined to another tenant, and Options under a profile that locks values."""
    from PySide6.QtTest import QTest

    from wizard.core.plan import InstallPlan
    from wizard.core.profiles import Profile, save_profile

    wizard = shots.wizard("tenant-mismatch")
    wizard.set_plan(InstallPlan(scenario="cmg", mp=("https://" + CMG_HOST,), ccmhostname=CMG_HOST, sitecode="P01"))
    for _ in range(3):
        press_next(wizard)
    entra = wizard.currentPage()
    wait_until(lambda: entra.device_status is not None, what="dsregcmd")
    QTest.keyClicks(entra.entra_fields["aadtenantid"].edit, "aaaabbbb-0000-cccc-1111-dddd2222eeee")
    shots.shoot(wizard, "15-entra-tenant-mismatch")
    wizard.close()

    plan = InstallPlan(scenario="cmg", mp=("https://" + CMG_HOST,), ccmhostname=CMG_HOST, sitecode="P01")
    plan = plan.with_parameter("/NoCRLCheck").with_property("CCMLOGLEVEL", "0").with_property("SMSCACHESIZE", "10240")
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "profiles" / "locked.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    save_profile(path, Profile(name="Contoso standard", plan=plan,
                               locked=("sitecode", "/NoCRLCheck", "CCMLOGLEVEL", "SMSCACHESIZE"),
                               lock_reason="Contoso standard build: ask the ConfigMgr team to change it."))
    wizard = shots.wizard("entra-joined")
    wizard.load_profile_file(path)
    for _ in range(4):
        press_next(wizard)
    options = wizard.currentPage()
    options.filter.setText("CCMLOG")
    shots.shoot(wizard, "16-options-locked")
    wizard.close()


def errors_and_running_setup(shots: Shooter) -> None:
    """A page whose errors stop Next (with the expert's way on), and the install page following a setup that
    was already running."""
    from PySide6.QtTest import QTest

    from wizard.core.parse import parse_command
    from wizard.core.plan import InstallPlan
    from wizard.host.ccmsetup_exe import choose_ccmsetup
    from wizard.host.session import InstallSession
    from wizard.ui.wizard import PageId

    wizard = shots.wizard("entra-joined")
    wizard.set_plan(InstallPlan(scenario="cmg"))
    wizard.setStartId(int(PageId.ADDRESSES))
    wizard.restart()
    addresses = wizard.currentPage()
    QTest.keyClicks(addresses.fields["ccmhostname"].edit, CMG_HOST)
    QTest.keyClicks(addresses.fields["sitecode"].edit, "P0")
    shots.shoot(wizard, "17-addresses-errors")
    wizard.close()

    wizard = shots.wizard("entra-joined", speed=8.0)
    plan = parse_command(wizard.host.sample_command()).plan
    wizard.set_plan(plan)
    wizard.setStartId(int(PageId.REVIEW))
    wizard.restart()
    exe = choose_ccmsetup(wizard.host, plan, user_path=None, profile_path=None).path
    InstallSession(wizard.host, plan, exe).start()  # e.g. a retry task's ccmsetup, running before ours
    press_next(wizard)
    install = wizard.currentPage()
    wait_until(lambda: install.follow_button.isVisible(), what="the already-running refusal")
    install.follow_button.click()
    wait_until(lambda: install.log_view.model.rowCount() > 25, what="the running setup's log")
    settle(300)
    shots.shoot(wizard, "18-install-follow-running")
    wizard.close()
    wizard.host.stop_children()


def dark_review(shots: Shooter) -> None:
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QApplication

    from wizard.core.plan import InstallPlan
    from wizard.ui.wizard import PageId

    app = QApplication.instance()
    light = app.palette()
    dark = QPalette()
    for role, colour in ((QPalette.ColorRole.Window, "#2b2b2b"), (QPalette.ColorRole.WindowText, "#e6e6e6"),
                         (QPalette.ColorRole.Base, "#1e1e1e"), (QPalette.ColorRole.AlternateBase, "#303030"),
                         (QPalette.ColorRole.Text, "#e6e6e6"), (QPalette.ColorRole.Button, "#3a3a3a"),
                         (QPalette.ColorRole.ButtonText, "#e6e6e6"), (QPalette.ColorRole.Highlight, "#2f65ca"),
                         (QPalette.ColorRole.HighlightedText, "#ffffff"), (QPalette.ColorRole.Link, "#6cb4ff"),
                         (QPalette.ColorRole.PlaceholderText, "#8a8a8a")):
        dark.setColor(role, QColor(colour))
    app.setPalette(dark)
    try:
        wizard = shots.wizard("entra-joined")
        wizard.set_plan(InstallPlan(scenario="cmg", mp=("https://" + CMG_HOST,), ccmhostname=CMG_HOST,
                                    sitecode="P01").with_parameter("/NoCRLCheck"))
        wizard.setStartId(int(PageId.REVIEW))
        wizard.restart()
        shots.shoot(wizard, "14-review-dark")
        wizard.close()
    finally:
        app.setPalette(light)


def device_selftest(shots: Shooter) -> None:
    """Help > Device self-test on the demo device (issue 10)."""
    wizard = shots.wizard("hybrid-joined")
    dialog = wizard.open_selftest()
    wait_until(lambda: dialog.report is not None, what="the device self-test")
    dialog.table.clearSelection()
    dialog.table.setCurrentCell(-1, -1)
    shots.shoot(dialog, "19-device-selftest")
    dialog.close()


def diagnose_flow(shots: Shooter) -> None:
    """Diagnose logs: a device folder (ccmsetup and CCM logs) from a simulated install whose client.msi failed,
    opened from the Welcome page; the findings, then the merged timeline at the root cause's evidence."""
    from wizard.core.simulator import simulate
    from wizard.ui.wizard import PageId

    device = Path(tempfile.mkdtemp(prefix="ccmsetup-wizard-shots-device-"))
    simulate(device / "Windows" / "ccmsetup" / "Logs", ["/mp:https://" + CMG_HOST, f"CCMHOSTNAME={CMG_HOST}",
                                                          "SMSSITECODE=P01"],
             outcome="msi-1603", speed=25, detach=False, ccm_log_dir=device / "Windows" / "CCM" / "Logs")
    wizard = shots.wizard("entra-joined")
    wizard.page(int(PageId.WELCOME)).diagnose_button.click()
    page = wizard.currentPage()
    page.open_path(str(device / "Windows"))
    wait_until(lambda: page.diagnosis is not None and not page.feeding, what="the diagnosis")
    shots.shoot(wizard, "20-diagnose")
    root = page.diagnosis.root_cause
    page.timeline.severity_combo.setCurrentIndex(1)  # warnings and errors
    page.show_entry(page.diagnosis.position(root.evidence[-1]))
    shots.shoot(wizard, "21-diagnose-timeline")
    wizard.close()


def lab_flow(shots: Shooter) -> None:
    """A lab: the briefing on Welcome with a hint shown, then the debrief at the end of the Finish page."""
    from wizard.core.parse import parse_command
    from wizard.core.world.labs import load_lab
    from wizard.ui.wizard import PageId

    lab = load_lab("low-disk")
    wizard = shots.wizard("entra-joined", world=lab.named_world(), lab=lab, speed=200.0)
    wizard.apply_parsed_command(parse_command(lab.start_command))
    welcome = wizard.currentPage()
    wizard.currentPage().initializePage()
    welcome.show_next_hint()
    shots.shoot(wizard, "22-lab-briefing")
    wizard.resize(shots.size[0], shots.size[1] + 260)
    wizard.setStartId(int(PageId.CHECKS))
    wizard.restart()
    override_checks(wizard)
    press_next(wizard)  # Review
    press_next(wizard)  # Install
    press_next(wizard)  # Finish
    finish = wizard.currentPage()
    wait_until(lambda: finish.debrief_box.isVisible(), what="the debrief")
    settle(400)
    shots.shoot(wizard, "23-lab-debrief")
    wizard.close()


def main(argv: list[str] | None = None) -> int:
    import faulthandler

    faulthandler.enable()  # a crash inside Qt prints where it happened
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "docs" / "screenshots"))
    parser.add_argument("--width", type=int, default=960)
    parser.add_argument("--height", type=int, default=680)
    args = parser.parse_args(argv)
    # A throw-away config folder: the user's own recent profiles never appear in the pictures.
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="ccmsetup-wizard-shots-config-")

    from wizard.ui.app import application

    app = application()
    from wizard.ui.dialogs import PasteCommandDialog  # noqa: F401 - fail early if the UI is incomplete

    shots = Shooter(Path(args.out), (args.width, args.height))
    success_flow(shots)
    token_flow(shots)
    failure_flow(shots)
    mismatch_and_locks(shots)
    errors_and_running_setup(shots)
    dark_review(shots)
    device_selftest(shots)
    diagnose_flow(shots)
    lab_flow(shots)
    from PySide6.QtCore import QCoreApplication, QEvent

    from wizard.ui.widgets import wait_for_background_calls

    wait_for_background_calls()
    for widget in app.topLevelWidgets():
        widget.close()
        widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, int(QEvent.Type.DeferredDelete))
    app.processEvents()
    for path in shots.written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
