"""Site and addresses: /mp, CCMHOSTNAME, SMSSITECODE, SMSMP — only those the scenario uses.

Each field is linted as you type (`rules.lint_field`, fast) with the message under the field; a CMG
address pasted into /mp or CCMHOSTNAME fills in the other one; Test runs just that address's check off the
UI thread.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from wizard.core.catalog import load_catalog
from wizard.core.cmg import is_cmg_address
from wizard.core.plan import cmg_hostname_from_mp, cmg_mp_from_hostname, split_cmg_address
from wizard.ui.icons import icon_path
from wizard.ui.pages import PlanPage
from wizard.ui.widgets import FieldWithMessage, wrapped_label

# Plan field -> ccmsetup name, in page order.
ADDRESS_FIELDS = (("mp", "/mp"), ("ccmhostname", "CCMHOSTNAME"), ("sitecode", "SMSSITECODE"), ("smsmp", "SMSMP"))
CMG_SCENARIOS = ("cmg", "cmg-token")
CMG_PLACEHOLDER = "contoso.cloudapp.net/CCM_Proxy_MutualAuth/72057594037927975"
# An internet-based MP is named by its plain FQDN in CCMHOSTNAME: no scheme, no CCM_Proxy path.
INTERNET_MP_PLACEHOLDER = "internetmp.contoso.com"


def field_applies(field: str, scenario: str) -> bool:
    """The catalog says in which scenarios a field matters (empty = all)."""
    entry = load_catalog().for_field(field)
    return entry is None or not entry.scenarios or scenario in entry.scenarios


def mp_text(plan) -> str:
    return ";".join(plan.mp)


def mp_tuple(text: str) -> tuple[str, ...]:
    # Several sources are separated by ';' (as ccmsetup takes them); blanks around a separator are not data.
    return tuple(part.strip() for part in text.split(";") if part.strip())


class AddressesPage(PlanPage):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setTitle(self.tr("Site and addresses"))
        self.setSubTitle(self.tr("Where ccmsetup downloads from, which site the client joins, and how it finds "
                                 "its management point afterwards."))
        self.intro = wrapped_label()
        self.fields: dict[str, FieldWithMessage] = {
            "mp": FieldWithMessage(self.tr("&Download source management point or CMG (/mp)"),
                                   placeholder="https://mp01.contoso.com",
                                   accessible_name=self.tr("Download source, /mp")),
            "ccmhostname": FieldWithMessage(self.tr("CMG or internet MP &address (CCMHOSTNAME)"),
                                            placeholder=CMG_PLACEHOLDER,
                                            accessible_name=self.tr("CMG or internet MP address, CCMHOSTNAME")),
            "sitecode": FieldWithMessage(self.tr("&Site code (SMSSITECODE)"), placeholder="ABC",
                                         accessible_name=self.tr("Site code, SMSSITECODE")),
            "smsmp": FieldWithMessage(self.tr("&Management point after install (SMSMP, optional)"),
                                      placeholder="https://mp01.contoso.com",
                                      accessible_name=self.tr("Management point after install, SMSMP")),
        }
        self.test_buttons = {}
        self.test_results: dict[str, QLabel] = {}
        for field, mnemonic in (("mp", self.tr("T&est")), ("ccmhostname", self.tr("Tes&t")),
                                ("smsmp", self.tr("Test")),):
            box = self.fields[field]
            button = box.add_button(mnemonic, self.tr("Test %s") % box.edit.accessibleName())
            button.clicked.connect(lambda _checked=False, f=field: self.test_address(f))
            self.test_buttons[field] = button
        # Demo mode: fill in the simulated site's addresses (the values the demo's site answers to).
        self.demo_values_button = QPushButton(self.tr("Use the demo site's &values"))
        self.demo_values_button.setAccessibleName(self.tr("Fill in the simulated site's addresses"))
        self.demo_values_button.setAutoDefault(False)
        self.demo_values_button.clicked.connect(self.use_demo_site_values)
        self.demo_values_button.setVisible(False)
        demo_row = QHBoxLayout()
        demo_row.addWidget(self.demo_values_button)
        demo_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(self.intro)
        for field, box in self.fields.items():
            layout.addWidget(box)
            result = wrapped_label(rich=True)
            result.setVisible(False)
            result.setAccessibleName(self.tr("Test result for %s") % box.edit.accessibleName())
            self.test_results[field] = result
            layout.addWidget(result)
            box.edit.textChanged.connect(self.relint)
        layout.addLayout(demo_row)  # after the fields: the keyboard starts in the first field
        self.add_errors_box(layout)
        layout.addStretch(1)
        self.fields["mp"].edit.textEdited.connect(self._mp_edited)
        self.fields["ccmhostname"].edit.textEdited.connect(self._hostname_edited)
        # Text typed into a field the scenario hides is kept here so switching scenario back restores it.
        self._kept: dict[str, str] = {}
        self._kept_generation = -1
        self._derived: dict[str, str] = {}
        self._workers = []
        self.last_test_results: list = []

    # ---- page life cycle -------------------------------------------------------------------------

    def visible_fields(self, scenario: str | None = None) -> list[str]:
        scenario = scenario or self.plan.scenario
        return [field for field, _ in ADDRESS_FIELDS if field_applies(field, scenario)]

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        wiz = self.wiz()
        plan = self.plan
        visible = self.visible_fields()
        if self._kept_generation != wiz.import_generation:
            self._kept = {}
            self._kept_generation = wiz.import_generation
        self.intro.setText(self._intro_text(plan.scenario))
        self.fields["ccmhostname"].edit.setPlaceholderText(
            INTERNET_MP_PLACEHOLDER if plan.scenario == "internet-mp" else CMG_PLACEHOLDER)
        for field, name in ADDRESS_FIELDS:
            box = self.fields[field]
            shown = field in visible
            box.setVisible(shown)
            self.test_results[field].setVisible(False)
            value = mp_text(plan) if field == "mp" else (getattr(plan, field) or "")
            if not value and shown:
                value = self._kept.get(field, "")
            box.setText(value)
            box.set_locked(wiz.is_locked(name), wiz.lock_reason)
        self.demo_values_button.setVisible(self._demo_site() is not None)
        self.relint()

    def _demo_site(self):
        host = self.wiz().host
        world = getattr(host, "world", None) if getattr(host, "is_demo", False) else None
        return getattr(world, "site", None)

    def use_demo_site_values(self) -> None:
        """Put the simulated site's addresses for this scenario into the visible, unlocked fields."""
        site = self._demo_site()
        if site is None:
            return
        values = site.address_values(self.plan.scenario)
        visible = self.visible_fields()
        for field, name in ADDRESS_FIELDS:
            box = self.fields[field]
            if field not in values or field not in visible or self.wiz().is_locked(name):
                continue
            value = values[field]
            box.setText(";".join(value) if isinstance(value, tuple) else str(value or ""))
        self.relint()

    def _intro_text(self, scenario: str) -> str:
        texts = {
            "onprem-mp": self.tr("Give the management point ccmsetup downloads from (an HTTPS MP, or any MP of an "
                                 "Enhanced HTTP site) and the site code. CCMHOSTNAME is not used on-premises."),
            "cmg": self.tr("Paste the CMG address (as SMS_ActiveMPCandidate shows it) into either of the first two "
                           "boxes: the other one is filled in, with or without https://."),
            "internet-mp": self.tr("Give the internet-based management point's FQDN as CCMHOSTNAME; /mp is the "
                                   "download source if the device can reach one."),
            "cmg-token": self.tr("Paste the CMG address into CCMHOSTNAME. /mp is not filled in for you: "
                                 "Microsoft's token example gives it, but on a device that isn't Entra joined it can "
                                 "make ccmsetup fail with 0x87d0027e (then leave it empty). The token goes on the "
                                 "next page."),
        }
        return texts.get(scenario, "")

    def page_values(self) -> dict[str, object]:
        """The plan fields as this page's widgets hold them (hidden fields are not part of the plan)."""
        visible = self.visible_fields()
        values: dict[str, object] = {}
        for field, _ in ADDRESS_FIELDS:
            text = self.fields[field].text()
            if field == "mp":
                values[field] = mp_tuple(text) if field in visible else ()
            else:
                values[field] = (text or None) if field in visible else None
        return values

    def candidate_plan(self):
        return self.plan.update(**self.page_values())

    def store(self) -> None:
        visible = self.visible_fields()
        for field, _ in ADDRESS_FIELDS:
            if field not in visible and self.fields[field].text():
                self._kept[field] = self.fields[field].text()
        plan = self.candidate_plan()
        if plan != self.plan:
            self.wiz().set_plan(plan)

    # ---- inline validation -----------------------------------------------------------------------

    def relint(self) -> None:
        from wizard.core.rules import lint_field

        plan = self.candidate_plan()
        visible = self.visible_fields(plan.scenario)
        shown = []
        for field, name in ADDRESS_FIELDS:
            if field in visible:
                findings = lint_field(plan, name)
                self.fields[field].set_findings(findings)
                shown += findings
        self.show_errors(shown)

    def field_labels(self) -> dict[str, str]:
        return {name: self.fields[field].label.text().replace("&", "") for field, name in ADDRESS_FIELDS}

    def focus_field(self, name: str) -> None:
        for field, field_name in ADDRESS_FIELDS:
            if field_name.upper() == name.upper():
                self.fields[field].edit.setFocus(Qt.FocusReason.OtherFocusReason)

    # ---- CMG address derivation ------------------------------------------------------------------

    def _mp_edited(self, text: str) -> None:
        self._derive(text, source="mp", target="ccmhostname", convert=cmg_hostname_from_mp)

    def _hostname_edited(self, text: str) -> None:
        self._derive(text, source="ccmhostname", target="mp", convert=cmg_mp_from_hostname)

    def _derive(self, text: str, *, source: str, target: str, convert) -> None:
        if self.plan.scenario not in CMG_SCENARIOS or split_cmg_address(text) is None:
            return
        if self.plan.scenario == "cmg-token" and target == "mp":
            # With a bulk token, /mp can make ccmsetup fail with 0x87d0027e on a workgroup device without a PKI
            # certificate or Entra join (memdocs#1565): never add it on the user's behalf.
            return
        target_box = self.fields[target]
        if target_box.is_locked() or not target_box.isVisibleTo(self):
            return
        current = target_box.text()
        # Only fill a box that is empty or still holds what we derived: never overwrite the user's own text.
        if current and current != self._derived.get(target):
            return
        derived = convert(text)
        self._derived[target] = derived
        target_box.setText(derived)

    # ---- Test buttons ----------------------------------------------------------------------------

    def test_address(self, field: str) -> None:
        """Run the one check that tests this field's address, off the UI thread; the result appears under
        the field."""
        from wizard.ui.workers import ChecksWorker

        label = self.test_results[field]
        label.setVisible(True)
        probe = address_probe(self.candidate_plan(), field)
        if probe is None:
            label.setText(html.escape(self.tr("Fill in the address first; there is nothing to test yet.")))
            return
        probe_plan, check_id = probe
        label.setText(html.escape(self.tr("Testing…")))
        self.test_buttons[field].setEnabled(False)
        worker = ChecksWorker(self)
        results: list = []
        worker.resultReady.connect(results.append)
        worker.failed.connect(lambda message, f=field: self._show_test_failure(f, message))
        worker.finished.connect(lambda _cancelled, f=field, w=worker, r=results: self._show_test(f, w, r))
        self._workers.append(worker)
        worker.start(self.wiz().host, probe_plan, only=[check_id])

    def _show_test_failure(self, field: str, message: str) -> None:
        self.test_results[field].setText(html.escape(self.tr("The test could not run: %s") % message))

    def _show_test(self, field: str, worker, results: list) -> None:
        self.test_buttons[field].setEnabled(True)
        if worker in self._workers:
            self._workers.remove(worker)
        label = self.test_results[field]
        if not results:
            return
        lines = []
        for result in results:
            icon_uri = icon_path(result.status if result.status != "error" else "fail").as_uri()
            text = f"{result.title}: {result.detail}"
            if result.fix and result.status != "pass":
                text += " " + self.tr("Fix: %s") % result.fix
            lines.append(f'<tr><td valign="top" width="20"><img src="{icon_uri}" width="14" height="14"></td>'
                         f"<td>{html.escape(text)}</td></tr>")
        self.last_test_results = list(results)
        label.setText("<table>" + "".join(lines) + "</table>")
        label.setAccessibleDescription(" ".join(f"{r.status}: {r.detail}" for r in results))

    def shutdown(self) -> None:
        for worker in list(self._workers):
            worker.shutdown()

    def cleanupPage(self) -> None:  # noqa: N802 - Qt override
        for worker in list(self._workers):
            worker.cancel()
        super().cleanupPage()


def address_probe(plan, field: str):
    """(plan holding only this field's address, id of the check that tests it), or None when the field is
    empty. /mp and CCMHOSTNAME go to the CMG check when they name a CMG, otherwise to the MP check."""
    base = plan.update(mp=(), ccmhostname=None, smsmp=None)
    if field == "mp":
        if not plan.mp:
            return None
        check = "cmg-reachable" if any(is_cmg_address(mp) for mp in plan.mp) else "mp-reachable"
        return base.update(mp=plan.mp), check
    if field == "ccmhostname":
        if not plan.ccmhostname or not plan.ccmhostname.strip():
            return None
        if is_cmg_address(plan.ccmhostname):
            return base.update(ccmhostname=plan.ccmhostname), "cmg-reachable"
        return base.update(scenario="internet-mp", ccmhostname=plan.ccmhostname), "mp-reachable"
    if field == "smsmp":
        if not plan.smsmp or not plan.smsmp.strip():
            return None
        return base.update(scenario="onprem-mp", mp=(plan.smsmp.strip(),)), "mp-reachable"
    raise ValueError(f"{field!r} has no address test")
