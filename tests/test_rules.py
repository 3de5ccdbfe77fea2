import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from wizard.core.findings import has_errors
from wizard.core.parse import parse_command
from wizard.core.plan import InstallPlan
from wizard.core.render import intune_command
from wizard.core.rules import RULE_IDS, lint, lint_field, load_rule_texts

SEED = ("ccmsetup.exe /mp:https://CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500 "
        "CCMHOSTNAME=CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500 SMSSITECODE=ABC "
        "SMSMP=https://mp1.contoso.com AADTENANTID=daf4a1c2-3a0c-401b-966f-0b855d3abd1a "
        "AADCLIENTAPPID=7506ee10-f7ec-415a-b415-cd3d58790d97 AADRESOURCEURI=https://contososerver")
CMG = "CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def jwt(exp: datetime) -> str:
    payload = base64.urlsafe_b64encode(json.dumps({"exp": int(exp.timestamp())}).encode()).rstrip(b"=").decode()
    return f"eyJhbGciOiJSUzI1NiJ9.{payload}.c2ln"


def seed_plan() -> InstallPlan:
    return parse_command(SEED).plan


def test_seed_example_lints_clean():
    findings = lint(seed_plan(), now=NOW)
    assert findings == []


def test_every_rule_has_texts():
    texts = load_rule_texts()
    for rule in RULE_IDS:
        assert texts[rule]["texts"], rule
        assert texts[rule]["severity"] in ("error", "warning", "info")


def cmg_plan(**changes) -> InstallPlan:
    return seed_plan().update(**changes)


# (rule id, plan with the violation, field the finding names, severity)
VIOLATIONS = [
    ("site-code", lambda: cmg_plan(sitecode="AB"), "SMSSITECODE", "error"),
    ("site-code", lambda: cmg_plan(sitecode="A-C"), "SMSSITECODE", "error"),
    ("site-code", lambda: cmg_plan(sitecode="ÄBC"), "SMSSITECODE", "error"),
    ("site-code", lambda: cmg_plan(sitecode="con"), "SMSSITECODE", "error"),
    ("site-code", lambda: cmg_plan(sitecode="ENV"), "SMSSITECODE", "error"),
    ("guid", lambda: cmg_plan(aadtenantid="daf4a1c2-3a0c-401b-966f"), "AADTENANTID", "error"),
    ("guid", lambda: cmg_plan(aadclientappid="{7506ee10-f7ec-415a-b415-cd3d58790d97}"), "AADCLIENTAPPID", "error"),
    ("resource-uri", lambda: cmg_plan(aadresourceuri="contososerver"), "AADRESOURCEURI", "error"),
    ("resource-uri", lambda: cmg_plan(aadresourceuri="http://contososerver"), "AADRESOURCEURI", "error"),
    ("cmg-mp-scheme", lambda: cmg_plan(mp=(CMG,)), "/mp", "error"),
    ("cmg-mp-scheme", lambda: cmg_plan(mp=("http://" + CMG,)), "/mp", "error"),
    ("cmg-hostname-scheme", lambda: cmg_plan(ccmhostname="https://" + CMG), "CCMHOSTNAME", "error"),
    ("cmg-address", lambda: cmg_plan(ccmhostname="CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/x1"), "CCMHOSTNAME",
     "error"),
    ("cmg-address", lambda: cmg_plan(ccmhostname=CMG.replace("MutualAuth", "ServerAuth")), "CCMHOSTNAME", "error"),
    ("cmg-address", lambda: cmg_plan(ccmhostname="OTHER.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500"),
     "/mp", "error"),
    ("cmg-address", lambda: InstallPlan(scenario="internet-mp", ccmhostname="CONTOSO.CLOUDAPP.NET", sitecode="ABC"),
     "CCMHOSTNAME", "error"),
    ("cmg-address", lambda: InstallPlan(scenario="internet-mp", ccmhostname="cmg1.eastus.cloudapp.azure.com",
                                        sitecode="ABC"), "CCMHOSTNAME", "error"),
    ("cmg-address", lambda: InstallPlan(scenario="internet-mp", ccmhostname="cmg.usgovcloudapp.net", sitecode="ABC"),
     "CCMHOSTNAME", "error"),
    ("cmg-address", lambda: cmg_plan(ccmhostname="cmg.contoso.com"), "CCMHOSTNAME", "error"),
    ("cmg-address", lambda: cmg_plan(mp=("https://CONTOSO.CLOUDAPP.NET",)), "/mp", "error"),
    ("cmg-address", lambda: InstallPlan(scenario="onprem-mp", mp=("https://cmg1.westeurope.cloudapp.azure.com",),
                                        sitecode="ABC"), "/mp", "error"),
    ("cmg-address", lambda: cmg_plan(ccmhostname="cmg.contoso.com/CCM_Proxy_MutualAuth/1",
                                     mp=("https://cmg.contoso.com",)), "/mp", "error"),
    ("cmg-address", lambda: cmg_plan(mp=("https://" + CMG.replace("MutualAuth", "ServerAuth"),)), "/mp", "error"),
    ("pki-with-entra", lambda: cmg_plan().with_parameter("/UsePKICert"), "/UsePKICert", "warning"),
    ("entra-app-pair", lambda: cmg_plan(aadclientappid=None), "AADCLIENTAPPID", "warning"),
    ("entra-app-pair", lambda: cmg_plan(aadresourceuri=None), "AADRESOURCEURI", "warning"),
    ("regtoken-with-mp", lambda: cmg_plan(scenario="cmg-token", regtoken=jwt(NOW + timedelta(days=2)),
                                          aadtenantid=None, aadclientappid=None, aadresourceuri=None), "/mp",
     "info"),
    ("auto-with-hostname", lambda: cmg_plan(sitecode="AUTO"), "SMSSITECODE", "error"),
    ("smsmp-without-sitecode", lambda: InstallPlan(mp=("mp1.contoso.com",), smsmp="mp1.contoso.com"),
     "SMSSITECODE", "error"),
    ("conflicting-switches", lambda: cmg_plan().with_parameter("/logon").with_parameter("/forceinstall"), "/logon",
     "error"),
    ("conflicting-switches", lambda: cmg_plan().with_parameter("/service").with_parameter("/noservice"), "/service",
     "error"),
    ("unknown-property", lambda: cmg_plan().with_property("SMSSITECOD", "ABC"), "SMSSITECOD", "warning"),
    ("unknown-parameter", lambda: cmg_plan().with_parameter("/nocrl"), "/nocrl", "warning"),
    ("internal-switch", lambda: cmg_plan().with_parameter("/runservice"), "/runservice", "warning"),
    ("legacy-property", lambda: cmg_plan().with_property("CCMHTTPSSTATE", "31"), "CCMHTTPSSTATE", "info"),
    ("undocumented", lambda: cmg_plan().with_parameter("/UpgradeToLatest"), "/UpgradeToLatest", "warning"),
    ("msi-only-property", lambda: cmg_plan().with_property("CCMSETUPCMD", "/mp:x"), "CCMSETUPCMD", "error"),
    ("msi-only-property", lambda: cmg_plan().with_property("PROVISIONTS", "PRI20001"), "PROVISIONTS", "warning"),
    ("cache-settings", lambda: cmg_plan().with_property("SMSCACHEFLAGS", "PERCENTDISKSPACE;PERCENTFREEDISKSPACE")
     .with_property("SMSCACHESIZE", "20"), "SMSCACHEFLAGS", "error"),
    ("cache-settings", lambda: cmg_plan().with_property("SMSCACHEFLAGS", "PERCENTFREEDISKSPACE")
     .with_property("SMSCACHESIZE", "5120"), "SMSCACHESIZE", "warning"),
    ("cache-settings", lambda: cmg_plan().with_property("SMSCACHEFLAGS", "percentdiskspace;NTFSONLY")
     .with_property("SMSCACHESIZE", "0"), "SMSCACHESIZE", "warning"),
    ("internet-without-hostname", lambda: InstallPlan(mp=("mp1.contoso.com",), sitecode="ABC",
                                                      properties=(("CCMALWAYSINF", "1"),)), "CCMHOSTNAME",
     "warning"),
    ("missing-required", lambda: InstallPlan(scenario="cmg", sitecode="ABC"), "CCMHOSTNAME", "error"),
    ("missing-required", lambda: InstallPlan(scenario="cmg", ccmhostname=CMG), "SMSSITECODE", "error"),
    ("missing-required", lambda: InstallPlan(scenario="cmg-token", ccmhostname=CMG, sitecode="ABC"), "/regtoken",
     "error"),
    ("missing-required", lambda: InstallPlan(scenario="internet-mp", sitecode="ABC"), "CCMHOSTNAME", "error"),
    ("missing-required", lambda: InstallPlan(sitecode="ABC"), "/mp", "warning"),
    ("smsmp-recommended", lambda: cmg_plan(smsmp=None), "SMSMP", "info"),
    ("value-quoting", lambda: cmg_plan().with_property("FSP", 'fsp"1'), "FSP", "error"),
    ("value-quoting", lambda: cmg_plan().with_property("FSP", "fsp\n1"), "FSP", "error"),
    ("value-quoting", lambda: cmg_plan().with_property("CCMINSTALLDIR", "C:\\my dir\\"), "CCMINSTALLDIR",
     "warning"),
    ("value-quoting", lambda: InstallPlan(mp=("a;b",)), "/mp", "error"),
    ("invalid-value", lambda: cmg_plan().with_property("CCMLOGLEVEL", "5"), "CCMLOGLEVEL", "error"),
    ("invalid-value", lambda: cmg_plan().with_property("CCMEVALHOUR", "24"), "CCMEVALHOUR", "error"),
    ("invalid-value", lambda: cmg_plan().with_property("SMSCACHESIZE", "lots"), "SMSCACHESIZE", "error"),
    ("invalid-value", lambda: cmg_plan().with_parameter("/BITSPriority", "FAST"), "/BITSPriority", "error"),
    ("invalid-value", lambda: cmg_plan().with_parameter("/retry"), "/retry", "error"),
    ("invalid-value", lambda: cmg_plan().with_parameter("/NoCRLCheck", "yes"), "/NoCRLCheck", "error"),
    ("invalid-value", lambda: cmg_plan().with_property("SMSCACHEFLAGS", "NTFSONLY;SMALL"), "SMSCACHEFLAGS", "error"),
    ("invalid-value", lambda: cmg_plan(smsmp="https://mp 1"), "SMSMP", "error"),
    ("invalid-value", lambda: InstallPlan(scenario="internet-mp", ccmhostname="ibcm contoso", sitecode="ABC"),
     "CCMHOSTNAME", "error"),
    ("scenario-mismatch", lambda: cmg_plan(scenario="onprem-mp"), "scenario", "warning"),
    ("regtoken-format", lambda: cmg_plan(scenario="cmg-token", regtoken="abc", mp=()), "/regtoken", "warning"),
    ("token-expired", lambda: cmg_plan(scenario="cmg-token", regtoken=jwt(NOW - timedelta(hours=1)), mp=()),
     "/regtoken", "error"),
    ("token-expired", lambda: cmg_plan(scenario="cmg-token", regtoken=jwt(NOW + timedelta(hours=3)), mp=()),
     "/regtoken", "warning"),
]


@pytest.mark.parametrize(("rule", "make_plan", "field", "severity"), VIOLATIONS,
                         ids=[f"{v[0]}-{i}" for i, v in enumerate(VIOLATIONS)])
def test_rule_fires_on_its_violation(rule, make_plan, field, severity):
    findings = [f for f in lint(make_plan(), now=NOW) if f.rule == rule]
    assert findings, f"{rule} did not fire"
    finding = findings[0]
    assert finding.field == field
    assert finding.severity == severity
    assert finding.message.strip() and finding.fix.strip() and "{" not in finding.message
    assert finding.doc and finding.doc.startswith("https://")


def test_listed_rule_ids_are_all_exercised():
    parser_only = {"params-before-properties", "unknown-argument", "duplicate", "intune-length"}
    assert set(RULE_IDS) - parser_only <= {v[0] for v in VIOLATIONS}


def test_intune_length_uses_the_real_length_and_is_an_error_for_intune_formats():
    token = jwt(NOW + timedelta(days=2)) + "A" * 1100
    plan = cmg_plan(scenario="cmg-token", regtoken=token, mp=(), aadtenantid=None, aadclientappid=None,
                    aadresourceuri=None)
    general = [f for f in lint(plan, now=NOW) if f.rule == "intune-length"]
    assert general and general[0].severity == "warning"
    real_length = len(intune_command(plan, show_secrets=True))
    assert real_length > len(intune_command(plan)) and str(real_length) in general[0].message
    intune = [f for f in lint(plan, fmt="intune-msi", now=NOW) if f.rule == "intune-length"]
    assert intune and intune[0].severity == "error"
    assert not [f for f in lint(seed_plan(), fmt="intune", now=NOW) if f.rule == "intune-length"]
    assert not [f for f in lint(plan, fmt="windows", now=NOW) if f.rule == "intune-length"]  # not an Intune line


def test_secrets_never_appear_in_findings():
    token = "secret-token-value"
    plan = cmg_plan(scenario="cmg-token", regtoken=token)
    for finding in lint(plan, now=NOW):
        assert token not in finding.message and token not in finding.fix


def test_valid_variants_do_not_fire():
    assert not has_errors(lint(cmg_plan(sitecode="AUTO", ccmhostname=None, mp=("mp1",), scenario="onprem-mp",
                                         aadtenantid=None, aadclientappid=None, aadresourceuri=None), now=NOW))
    assert not [f for f in lint(cmg_plan(aadresourceuri="api://contoso/7506ee10"), now=NOW)
                if f.rule == "resource-uri"]
    assert not [f for f in lint(cmg_plan(sitecode="s01"), now=NOW) if f.rule == "site-code"]
    pki_cmg = InstallPlan(scenario="cmg", ccmhostname=CMG, sitecode="ABC", parameters=(("/UsePKICert", None),))
    assert not [f for f in lint(pki_cmg, now=NOW) if f.rule == "pki-with-entra"]


def test_lint_field_returns_only_that_inputs_findings():
    plan = cmg_plan(sitecode="AB", aadtenantid="nope")
    by_field = lint_field(plan, "sitecode", now=NOW)
    assert [f.rule for f in by_field] == ["site-code"]
    assert [f.rule for f in lint_field(plan, "SMSSITECODE", now=NOW)] == ["site-code"]
    assert [f.rule for f in lint_field(plan, "aadtenantid", now=NOW)] == ["guid"]
    assert lint_field(plan, "aadclientappid", now=NOW) == []
    mp_plan = cmg_plan(mp=(CMG,))
    assert [f.rule for f in lint_field(mp_plan, "mp", now=NOW)] == ["cmg-mp-scheme"]
    assert [f.rule for f in lint_field(mp_plan, "/MP", now=NOW)] == ["cmg-mp-scheme"]


def test_findings_are_sorted_errors_first():
    findings = lint(cmg_plan(sitecode="AB", smsmp=None).with_property("FOO", "1"), now=NOW)
    order = [f.severity for f in findings]
    assert order == sorted(order, key=["error", "warning", "info"].index)


def test_lint_field_scenario():
    assert [f.rule for f in lint_field(cmg_plan(scenario="onprem-mp"), "scenario", now=NOW)] == ["scenario-mismatch"]


@pytest.mark.parametrize(
    "mp",
    ["bad_host!", "https://" + "a" * 64 + ".contoso.com", "https://" + "a" * 64 + ".cloudapp.net/CCM_Proxy_MutualAuth/1",
     "mp 01.contoso.com"],
)
def test_mp_sources_must_name_a_host(mp):
    plan = InstallPlan(scenario="onprem-mp", mp=(mp,), sitecode="ABC")
    assert any(f.rule == "invalid-value" and f.field == "/mp" for f in lint(plan))


@pytest.mark.parametrize("mp", ["mp01", "mp01.contoso.com", "https://mp02.contoso.com:443", "10.0.0.5",
                                "https://cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975"])
def test_valid_mp_sources_pass_the_host_rule(mp):
    plan = InstallPlan(scenario="onprem-mp", mp=(mp,), sitecode="ABC")
    assert not any(f.rule == "invalid-value" and f.field == "/mp" for f in lint(plan))


def test_cmg_hostname_with_an_overlong_label_is_not_a_host():
    host = "a" * 64 + ".cloudapp.net/CCM_Proxy_MutualAuth/1"
    plan = InstallPlan(scenario="cmg", mp=("https://" + host,), ccmhostname=host, sitecode="ABC")
    assert any(f.rule == "invalid-value" and f.field == "CCMHOSTNAME" for f in lint(plan))


# ---- issue 11: false positives removed, wording --------------------------------------------------------

def rules_of(plan, **kw):
    return [f.rule for f in lint(plan, now=NOW, **kw)]


def test_the_docs_workgroup_example_and_uninstall_need_no_mp():
    workgroup = parse_command("CCMSetup.exe SMSSITECODE=ABC DNSSUFFIX=contoso.com").plan
    assert "missing-required" not in rules_of(workgroup)
    assert "missing-required" not in rules_of(parse_command("ccmsetup.exe /uninstall").plan)
    assert "missing-required" in rules_of(parse_command("CCMSetup.exe SMSSITECODE=ABC").plan)


def test_default_https_port_in_the_cmg_mp_is_the_same_gateway():
    host = "CONTOSO.CLOUDAPP.NET"
    plan = cmg_plan(mp=(f"https://{host}:443/CCM_Proxy_MutualAuth/72186325152220500",))
    assert "cmg-address" not in rules_of(plan)
    other_port = cmg_plan(mp=(f"https://{host}:8443/CCM_Proxy_MutualAuth/72186325152220500",))
    assert "cmg-address" in rules_of(other_port)


def test_a_serverauth_path_is_named_not_called_a_bad_host():
    plan = cmg_plan(mp=("https://" + CMG.replace("MutualAuth", "ServerAuth"),))
    findings = [f for f in lint(plan, now=NOW) if f.field == "/mp"]
    assert [f.rule for f in findings if f.severity == "error"] == ["cmg-address"]
    assert "ServerAuth" in findings[0].message and "not a host name" not in findings[0].message
    hostname = [f for f in lint(cmg_plan(ccmhostname=CMG.replace("MutualAuth", "ServerAuth")), now=NOW)
                if f.rule == "cmg-address"]
    assert "ServerAuth" in hostname[0].message and "MutualAuth" in hostname[0].fix


def test_an_internet_mp_plain_fqdn_stays_valid():
    plan = InstallPlan(scenario="internet-mp", ccmhostname="ibcm.contoso.com", sitecode="ABC",
                       parameters=(("/UsePKICert", None),))
    assert not has_errors(lint(plan, now=NOW))


def test_provisionts_depends_on_the_output_format():
    plan = cmg_plan().with_property("PROVISIONTS", "PRI20001")
    for fmt, expected in (("intune-msi", None), ("intune", None), ("windows", "error"), ("cmd", "error"),
                          (None, "warning")):
        found = [f.severity for f in lint(plan, fmt=fmt, now=NOW) if f.rule == "msi-only-property"]
        assert found == ([expected] if expected else []), fmt


def test_cache_percent_in_range_passes():
    plan = cmg_plan().with_property("SMSCACHEFLAGS", "PERCENTFREEDISKSPACE").with_property("SMSCACHESIZE", "50")
    assert "cache-settings" not in rules_of(plan)
    assert "cache-settings" not in rules_of(cmg_plan().with_property("SMSCACHESIZE", "5120"))


def test_severity_and_wording_follow_the_docs():
    texts = load_rule_texts()
    order = texts["params-before-properties"]["texts"]["order"]["message"]
    assert "documentation asks" in order and "needs" not in order
    tip = [f for f in lint(cmg_plan(scenario="cmg-token", regtoken=jwt(NOW + timedelta(days=2))), now=NOW)
           if f.rule == "regtoken-with-mp"][0]
    assert tip.severity == "info" and "Tip" in tip.message and "0x87d0027e" in tip.message
    pki = [f for f in lint(cmg_plan().with_parameter("/UsePKICert"), now=NOW) if f.rule == "pki-with-entra"][0]
    assert "AADRESOURCEURI and AADCLIENTAPPID" in pki.fix and "PKI client" in pki.message
