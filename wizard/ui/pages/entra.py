"""Entra identifiers (tenant, client app, resource URI) — or, for the token scenario, the bulk
registration token: masked, expiry decoded, stored in the credential store only when asked."""

from __future__ import annotations

import html
import sys
from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from wizard.ui import dialogs
from wizard.ui.icons import icon_path
from wizard.ui.pages import PlanPage
from wizard.ui.widgets import FieldWithMessage, SecretEdit, run_in_background, wrapped_label

ENTRA_FIELDS = (("aadtenantid", "AADTENANTID"), ("aadclientappid", "AADCLIENTAPPID"),
                ("aadresourceuri", "AADRESOURCEURI"))


class EntraPage(PlanPage):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.stack = QStackedWidget()
        self.stack.addWidget(self._build_entra())
        self.stack.addWidget(self._build_token())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self.add_errors_box(self._entra_layout)  # moved to the form shown (see _place_errors_box)
        self.device_status = None
        self._device_lookup_started = False
        self._token_kept: str | None = None
        self._stored_token: str | None = None

    # ---- Entra form ------------------------------------------------------------------------------

    def _build_entra(self) -> QWidget:
        page = QWidget()
        self.optional_note = wrapped_label()
        self.optional_note.setAccessibleName(self.tr("When these values are needed"))
        device_box = QGroupBox(self.tr("This device"))
        self.device_label = wrapped_label(self.tr("Reading the device's Entra join state…"), selectable=True)
        self.device_label.setAccessibleName(self.tr("Device join state"))
        self.use_device_tenant = QPushButton(self.tr("&Use this device's tenant"))
        self.use_device_tenant.setAccessibleName(self.tr("Fill the tenant ID from this device"))
        self.use_device_tenant.setEnabled(False)
        self.use_device_tenant.clicked.connect(self.fill_device_tenant)
        device_row = QHBoxLayout(device_box)
        device_row.addWidget(self.device_label, 1)
        device_row.addWidget(self.use_device_tenant)
        self.entra_fields = {
            "aadtenantid": FieldWithMessage(self.tr("&Tenant ID (AADTENANTID)"),
                                            placeholder="00000000-0000-0000-0000-000000000000",
                                            accessible_name=self.tr("Tenant ID, AADTENANTID")),
            "aadclientappid": FieldWithMessage(self.tr("&Client app ID (AADCLIENTAPPID)"),
                                               placeholder="00000000-0000-0000-0000-000000000000",
                                               accessible_name=self.tr("Client app ID, AADCLIENTAPPID")),
            "aadresourceuri": FieldWithMessage(self.tr("&Resource URI (AADRESOURCEURI)"),
                                               placeholder="https://contososerver",
                                               accessible_name=self.tr("Server app ID URI, AADRESOURCEURI")),
        }
        self.mismatch = wrapped_label(rich=True)
        self.mismatch.setAccessibleName(self.tr("Tenant mismatch"))
        self.mismatch.setVisible(False)
        layout = QVBoxLayout(page)
        self._entra_layout = layout
        layout.setSpacing(10)
        layout.addWidget(self.optional_note)
        layout.addWidget(device_box)
        layout.addWidget(self.entra_fields["aadtenantid"])
        layout.addWidget(self.mismatch)
        layout.addWidget(self.entra_fields["aadclientappid"])
        layout.addWidget(self.entra_fields["aadresourceuri"])
        layout.addStretch(1)
        for box in self.entra_fields.values():
            box.edit.textChanged.connect(self.relint)
        return page

    # ---- token form ------------------------------------------------------------------------------

    def _build_token(self) -> QWidget:
        page = QWidget()
        intro = wrapped_label(self.tr(
            "Paste the bulk registration token an administrator created with BulkRegistrationTokenTool.exe. It "
            "is valid for 3 days by default (7 at most) and cannot be renewed. It is masked everywhere and never "
            "written to a profile."))
        self.token_label = QLabel(self.tr("Bulk registration &token (/regtoken)"))  # Alt+B is Back
        self.token = SecretEdit(self.tr("Bulk registration token"))
        self.token_label.setBuddy(self.token.edit)
        self.token_message = FieldWithMessage("")  # reuses the inline message row only
        self.token_message.label.setVisible(False)
        self.token_message.edit.setVisible(False)
        self.expiry = wrapped_label()
        self.expiry.setAccessibleName(self.tr("Token expiry"))
        store_name = (self.tr("Windows Credential Manager") if sys.platform == "win32"
                      else self.tr("the system keyring"))
        self.store_token = QCheckBox(self.tr("&Keep the token in %s for next time") % store_name)
        self.store_token.setAccessibleName(self.tr("Store the token in %s") % store_name)
        self.store_note = wrapped_label()
        self.use_stored = QPushButton(self.tr("Use the &stored token"))
        self.use_stored.setAccessibleName(self.tr("Fill in the token kept in the credential store"))
        self.use_stored.setVisible(False)
        self.use_stored.clicked.connect(self.fill_stored_token)
        layout = QVBoxLayout(page)
        self._token_layout = layout
        layout.addWidget(intro)
        layout.addWidget(self.token_label)
        layout.addWidget(self.token)
        layout.addWidget(self.token_message)
        layout.addWidget(self.expiry)
        layout.addWidget(self.store_token)
        layout.addWidget(self.store_note)
        layout.addWidget(self.use_stored)
        layout.addStretch(1)
        self.token.edit.textChanged.connect(self.relint)
        return page

    # ---- page life cycle -------------------------------------------------------------------------

    def is_token_mode(self) -> bool:
        return self.plan.scenario == "cmg-token"

    def _place_errors_box(self) -> None:
        """The errors box sits under the fields of the form shown (above its trailing stretch)."""
        target = self._token_layout if self.is_token_mode() else self._entra_layout
        for layout in (self._entra_layout, self._token_layout):
            layout.removeWidget(self.errors_box)
        target.insertWidget(target.count() - 1, self.errors_box)

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        wiz = self.wiz()
        plan = self.plan
        self._place_errors_box()
        if self.is_token_mode():
            self.setTitle(self.tr("Bulk registration token"))
            self.setSubTitle(self.tr("The token lets a device that is not Entra joined register through the CMG."))
            self.stack.setCurrentIndex(1)
            self.token.edit.setText(plan.regtoken or self._token_kept or "")
            self.token.show_box.setChecked(False)
            self._init_store()
        else:
            self.setTitle(self.tr("Entra ID identifiers"))
            self.setSubTitle(self.tr("Tenant, client app and server app of the site's Entra onboarding."))
            self.stack.setCurrentIndex(0)
            self.optional_note.setText(self._optional_text(plan.scenario))
            for field, name in ENTRA_FIELDS:
                box = self.entra_fields[field]
                box.setText(getattr(plan, field) or "")
                box.set_locked(wiz.is_locked(name), wiz.lock_reason)
            if not self._device_lookup_started:
                self._device_lookup_started = True
                run_in_background(wiz.host.dsregcmd, self._show_device, self._show_device_error, self)
        self.relint()

    def _optional_text(self, scenario: str) -> str:
        if scenario == "cmg":
            return self.tr(
                "Optional with a CMG: leave them empty and ccmsetup asks the CMG for the client app and resource "
                "URI using the device's tenant (site version 1810 and later). Fill them in when the device also "
                "has a PKI certificate or the tenant is not onboarded on the CMG.")
        if scenario == "onprem-mp":
            return self.tr(
                "Only for Entra ID authentication to an HTTPS or Enhanced HTTP management point. Leave all three "
                "empty for domain-joined devices that use a PKI certificate or Enhanced HTTP alone.")
        return self.tr("Only when the device authenticates with Entra ID; leave all three empty otherwise.")

    def store(self) -> None:
        plan = self.plan
        if self.is_token_mode():
            text = self.token.edit.text().strip()
            plan = plan.update(regtoken=text or None)
            self._token_kept = text or None
        else:
            plan = plan.update(**{field: self.entra_fields[field].text() or None for field, _ in ENTRA_FIELDS})
            if plan.scenario != "cmg-token" and plan.regtoken is not None:
                # A token typed for the token scenario must not ride along into another scenario's command.
                self._token_kept = plan.regtoken
                plan = plan.update(regtoken=None)
        if plan != self.plan:
            self.wiz().set_plan(plan)

    def validatePage(self) -> bool:  # noqa: N802 - Qt override
        self.store()
        self.record_error_override()
        if self.is_token_mode() and self.store_token.isChecked() and self.plan.regtoken:
            self._save_token(self.plan.regtoken)
        return True

    # ---- inline validation -----------------------------------------------------------------------

    def candidate_plan(self):
        if self.is_token_mode():
            return self.plan.update(regtoken=self.token.edit.text().strip() or None)
        return self.plan.update(**{field: self.entra_fields[field].text() or None for field, _ in ENTRA_FIELDS})

    def relint(self) -> None:
        from wizard.core.rules import lint_field

        plan = self.candidate_plan()
        if self.is_token_mode():
            findings = lint_field(plan, "/regtoken")
            self.token_message.set_findings(findings)
            self.show_errors(findings)
            self._show_expiry(plan.regtoken)
            return
        shown = []
        for field, name in ENTRA_FIELDS:
            findings = lint_field(plan, name)
            self.entra_fields[field].set_findings(findings)
            shown += findings
        self.show_errors(shown)
        self._show_mismatch()

    def field_labels(self) -> dict[str, str]:
        labels = {name: self.entra_fields[field].label.text().replace("&", "") for field, name in ENTRA_FIELDS}
        labels["/regtoken"] = self.token_label.text().replace("&", "")
        return labels

    def focus_field(self, name: str) -> None:
        if name.upper() == "/REGTOKEN":
            self.token.edit.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        for field, field_name in ENTRA_FIELDS:
            if field_name.upper() == name.upper():
                self.entra_fields[field].edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_expiry(self, token: str | None) -> None:
        from wizard.core.token import decode_token_expiry

        if not token:
            self.expiry.setText("")
            return
        expiry = decode_token_expiry(token)
        if expiry is None:
            self.expiry.setText(self.tr("The expiry date cannot be read from this token."))
            return
        remaining = expiry - datetime.now(UTC)
        when = expiry.astimezone().strftime("%Y-%m-%d %H:%M %Z")
        if remaining.total_seconds() <= 0:
            self.expiry.setText(self.tr("Expired on %s. Ask for a new token: an expired one cannot be renewed.")
                                % when)
        else:
            hours = int(remaining.total_seconds() // 3600)
            self.expiry.setText(self.tr("Expires on %1 (in %2 h %3 min).").replace("%1", when)
                                .replace("%2", str(hours)).replace("%3", str(int(remaining.total_seconds() // 60) % 60)))

    # ---- device tenant ---------------------------------------------------------------------------

    def _show_device(self, status) -> None:
        self.device_status = status
        if status.error:
            self.device_label.setText(self.tr("dsregcmd could not be read: %s") % status.error)
            return
        text = status.join_state
        if status.tenant_id:
            name = f" ({status.tenant_name})" if status.tenant_name else ""
            text += ", " + self.tr("tenant %1%2").replace("%1", status.tenant_id).replace("%2", name)
        self.device_label.setText(text + ".")
        tenant_box = self.entra_fields["aadtenantid"]
        self.use_device_tenant.setEnabled(bool(status.tenant_id) and not tenant_box.is_locked())
        self._show_mismatch()

    def _show_device_error(self, exc: BaseException) -> None:
        self.device_label.setText(self.tr("dsregcmd could not be read: %s") % exc)

    def fill_device_tenant(self) -> None:
        if self.device_status is not None and self.device_status.tenant_id:
            self.entra_fields["aadtenantid"].setText(self.device_status.tenant_id)

    def _show_mismatch(self) -> None:
        device = self.device_status.tenant_id if self.device_status is not None else None
        typed = self.entra_fields["aadtenantid"].text().strip()
        if device and typed and typed.lower().strip("{}") != device.lower().strip("{}"):
            text = (self.tr("This device belongs to tenant %1, not %2. ccmsetup will fail to get an Entra token; "
                            "use this device's tenant unless the site deliberately serves another tenant.")
                    .replace("%1", device).replace("%2", typed))
            self.mismatch.setText(f'<table><tr><td width="20"><img src="{icon_path("warn").as_uri()}" width="14" '
                                  f'height="14"></td><td>{html.escape(text)}</td></tr></table>')
            self.mismatch.setVisible(True)
        else:
            self.mismatch.setVisible(False)

    # ---- credential store ------------------------------------------------------------------------

    def _init_store(self) -> None:
        store = self.wiz().credentials
        secure = store is not None and bool(store.secure)
        self.store_token.setEnabled(secure)
        if not secure:
            self.store_token.setChecked(False)
            reason = getattr(store, "problem", None) or self.tr("no system keyring is available here")
            self.store_note.setText(self.tr("Cannot keep the token: %s. It stays in memory for this session only.")
                                    % reason)
        else:
            self.store_note.setText(self.tr("Only stored if you tick the box; otherwise it is forgotten when the "
                                            "wizard closes."))
        self.use_stored.setVisible(False)
        if store is not None:
            # A keyring may block (a locked Secret Service asks to unlock): read it off the UI thread. A
            # broken keyring only means the button does not appear; the user can paste the token.
            key = self._token_key()
            run_in_background(lambda: store.get(key), self._show_stored, None, self)

    def _show_stored(self, stored: str | None) -> None:
        self._stored_token = stored or None
        self.use_stored.setVisible(bool(stored) and not self.token.edit.text())

    def fill_stored_token(self) -> None:
        if self._stored_token:
            self.token.edit.setText(self._stored_token)
            self.use_stored.setVisible(False)

    def _token_key(self) -> str:
        from wizard.host.credentials import credential_key_for_profile

        return credential_key_for_profile(self.wiz().profile_path)

    def _save_token(self, token: str) -> None:
        """Store the token off the UI thread; a failure is reported but the install goes on with the token
        held in memory."""
        store = self.wiz().credentials
        key = self._token_key()
        run_in_background(lambda: store.set(key, token), lambda _none: None, self._report_store_failure, self)

    def _report_store_failure(self, exc: BaseException) -> None:
        dialogs.show_error(self, self.tr("Token not stored"),
                           self.tr("The token could not be stored in the credential store (%s). It stays in "
                                   "memory for this session, so the install can go on.") % exc)
