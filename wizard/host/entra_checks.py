"""What the Entra checks conclude from `dsregcmd /status`: the join (device object, device certificate, keys,
the last failed join attempt) and the user's Primary Refresh Token. Pure functions of a DsregStatus and the
time, so every branch is tested with real-shaped samples (tests/fixtures/dsregcmd).

Codes (0x801c..., AADSTS...) are named through wizard.core.explain; a code the table does not know yet is
shown as it is, so the texts read right either way.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable

from wizard.core.explain import explain_code
from wizard.host.base import DsregStatus, JoinDiagnostics, PrtDiagnostics

# Windows renews the PRT every 4 hours while the user is signed in and online (Entra docs, "How is a PRT
# renewed?"); an older update time means renewal is failing.
PRT_RENEWAL = datetime.timedelta(hours=4)
# A device certificate this close to its end is worth a warning (they are issued for ten years).
CERT_WARNING = datetime.timedelta(days=30)

_RANK = {"pass": 0, "warn": 1, "fail": 2, "error": 3}
_CODE = re.compile(r"0x[0-9a-fA-F]{8}")

Fix = Callable[[str], str]


def named_code(code: str) -> str:
    """'0x801c0021' -> '0x801c0021 (<title>)' when the explanation table knows it, else the code alone."""
    explanation = explain_code(code)
    if explanation.generic:
        return code
    return f"{code} ({explanation.title})"


def code_action(code: str) -> str:
    """The table's advice for a code, or '' when it has none specific."""
    explanation = explain_code(code)
    return "" if explanation.generic else explanation.action


def _age(delta: datetime.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours < 48:
        return f"{hours:.0f} h" if hours >= 1 else f"{max(delta.total_seconds() / 60, 0):.0f} min"
    return f"{hours / 24:.0f} days"


def _tenant(status: DsregStatus) -> str:
    if not status.tenant_id:
        return ""
    return f" to {status.tenant_name or 'tenant'} ({status.tenant_id})"


def join_result(status: DsregStatus, now: datetime.datetime, fix: Fix) -> tuple[str, str, str]:
    """(status, detail, fix) of the `entra-join` check."""
    if status.error and status.azure_ad_joined is None:
        return "error", f"Cannot read the join state: {status.error}", fix("dsregcmd-failed")
    if status.azure_ad_joined is None:
        return ("error", "dsregcmd /status did not show AzureAdJoined, so the join state is unknown.",
                fix("dsregcmd-failed"))
    if not status.azure_ad_joined:
        return _not_joined(status, fix)

    findings: list[tuple[str, str, str]] = []  # (status, text, fix)
    if status.device_disabled:
        findings.append(("fail", f"DeviceAuthStatus is '{status.device_auth_status}': the device object is disabled "
                                 "or deleted in Microsoft Entra ID, so the device gets no device token and "
                                 "ccmsetup's Entra authentication fails although AzureAdJoined is YES",
                         fix("device-disabled")))
    elif (status.device_auth_status or "").upper().startswith("FAILED"):
        findings.append(("warn", f"DeviceAuthStatus is '{status.device_auth_status}': the device health test could "
                                 "not run (it needs network access to Entra ID from the SYSTEM account)",
                         fix("device-auth-error")))
    valid_to = status.device_cert_valid_to
    if valid_to is not None and now > valid_to:
        findings.append(("fail", f"the Entra device certificate expired on {valid_to:%Y-%m-%d %H:%M} UTC "
                                 "(DeviceCertificateValidity): the device cannot authenticate to Entra ID",
                         fix("device-cert-expired")))
    elif valid_to is not None and valid_to - now < CERT_WARNING:
        findings.append(("warn", f"the Entra device certificate expires on {valid_to:%Y-%m-%d %H:%M} UTC "
                                 "(DeviceCertificateValidity)", fix("device-cert-expired")))
    if (status.key_sign_test or "").upper().startswith("FAIL"):
        findings.append(("warn", f"KeySignTest is {status.key_sign_test}: the device keys are not healthy; Windows "
                                 "marks the device for recovery and registers it again at the next sign-in",
                         fix("device-keys")))
    elif status.aad_recovery_enabled:
        findings.append(("warn", "AadRecoveryEnabled is YES: the device keys are unusable and the device is marked "
                                 "for recovery (it registers again at the next sign-in)", fix("device-keys")))

    facts = [f"{status.join_state}{_tenant(status)}"]
    if status.device_auth_status and not findings:
        facts.append(f"DeviceAuthStatus {status.device_auth_status}")
    if status.tpm_protected is not None:
        facts.append("device key in the TPM" if status.tpm_protected else "device key in software (not in a TPM)")
    if valid_to is not None and not any(f[0] == "fail" for f in findings):
        facts.append(f"device certificate valid until {valid_to:%Y-%m-%d}")
    if status.key_sign_test and not findings:
        facts.append(f"KeySignTest {status.key_sign_test}")
    if status.mdm_url:
        facts.append("Intune automatic enrollment is configured for this tenant (MdmUrl)")
    if not findings:
        return "pass", "; ".join(facts) + ".", ""
    worst = max(findings, key=lambda f: _RANK[f[0]])[0]
    detail = "; ".join(facts) + ". But " + "; ".join(f[1] for f in findings) + "."
    fixes = " ".join(dict.fromkeys(f[2] for f in findings if f[2]))
    return worst, detail, fixes


def _not_joined(status: DsregStatus, fix: Fix) -> tuple[str, str, str]:
    detail = (f"AzureAdJoined is NO ({status.join_state}): Entra authentication needs an Entra joined or hybrid "
              "joined device.")
    fixes = [fix("not-joined")]
    diag = status.join_diagnostics
    if diag.present:
        detail += " " + describe_join_attempt(diag)
        phase_fix = fix(f"join-phase-{(diag.error_phase or '').strip().lower()}") if diag.error_phase else ""
        fixes.insert(0, phase_fix)
        if diag.client_error_code:
            fixes.insert(1, code_action(diag.client_error_code))
    elif status.domain_joined:
        fixes.insert(0, fix("hybrid-join-pending"))
    return "fail", detail, " ".join(f for f in dict.fromkeys(fixes) if f)


def describe_join_attempt(diag: JoinDiagnostics) -> str:
    """One sentence about the last failed (hybrid) join attempt dsregcmd reported."""
    parts = []
    when = f" ({diag.previous_registration})" if diag.previous_registration else ""
    phase = f" in the '{diag.error_phase}' phase" if diag.error_phase else ""
    code = f" with {named_code(diag.client_error_code)}" if diag.client_error_code else ""
    parts.append(f"The last join attempt{when} failed{phase}{code}.")
    if diag.drs_discovery_test and not diag.drs_discovery_test.upper().startswith("PASS"):
        codes = ", ".join(named_code(c) for c in dict.fromkeys(_CODE.findall(diag.drs_discovery_test))
                          if c.lower() != (diag.client_error_code or "").lower())
        parts.append(f"DRS Discovery Test: {diag.drs_discovery_test}" + (f" ({codes})." if codes else "."))
    server = [p for p in (diag.server_error_code, f"'{diag.server_message}'" if diag.server_message else None,
                          f"HTTP {diag.http_status}" if diag.http_status else None) if p]
    if server:
        parts.append("The registration service answered: " + ", ".join(server) + ".")
    if diag.user_context:
        parts.append(f"(Diagnostics run as {diag.user_context}.)")
    return " ".join(parts)


def user_result(status: DsregStatus, now: datetime.datetime, fix: Fix) -> tuple[str, str, str]:
    """(status, detail, fix) of the `entra-user` check."""
    if status.error and status.azure_ad_joined is None:
        return "error", f"Cannot read the user's token state: {status.error}", fix("dsregcmd-failed")
    if status.azure_ad_prt is None:
        return ("skip", "dsregcmd shows no SSO State (the wizard runs as another account than the signed-in user).",
                fix("no-user-state"))
    remote = (" dsregcmd ran in a remote session (SessionIsNotRemote: NO): the token state shown is that of the "
              "account signed in remotely." if status.session_is_not_remote is False else "")
    attempts = " ".join(describe_prt_attempt(block) for block in status.prt_diagnostics)
    attempt_fix = " ".join(a for a in (_prt_code_action(b) for b in status.prt_diagnostics) if a)
    if not status.azure_ad_prt:
        detail = ("AzureAdPrt is NO: the signed-in user has no Entra token (local account, or the token could not "
                  "be obtained). ccmsetup can still use the device token.")
        return "warn", " ".join(p for p in (detail, attempts, remote.strip()) if p), \
            " ".join(p for p in (attempt_fix, fix("no-prt")) if p)
    updated = status.prt_update_time
    if status.prt_expiry_time is not None and now > status.prt_expiry_time:
        return ("warn", f"AzureAdPrt is YES, but the token expired on {status.prt_expiry_time:%Y-%m-%d %H:%M} UTC "
                        f"(AzureAdPrtExpiryTime). {attempts}{remote}".strip(),
                " ".join(p for p in (attempt_fix, fix("prt-stale")) if p))
    if updated is not None and now - updated > PRT_RENEWAL:
        return ("warn", f"AzureAdPrt is YES, but it was last renewed {_age(now - updated)} ago "
                        f"({updated:%Y-%m-%d %H:%M} UTC, AzureAdPrtUpdateTime); Windows renews it every 4 hours "
                        f"while the user is signed in and online, so renewal is failing. {attempts}{remote}".strip(),
                " ".join(p for p in (attempt_fix, fix("prt-stale")) if p))
    renewed = f", renewed {_age(now - updated)} ago" if updated is not None else ""
    return "pass", f"AzureAdPrt is YES: the signed-in user has an Entra Primary Refresh Token{renewed}.{remote}", ""


def describe_prt_attempt(block: PrtDiagnostics) -> str:
    what = "getting" if block.kind == "acquire" else "renewing"
    when = f" ({block.attempt_time})" if block.attempt_time else ""
    parts = [f"The last attempt at {what} the token{when} failed"]
    if block.attempt_status:
        parts.append(f" with {named_code(block.attempt_status)}")
    server = [p for p in (block.server_error_code, block.server_error_description,
                          f"HTTP {block.http_status}" if block.http_status else None) if p]
    text = "".join(parts) + "."
    if server:
        text += " Entra ID answered: " + ", ".join(server) + "."
    return text


def _prt_code_action(block: PrtDiagnostics) -> str:
    match = re.search(r"AADSTS\d+", block.server_error_description or "")
    if match:
        action = code_action(match.group(0))
        if action:
            return action
    return code_action(block.attempt_status) if block.attempt_status else ""
