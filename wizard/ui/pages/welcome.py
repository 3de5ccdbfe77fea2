"""Welcome: what the tool does, live or DEMO, start from a profile or a pasted command, and any client
already on the device."""

from __future__ import annotations

import contextlib
from pathlib import Path

from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
)

from wizard.ui.icons import pixmap
from wizard.ui.lazy_qt import Qt, set_enum_property
from wizard.ui.pages import PlanPage
from wizard.ui.widgets import FindingsView, run_in_background, wrapped_label

PROFILE_FILTER = "Wizard profiles (*.json);;All files (*)"


class WelcomePage(PlanPage):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setTitle(self.tr("Install the Configuration Manager client"))
        self.setSubTitle(self.tr("Build, check and run a ccmsetup install for this device, step by step."))

        self.purpose = wrapped_label(self.tr(
            "This wizard builds the ccmsetup.exe command for your scenario (on-premises, cloud management "
            "gateway, internet MP or token), checks the device and the addresses before anything runs, then "
            "starts setup and follows its log until the client is installed. Nothing changes on this device "
            "until you press Install on the Review page."))
        self.purpose.setAccessibleName(self.tr("What this wizard does"))

        self.mode_icon = QLabel()
        self.mode_label = wrapped_label()
        self.mode_label.setAccessibleName(self.tr("Mode"))
        mode_row = QHBoxLayout()
        set_enum_property(self.mode_icon, "alignment", "AlignTop|AlignLeft")  # the icon by the first line
        mode_row.addWidget(self.mode_icon, 0)
        mode_row.addWidget(self.mode_label, 1)

        start_box = QGroupBox(self.tr("Start from"))
        self.load_button = QPushButton(self.tr("&Load profile…"))
        self.load_button.setAccessibleName(self.tr("Load a saved profile"))
        self.paste_button = QPushButton(self.tr("&Paste a command…"))
        self.paste_button.setAccessibleName(self.tr("Paste an existing ccmsetup command"))
        # Enter means Next (SetupWizard does this for every page, for this one only after the first paint).
        self.load_button.setAutoDefault(False)
        self.paste_button.setAutoDefault(False)
        self.load_button.clicked.connect(self.load_profile)
        self.paste_button.clicked.connect(self.paste_command)
        buttons = QHBoxLayout()
        buttons.addWidget(self.load_button)
        buttons.addWidget(self.paste_button)
        buttons.addStretch(1)
        # Outside the install flow: read a device's logs or an evidence zip (files can also be dropped here).
        self.diagnose_button = QPushButton(self.tr("&Diagnose logs…"))
        self.diagnose_button.setAccessibleName(self.tr("Diagnose a device's logs, a folder or an evidence zip"))
        self.diagnose_button.setToolTip(self.tr("Open ccmsetup and client logs (or drop them on this window): every "
                                                "run, the root cause and the fix"))
        self.diagnose_button.setAutoDefault(False)
        self.diagnose_button.clicked.connect(lambda: self.wiz().open_diagnose())
        buttons.addWidget(self.diagnose_button)
        self.recent_label = QLabel(self.tr("&Recent profiles (Enter opens):"))
        self.recent_list = QListWidget()
        self.recent_list.setAccessibleName(self.tr("Recent profiles"))
        self.recent_label.setBuddy(self.recent_list)
        self.recent_list.itemActivated.connect(self._open_recent)
        # Shown by refresh_recent() when there is something to list (after the first paint: reading the
        # list needs the profile models).
        self.recent_label.setVisible(False)
        self.recent_list.setVisible(False)
        self.source_label = wrapped_label()
        self.source_label.setAccessibleName(self.tr("What the wizard starts from"))
        self._import_findings: FindingsView | None = None  # see import_findings
        start_layout = QVBoxLayout(start_box)
        start_layout.addLayout(buttons)
        start_layout.addWidget(self.recent_label)
        start_layout.addWidget(self.recent_list)
        start_layout.addWidget(self.source_label)
        self._start_layout = start_layout

        client_box = QGroupBox(self.tr("Client on this device"))
        self.client_label = wrapped_label(self.tr("Looking for an installed client…"), selectable=True)
        self.client_label.setAccessibleName(self.tr("Installed client"))
        client_layout = QVBoxLayout(client_box)
        client_layout.addWidget(self.client_label)

        needs_box = QGroupBox(self.tr("Have these ready"))
        self.needs_box = needs_box
        self.needs = wrapped_label(self.tr(
            "• The site code and the address of a management point, or the CMG address "
            "(host/CCM_Proxy_MutualAuth/…, as a working client reports it).\n"
            "• For Entra ID with a CMG: nothing more — the tenant, client app and resource URI are optional.\n"
            "• For a device that is not Entra joined: the bulk registration token an administrator created.\n"
            "• ccmsetup.exe from the site server's Client folder (the wizard looks beside itself and the profile)."))
        self.needs.setAccessibleName(self.tr("What you need"))
        needs_layout = QVBoxLayout(needs_box)
        needs_layout.addWidget(self.needs)

        # A lab exercise (--lab): the trainer's briefing and hints, shown instead of "Have these ready".
        self.lab_box = QGroupBox(self.tr("Lab exercise"))
        self.lab_briefing = wrapped_label(selectable=True)
        self.lab_briefing.setAccessibleName(self.tr("Lab briefing"))
        self.hint_button = QPushButton(self.tr("&Show a hint"))  # Alt+H is the Help button
        self.hint_button.setAccessibleName(self.tr("Show the next hint for this lab"))
        self.hint_button.setAutoDefault(False)
        self.hint_button.clicked.connect(self.show_next_hint)
        self.hints_label = wrapped_label(selectable=True)
        self.hints_label.setAccessibleName(self.tr("Hints shown"))
        self.hints_label.setVisible(False)
        lab_layout = QVBoxLayout(self.lab_box)
        lab_layout.addWidget(self.lab_briefing)
        hint_row = QHBoxLayout()
        hint_row.addWidget(self.hint_button)
        hint_row.addStretch(1)
        lab_layout.addLayout(hint_row)
        lab_layout.addWidget(self.hints_label)
        self.lab_box.setVisible(False)

        layout = QVBoxLayout(self)
        self._layout = layout
        self._start_box = start_box
        layout.addWidget(self.purpose)
        layout.addLayout(mode_row)
        layout.addWidget(self.lab_box)
        layout.addWidget(start_box)
        layout.addWidget(needs_box)
        layout.addWidget(client_box)
        layout.addStretch(1)
        self.client_info = None
        self._client_lookup_started = False
        self._waiting_for_wizard = False

    @property
    def import_findings(self) -> FindingsView:
        """The findings of an imported command, under the source line. Built on first use: it is hidden
        until a command is pasted, and its first QTextBrowser costs the first window ~8 ms."""
        if self._import_findings is None:
            view = FindingsView()
            view.setAccessibleName(self.tr("Findings in the imported command"))
            view.setVisible(False)
            view.setMinimumHeight(150)
            self._start_layout.addWidget(view)
            self._import_findings = view
        return self._import_findings

    # ---- page life cycle -------------------------------------------------------------------------

    def first_focus(self):
        # Named rather than found: walking the focus chain on the first window costs start-up time.
        return self.load_button

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        # The app paints this page before the other pages exist (SetupWizard defer_pages): no Next until then.
        wiz = self.wizard()
        return super().isComplete() and bool(getattr(wiz, "is_ready", True))

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        wiz = self.wiz()
        self._show_mode(wiz.host)
        if self._import_findings is not None and not self._import_findings.isHidden():
            # Start over: those findings were about the command as pasted then; the pages show the plan as it
            # is now.
            self._import_findings.clear()
            self._import_findings.setVisible(False)
            self.needs_box.setVisible(True)
            self._give_findings_the_room(False)
        self.refresh_source()
        if getattr(wiz, "is_ready", True):
            # Read the device again every time (Start over after an install must not say "no client").
            self._client_lookup_started = False
            self._read_device()
        elif not self._waiting_for_wizard:
            # Until then `host` may be a stand-in that only knows demo/preset, and the recent list needs the
            # profile models, which are loaded after the first paint.
            self._waiting_for_wizard = True
            wiz.ready.connect(self._wizard_ready)

    def _wizard_ready(self) -> None:
        self._waiting_for_wizard = False
        self.wiz().ready.disconnect(self._wizard_ready)
        self.completeChanged.emit()
        if self.wiz().currentPage() is self:
            self._show_mode(self.wiz().host)
            self.refresh_source()  # a profile given on the command line is loaded by now
            self._read_device()

    def _read_device(self) -> None:
        host = self.wiz().host
        if not getattr(host, "is_demo", False):
            # describe() reads the OS version from the registry: off the UI thread like every device read.
            run_in_background(host.describe, self._show_live_device, None, self)
        self.refresh_recent()
        if not self._client_lookup_started:
            self._client_lookup_started = True
            self.client_label.setText(self.tr("Looking for an installed client…"))
            run_in_background(host.client_info, self._show_client, self._show_client_error, self)

    def _show_mode(self, host) -> None:
        self._show_lab(getattr(host, "lab", None))
        if getattr(host, "lab", None) is not None:
            self.mode_icon.setPixmap(pixmap("warn", 20, self.devicePixelRatioF()))
            self.mode_label.setText(self.tr(
                "LAB mode: the device and its site are simulated, with faults planted by the trainer. Nothing is "
                "installed. Work as on a real device; the Finish page ends with a debrief."))
        elif getattr(host, "is_demo", False):
            self.mode_icon.setPixmap(pixmap("warn", 20, self.devicePixelRatioF()))
            self.mode_label.setText(self.tr(
                "DEMO mode, preset “%s”: the device is simulated and nothing is installed. Everything else "
                "works as on a real device, including a live setup log.") % (host.preset or "default"))
        else:
            self.mode_icon.setPixmap(pixmap("info", 20, self.devicePixelRatioF()))
            self.mode_label.setText(self.tr("Live mode: this wizard installs on this device."))

    def refresh_recent(self) -> None:
        from wizard.core.profiles import RecentProfiles

        self.recent_list.clear()
        try:
            paths = RecentProfiles().items()
        except OSError:
            paths = []
        for path in paths:
            item = QListWidgetItem(Path(path).name)
            item.setToolTip(str(path))
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            self.recent_list.addItem(item)
        has_recent = self.recent_list.count() > 0
        rows = min(max(self.recent_list.count(), 1), 4)
        row_height = max(self.recent_list.sizeHintForRow(0), self.recent_list.fontMetrics().height() + 6)
        self.recent_list.setFixedHeight(rows * row_height + 2 * self.recent_list.frameWidth() + 6
                                        if has_recent else 0)
        self.recent_list.setVisible(has_recent)
        self.recent_label.setVisible(has_recent)

    def refresh_source(self) -> None:
        wiz = self.wiz()
        if wiz.profile_path is not None:
            text = self.tr("Profile “%1” loaded from %2.").replace("%1", wiz.profile_name or wiz.profile_path.stem) \
                .replace("%2", str(wiz.profile_path))
            if wiz.locked:
                text += " " + self.tr("Locked fields: %1.").replace("%1", ", ".join(sorted(wiz.locked)))
                if wiz.lock_reason:
                    text += " " + self.tr("Reason: %1").replace("%1", wiz.lock_reason)
            self.source_label.setText(text)
        elif getattr(wiz, "started_over", False):
            self.source_label.setText(self.tr("Starting over with the plan of the last run (scenario “%1”): press "
                                              "Next to go through it again.").replace("%1", wiz.plan.scenario))
        elif getattr(getattr(wiz.host, "lab", None), "start_command", None):
            self.source_label.setText(self.tr("The lab's starting command is loaded: the next pages show every "
                                              "value. Check it, install, and find out what goes wrong."))
        elif self._import_findings is None or not self._import_findings.isVisible():
            self.source_label.setText(self.tr("Or just press Next and fill in the pages."))

    # ---- actions ---------------------------------------------------------------------------------

    def load_profile(self) -> None:
        from wizard.core.profiles import default_profile_dir
        from wizard.ui import dialogs

        path = dialogs.choose_open_file(self, self.tr("Load profile"), PROFILE_FILTER, str(default_profile_dir()))
        if path:
            self._load(path)

    def _open_recent(self, item: QListWidgetItem) -> None:
        path = item.data(Qt.ItemDataRole.UserRole)
        if not Path(path).is_file():
            # Moved or deleted since last time: say so and drop it from the list rather than fail on it.
            from wizard.core.profiles import RecentProfiles
            from wizard.ui import dialogs

            dialogs.show_error(self, self.tr("Profile not found"),
                               self.tr("%s no longer exists; it was removed from the recent list. Use Load "
                                       "profile… to pick it from its new place.") % path)
            with contextlib.suppress(OSError):
                RecentProfiles().remove(path)
            self.refresh_recent()
            return
        self._load(path)

    def _load(self, path: str) -> None:
        if self.wiz().load_profile_file(path):
            if self._import_findings is not None:
                self._import_findings.setVisible(False)
            self.needs_box.setVisible(True)
            self._give_findings_the_room(False)
            self.refresh_recent()
            self.refresh_source()

    def paste_command(self) -> None:
        from wizard.ui import dialogs

        parsed = dialogs.paste_command(self)
        if parsed is None:
            return
        self.apply_import(parsed)

    def apply_import(self, parsed) -> None:
        """Put a parsed command into the plan and list what the parser and rules found in it."""
        from wizard.core.findings import sort_findings
        from wizard.core.rules import lint

        wiz = self.wiz()
        wiz.apply_parsed_command(parsed)
        findings = sort_findings(list(parsed.findings) + [f for f in lint(wiz.plan) if f not in parsed.findings])
        self.import_findings.set_findings(findings)
        self.import_findings.setVisible(True)
        self._give_findings_the_room(True)
        # The command is in hand: the findings need the room more than the checklist does.
        self.needs_box.setVisible(False)
        kinds = {"windows": self.tr("ccmsetup.exe"), "intune-msi": self.tr("Intune ccmsetup.msi"),
                 "cmd": self.tr("batch file"), "powershell": self.tr("PowerShell"), "json": self.tr("JSON")}
        self.source_label.setText(
            self.tr("Imported a %1 command as scenario “%2”. Review the findings below; the next pages show "
                    "every value.").replace("%1", kinds.get(parsed.source_format, parsed.source_format))
            .replace("%2", wiz.plan.scenario))

    def _give_findings_the_room(self, findings_shown: bool) -> None:
        # The trailing spacer keeps the page top-aligned; while import findings are listed they get the height.
        self._layout.setStretchFactor(self._start_box, 1 if findings_shown else 0)
        self._layout.setStretch(self._layout.count() - 1, 0 if findings_shown else 1)

    # ---- lab exercise ----------------------------------------------------------------------------

    def _show_lab(self, lab) -> None:
        self.lab_box.setVisible(lab is not None)
        if lab is None:
            return
        self.lab_box.setTitle(self.tr("Lab exercise: %s") % lab.title)
        self.lab_briefing.setText(lab.briefing)
        self.needs_box.setVisible(False)  # the briefing says what the trainee has
        self._refresh_hints()

    def hints_used(self) -> int:
        return int(getattr(self.wiz().host, "lab_hints_used", 0))

    def show_next_hint(self) -> None:
        """Reveal the next hint; the count is kept on the host for the debrief."""
        host = self.wiz().host
        lab = getattr(host, "lab", None)
        if lab is None:
            return
        host.lab_hints_used = min(self.hints_used() + 1, len(lab.hints))
        self._refresh_hints()

    def _refresh_hints(self) -> None:
        lab = getattr(self.wiz().host, "lab", None)
        hints = list(lab.hints) if lab is not None else []
        shown = hints[: self.hints_used()]
        self.hints_label.setText("\n".join(self.tr("Hint %1: %2").replace("%1", str(i)).replace("%2", hint)
                                           for i, hint in enumerate(shown, 1)))
        self.hints_label.setVisible(bool(shown))
        left = len(hints) - len(shown)
        self.hint_button.setEnabled(left > 0)
        self.hint_button.setText(self.tr("&Show a hint (%1 left)").replace("%1", str(left)) if hints
                                 else self.tr("No hints for this lab"))

    def _show_live_device(self, description: str) -> None:
        self.mode_label.setText(self.tr("Live mode: this wizard installs on this device (%s).") % description)

    # ---- existing client -------------------------------------------------------------------------

    def _show_client(self, info) -> None:
        self.client_info = info
        if info is None:
            self.client_label.setText(self.tr("No Configuration Manager client is installed on this device."))
            return
        parts = [self.tr("Client %1 is installed (site %2); CcmExec is %3.")
                 .replace("%1", info.version or self.tr("of unknown version"))
                 .replace("%2", info.site_code or "?")
                 .replace("%3", info.ccmexec.status)]
        if info.last_valid_mp:
            parts.append(self.tr("Last management point: %1.").replace("%1", info.last_valid_mp))
        if info.last_install_params:
            parts.append(self.tr("It was installed with: %1").replace("%1", info.last_install_params))
        parts.append(self.tr("A reinstall keeps its registry settings unless you add /forceinstall (Options page)."))
        self.client_label.setText(" ".join(parts))

    def _show_client_error(self, exc: BaseException) -> None:
        self.client_label.setText(self.tr("Could not read the installed client: %s") % exc)
