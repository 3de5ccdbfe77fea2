"""The QWizard: owns the one `InstallPlan` every page reads and writes, and the single branching function.

Pages read the plan in `initializePage()` and write it in `validatePage()`; `cleanupPage()` never wipes
what was typed, so Back keeps everything. Branching is `next_page(current, plan, locked)`, a pure function
that tests exercise without Qt.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterable
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QApplication, QPushButton, QWizard, QWizardPage

from wizard.ui.icons import icon
from wizard.ui.lazy_qt import Qt
from wizard.ui.widgets import DemoBanner

if TYPE_CHECKING:
    from wizard.core.plan import InstallPlan

# wizard.core.plan (pydantic and its model schemas) and the dialogs are imported where they are used, not
# here: the first window is painted before they are needed (start-up budget, issue 5).

PRODUCT = "ccmsetup-wizard"


class PageId(IntEnum):
    WELCOME = 0
    SCENARIO = 1
    ADDRESSES = 2
    ENTRA = 3
    OPTIONS = 4
    CHECKS = 5
    REVIEW = 6
    INSTALL = 7
    FINISH = 8


class SidePage(IntEnum):
    """Pages outside the install flow (PageId lists the flow, in order)."""

    DIAGNOSE = 20  # reached from Welcome ("Diagnose logs…") or by dropping logs on the window


# Page id -> (module, class). Checks/Install/Finish are built by the other GUI engineer; they are imported
# lazily and skipped by nextId() if a build does not have them.
PAGE_CLASSES: dict[PageId | SidePage, tuple[str, str]] = {
    PageId.WELCOME: ("wizard.ui.pages.welcome", "WelcomePage"),
    PageId.SCENARIO: ("wizard.ui.pages.scenario", "ScenarioPage"),
    PageId.ADDRESSES: ("wizard.ui.pages.addresses", "AddressesPage"),
    PageId.ENTRA: ("wizard.ui.pages.entra", "EntraPage"),
    PageId.OPTIONS: ("wizard.ui.pages.options", "OptionsPage"),
    PageId.CHECKS: ("wizard.ui.pages.checks", "ChecksPage"),
    PageId.REVIEW: ("wizard.ui.pages.review", "ReviewPage"),
    PageId.INSTALL: ("wizard.ui.pages.install", "InstallPage"),
    PageId.FINISH: ("wizard.ui.pages.finish", "FinishPage"),
    SidePage.DIAGNOSE: ("wizard.ui.pages.diagnose", "DiagnosePage"),
}


def next_page(current: PageId, plan: InstallPlan | None, locked: Iterable[str] = ()) -> PageId | None:
    """The page after `current` for this plan (None after Finish).

    Every scenario walks Welcome → Scenario → Site and addresses → Entra/token → Options → Checks → Review
    → Install → Finish; the Entra page shows the token form for `cmg-token`. A profile that locks the
    scenario skips the Scenario page: the admin already chose it. (`plan` may be None while the wizard is
    still loading; no branch reads it today.)
    """
    locked_keys = {canonical_lock_name(name) for name in locked}
    if current == PageId.WELCOME:
        return PageId.ADDRESSES if "SCENARIO" in locked_keys else PageId.SCENARIO
    if current == PageId.FINISH:
        return None
    return PageId(int(current) + 1)


def canonical_lock_name(name: str) -> str:
    """Lock names may be given as plan fields (`sitecode`) or ccmsetup names (`SMSSITECODE`, `/mp`);
    compare them in one spelling: the upper-case ccmsetup name."""
    from wizard.core.plan import DEDICATED_FIELDS, field_for_name, name_for_field

    name = name.strip()
    if name in DEDICATED_FIELDS:
        return DEDICATED_FIELDS[name].upper()
    field = field_for_name(name)
    if field:
        return name_for_field(field).upper()
    if name.lower() == "scenario":
        return "SCENARIO"
    return name.upper()


def reapply_locked(old: InstallPlan, new: InstallPlan, locked: Iterable[str]) -> InstallPlan:
    """`new` with every locked value taken from `old` (an import must not change what a profile locks)."""
    from wizard.core.plan import field_for_name

    plan = new
    for name in locked:
        key = canonical_lock_name(name)
        if key == "SCENARIO":
            plan = plan.update(scenario=old.scenario)
            continue
        field = field_for_name(key)
        if field:
            plan = plan.update(**{field: getattr(old, field)})
        elif key.startswith("/"):
            present, value = old.parameter(key)
            plan = plan.with_parameter(key, value) if present else plan.without_parameter(key)
        else:
            value = old.property(key)
            plan = plan.with_property(key, value) if value is not None else plan.without_property(key)
    return plan


class SetupWizard(QWizard):
    """The wizard window. See docs/architecture.md ("wizard/ui contract") for the shared attributes.

    `defer_pages=True` builds only the Welcome page so the window can be shown at once; `finish_loading()`
    (called by the app right after the first paint) builds the other pages and may swap in the real host
    and credential store. Until then Next is disabled and `is_ready` is False; `ready` is emitted once.
    """

    planChanged = Signal(object)  # noqa: N815 - Qt signal naming
    ready = Signal()

    def __init__(self, host: Any, *, credentials: Any = None, plan: InstallPlan | None = None,
                 parent=None, defer_pages: bool = False):
        super().__init__(parent)
        self.host = host
        self.credentials = credentials
        self._plan = plan  # an empty InstallPlan is made on first read (see `plan`)
        self._kept_plan = plan  # the plan as given, loaded or saved: closing loses nothing while it is unchanged
        self.profile_path: Path | None = None
        self.profile_name: str = ""
        self._locked: frozenset[str] = frozenset()
        self.lock_reason: str = ""
        self.check_results: list = []
        self.checks_overridden: bool = False
        # Page id -> the rule errors (findings) an expert chose to go on with on that page (recorded like
        # checks_overridden; see overridden_errors()).
        self.errors_overridden: dict[int, tuple] = {}
        self.session: Any = None
        self.outcome: Any = None
        self.exe_path: str | None = None
        self.started_over = False  # "Start over with the same plan" was used (the Welcome page says so)
        self.demo_banner: DemoBanner | None = None
        # Bumped whenever the plan is replaced wholesale (profile, pasted command), so pages know that
        # text they kept for hidden fields no longer belongs to the plan.
        self.import_generation = 0
        self._ready = False
        self._to_diagnose = False  # the next `next()` goes to the Diagnose page (see open_diagnose)
        self._diagnose_waiting: list[str | None] = []  # asked for before the pages were built

        self.setObjectName("setupWizard")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        # Review is the commit page, which only blocks Back on the page right after it (Install); the
        # Finish page must not lead back into a finished install either.
        self.setOption(QWizard.WizardOption.DisabledBackButtonOnLastPage, True)
        self.setWindowIcon(icon("app"))
        self.setMinimumSize(960, 680)
        self.setWindowTitle(self.window_title())
        self.setAccessibleName(self.window_title())
        self.setButtonText(QWizard.WizardButton.NextButton, self.tr("&Next >"))
        self.setButtonText(QWizard.WizardButton.BackButton, self.tr("< &Back"))
        self.setButtonText(QWizard.WizardButton.CancelButton, self.tr("Cancel"))
        self.setButtonText(QWizard.WizardButton.FinishButton, self.tr("&Close"))
        self.setButtonText(QWizard.WizardButton.CommitButton, self.tr("&Install"))
        # Help > Device self-test (issue 10); the menu is attached in finish_loading, after the first paint
        self.setOption(QWizard.WizardOption.HaveHelpButton, True)
        self.setButtonText(QWizard.WizardButton.HelpButton, self.tr("&Help"))
        for which, name in (
            (QWizard.WizardButton.NextButton, self.tr("Next page")),
            (QWizard.WizardButton.BackButton, self.tr("Previous page")),
            (QWizard.WizardButton.CancelButton, self.tr("Cancel and close the wizard")),
            (QWizard.WizardButton.FinishButton, self.tr("Close the wizard")),
            (QWizard.WizardButton.CommitButton, self.tr("Install the client now")),
            (QWizard.WizardButton.HelpButton, self.tr("Help menu")),
        ):
            self.button(which).setAccessibleName(name)

        if getattr(host, "is_demo", False):
            preset = host.preset or "default"
            # a lab's world is named "lab:<name>" (DemoHost.preset): say "lab", not "preset “lab:…”"
            device = (self.tr("Simulated device, lab “%s”.") % preset.removeprefix("lab:") if preset.startswith("lab:")
                      else self.tr("Simulated device, preset “%s”.") % preset)
            self.demo_banner = DemoBanner(
                self.tr("DEMO"),
                device + " " + self.tr("Nothing is installed: a simulated ccmsetup writes a real log you can follow."),
            )
            self.setSideWidget(self.demo_banner)

        self.missing_pages: list[PageId | SidePage] = []
        # Looking through a page's children wraps every one of them in Python, which makes PySide create
        # the types (and enums) of half of QtWidgets: ~10 ms the first window does not wait for.
        self._pages_with_default_buttons: list[QWizardPage] = []
        self._add_page(PageId.WELCOME, buttons_now=not defer_pages)
        self.setStartId(int(PageId.WELCOME))
        self.currentIdChanged.connect(self._focus_current_page)
        self.currentIdChanged.connect(self._diagnose_keeps_back)
        self.setAcceptDrops(True)
        if not defer_pages:
            self.finish_loading()

    def _add_page(self, page_id: PageId | SidePage, *, buttons_now: bool = True) -> None:
        module_name, class_name = PAGE_CLASSES[page_id]
        page_class = _load_page_class(module_name, class_name)
        if page_class is None:
            self.missing_pages.append(page_id)
            return
        page = page_class(self)
        if buttons_now:
            _no_auto_default(page)
        else:
            self._pages_with_default_buttons.append(page)
        self.setPage(int(page_id), page)

    @property
    def is_ready(self) -> bool:
        """True once every page is built and `host`/`credentials` are the real ones."""
        return self._ready

    def finish_loading(self, host: Any = None, credentials: Any = None, *,
                       profile: str | Path | None = None) -> None:
        """Build the pages not built yet (QWizard accepts pages after show()), take the real `host` and
        `credentials` when given, load `profile` if given (a problem is shown, as with Load profile…), then
        emit `ready`. Does nothing once ready."""
        if self._ready:
            return
        if host is not None:
            self.host = host
        if credentials is not None:
            self.credentials = credentials
        for page in self._pages_with_default_buttons:
            _no_auto_default(page)
        self._pages_with_default_buttons.clear()
        for page_id in PAGE_CLASSES:
            if self.page(int(page_id)) is None and page_id not in self.missing_pages:
                self._add_page(page_id)
        self._add_help_menu()
        if profile:
            self.load_profile_file(profile)
        self._ready = True
        self.ready.emit()
        self._focus_current_page(self.currentId())
        for path in self._diagnose_waiting:
            self.open_diagnose(path)
        self._diagnose_waiting.clear()

    def _add_help_menu(self) -> None:
        from PySide6.QtWidgets import QMenu

        button = self.button(QWizard.WizardButton.HelpButton)
        menu = QMenu(button)
        self.selftest_action = menu.addAction(self.tr("Device &self-test…"))
        self.selftest_action.triggered.connect(self.open_selftest)
        button.setMenu(menu)

    def open_selftest(self):
        """Help > Device self-test: every Windows call the wizard makes, checked read-only on this device."""
        from wizard.ui.selftest_dialog import show_selftest

        return show_selftest(self, self.host, self.credentials)

    # ---- shared state ----------------------------------------------------------------------------

    def window_title(self) -> str:
        if getattr(self.host, "is_demo", False):
            return self.tr("%s — DEMO (%s)") % (PRODUCT, self.host.preset or "default")
        return PRODUCT

    @property
    def plan(self) -> InstallPlan:
        if self._plan is None:
            from wizard.core.plan import InstallPlan

            self._plan = InstallPlan()
        return self._plan

    def set_plan(self, plan: InstallPlan) -> None:
        if plan == self.plan:
            return
        self._plan = plan
        self.planChanged.emit(plan)

    @property
    def locked(self) -> frozenset[str]:
        return self._locked

    def set_locked(self, names: Iterable[str], reason: str = "") -> None:
        self._locked = frozenset(names)
        self.lock_reason = reason

    def is_locked(self, name: str) -> bool:
        key = canonical_lock_name(name)
        return any(canonical_lock_name(n) == key for n in self._locked)

    def record_errors_overridden(self, page_id: int, errors: Iterable[Any]) -> None:
        """Record (or, with no errors, forget) the errors the expert chose to go on with on a page."""
        errors = tuple(errors)
        if errors:
            self.errors_overridden[int(page_id)] = errors
        else:
            self.errors_overridden.pop(int(page_id), None)

    def overridden_errors(self) -> list[Any]:
        """Every rule error an expert chose to go on with, in page order, each once."""
        seen: list[Any] = []
        for page_id in sorted(self.errors_overridden):
            seen.extend(f for f in self.errors_overridden[page_id] if f not in seen)
        return seen

    def page_by_id(self, page_id: PageId) -> QWizardPage | None:
        return self.page(int(page_id))

    # ---- branching -------------------------------------------------------------------------------

    def nextId(self) -> int:  # noqa: N802 - Qt override
        current = self.currentId()
        if current < 0 or current == SidePage.DIAGNOSE:
            return -1
        if not self._ready:
            # The later pages are still being built: keep Next on screen (the Welcome page disables it
            # until `ready`). Branching does not read the plan here, so it is not created yet.
            candidate = next_page(PageId(current), self._plan, self._locked)
            return int(candidate) if candidate is not None else -1
        if self._to_diagnose and self.page(int(SidePage.DIAGNOSE)) is not None:
            return int(SidePage.DIAGNOSE)
        plan = self.plan
        candidate = next_page(PageId(current), plan, self._locked)
        while candidate is not None and self.page(int(candidate)) is None:
            candidate = next_page(candidate, plan, self._locked)
        return int(candidate) if candidate is not None else -1

    def _focus_current_page(self, _page_id: int) -> None:
        """Keyboard users land in the new page's first control (a page may name it with `first_focus()`),
        not on a widget of the page they just left."""
        page = self.currentPage()
        if page is None or not self._ready:
            # Focusing "by Tab" builds the Python `Qt` namespace (wizard/ui/lazy_qt.py): the first window is
            # painted without it, and finish_loading() focuses the page right after.
            return
        focus = QApplication.focusWidget()
        if focus is not None and focus.isVisible() and page.isAncestorOf(focus):
            return
        preferred = getattr(page, "first_focus", None)
        target = preferred() if callable(preferred) else None
        if target is None:
            widget = page.nextInFocusChain()
            while widget is not None and widget is not page:
                if (page.isAncestorOf(widget) and widget.isVisible() and widget.isEnabled()
                        and widget.focusPolicy() & Qt.FocusPolicy.TabFocus):
                    target = widget
                    break
                widget = widget.nextInFocusChain()
        if target is not None:
            target.setFocus(Qt.FocusReason.TabFocusReason)

    # ---- diagnose (outside the install flow) -----------------------------------------------------

    def can_open_diagnose(self) -> bool:
        """Diagnose opens from any page but Review (leaving it forward commits the install) and Install (setup
        may be running there)."""
        return self.currentId() not in (int(PageId.REVIEW), int(PageId.INSTALL))

    def open_diagnose(self, path: str | Path | None = None) -> bool:
        """Go to the Diagnose page (Back returns to where you were) and diagnose `path` if given. Returns False
        when it cannot be opened from the current page (Install, or a page whose check refuses to leave)."""
        if not self._ready:
            self._diagnose_waiting.append(str(path) if path else None)
            return True
        page = self.page(int(SidePage.DIAGNOSE))
        if page is None or not self.can_open_diagnose():
            return False
        if self.currentId() != int(SidePage.DIAGNOSE):
            self._to_diagnose = True
            try:
                self.next()
            finally:
                self._to_diagnose = False
            if self.currentId() != int(SidePage.DIAGNOSE):
                return False
        if path:
            page.open_path(str(path))
        return True

    def _diagnose_keeps_back(self, page_id: int) -> None:
        # The Diagnose page is a last page, but Back must lead to where the user came from.
        self.setOption(QWizard.WizardOption.DisabledBackButtonOnLastPage, page_id != int(SidePage.DIAGNOSE))

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        if dropped_path(event.mimeData()) is not None and self.can_open_diagnose():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt override
        path = dropped_path(event.mimeData())
        if path is not None and self.open_diagnose(path):
            event.acceptProposedAction()
        else:
            event.ignore()

    # ---- profiles and imports --------------------------------------------------------------------

    def load_profile_file(self, path: str | Path) -> bool:
        """Load a profile into the wizard (plan, locks, recent list). Shows the problem and returns False
        when the file cannot be used; the file itself is never modified."""
        from wizard.core.profiles import ProfileError, load_profile
        from wizard.ui import dialogs

        try:
            profile = load_profile(Path(path))
        except ProfileError as exc:
            dialogs.show_error(self, self.tr("Cannot load profile"), str(exc))
            return False
        self.profile_path = Path(path)
        self.profile_name = profile.name
        self.set_locked(profile.locked, profile.lock_reason or "")
        self.import_generation += 1
        self.set_plan(profile.plan)
        self.remember_saved(profile.plan)
        remember_recent(Path(path))
        return True

    def apply_parsed_command(self, parsed: Any) -> None:
        """Take a pasted command's plan, keeping any values the loaded profile locks."""
        plan = parsed.plan
        if self._locked:
            plan = reapply_locked(self.plan, plan, self._locked)
        self.import_generation += 1
        self.set_plan(plan)

    # ---- navigation helpers ----------------------------------------------------------------------

    def return_to_review(self) -> None:
        """Go back to the Review page from a later page (e.g. UAC cancelled on Install). Review is the
        commit page so the Back *button* is gone, but history still holds it; the plan is untouched."""
        while self.currentId() > int(PageId.REVIEW) and PageId.REVIEW in self._visited():
            self.back()

    def _visited(self) -> list[int]:
        return list(self.visitedIds())

    def restart_with_same_plan(self) -> None:
        """Finish page "start over": forget the run, keep the plan, go to the first page."""
        self.check_results = []
        self.checks_overridden = False
        self.errors_overridden = {}
        for page_id in self.pageIds():  # a new run: going on despite errors is decided again
            box = getattr(self.page(page_id), "errors_box", None)
            if box is not None:
                box.override.setChecked(False)
        self.session = None
        self.outcome = None
        self.started_over = True
        self.restart()

    # ---- closing ---------------------------------------------------------------------------------

    def remember_saved(self, plan: InstallPlan) -> None:
        """`plan` is kept in a file (a loaded or saved profile): closing with it loses nothing."""
        self._kept_plan = plan

    def has_unsaved_input(self) -> bool:
        """True when closing would lose something the user entered: the plan (with what the current page holds
        but has not stored yet) differs from the one given, loaded or last saved."""
        from wizard.core.plan import InstallPlan

        page = self.currentPage()
        plan = self.plan
        for name in ("candidate_plan", "edited_plan"):  # the current page's widgets over the plan
            read = getattr(page, name, None)
            if callable(read):
                plan = read()
                break
        kept = self._kept_plan if self._kept_plan is not None else InstallPlan()
        return plan != kept

    def install_started(self) -> bool:
        """ccmsetup was launched (from then on the install goes on whatever the window does)."""
        launch = getattr(self.session, "launch_result", None)
        return self.outcome is not None or bool(getattr(launch, "started", False))

    def _may_close(self, *, ask_about_input: bool = False) -> bool:
        page = self.currentPage()
        confirm = getattr(page, "confirm_close", None)
        if callable(confirm) and not confirm():
            return False
        if ask_about_input and not self.install_started() and self.has_unsaved_input():
            from wizard.ui import dialogs

            return dialogs.ask_yes_no(
                self, self.tr("Close the wizard?"),
                self.tr("What you entered is not saved and will be lost. Close the wizard anyway?\n\nTo keep it, "
                        "choose No, go to the Review page and use Save profile…"))
        return True

    def shutdown(self) -> None:
        """Stop page workers (checks, install follow) so no thread outlives the window."""
        for page_id in self.pageIds():
            stop = getattr(self.page(page_id), "shutdown", None)
            if callable(stop):
                stop()

    def reject(self) -> None:
        # Escape and Cancel: the user's own request, so typed values are worth a question.
        if self._may_close(ask_about_input=True):
            self.shutdown()
            super().reject()

    def done(self, result: int) -> None:
        self.shutdown()
        super().done(result)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        # A close from the window system (title bar button, Alt+F4) is the user's and asks about typed values;
        # close() called by code (application exit, tests) does not.
        if self.result() or self._may_close(ask_about_input=event.spontaneous()):
            self.shutdown()
            event.accept()
        else:
            event.ignore()


def dropped_path(mime: Any) -> str | None:
    """The one local file or folder a drag carries (a log, a folder of logs or a zip), else None."""
    if mime is None or not mime.hasUrls():
        return None
    urls = [url for url in mime.urls() if url.isLocalFile()]
    if len(urls) != 1:
        return None
    return urls[0].toLocalFile() or None


def _no_auto_default(page: QWizardPage) -> None:
    """Enter always means Next: page buttons must not grab the default when they have focus (Space still
    presses a focused button)."""
    for button in page.findChildren(QPushButton):
        button.setAutoDefault(False)


def _load_page_class(module_name: str, class_name: str):
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise
    return getattr(module, class_name)


def remember_recent(path: Path) -> None:
    """Put a profile on the recent list. The list is a convenience: an unwritable config folder must not
    stop a load or save."""
    from wizard.core.profiles import RecentProfiles

    with contextlib.suppress(OSError):
        RecentProfiles().add(path)
