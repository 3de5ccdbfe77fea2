"""Random plans, hostile values included, exported in every format (issue 9, "Done when"): without show_secrets
no secret is in the output; every output parses back to the same plan (secrets masked), or the export was refused
with a named unsafe-output error; and a plan that is not refused holds nothing that can't go on a command line.

The unmarked test is a quick sample; the slow one runs 10,000 plans x every format (`pytest -m slow`)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from wizard.core.catalog import load_catalog
from wizard.core.export import UNSAFE_OUTPUT_RULES, UnsafeOutputError, export_text
from wizard.core.parse import parse_command
from wizard.core.plan import DEDICATED_FIELDS, InstallPlan, infer_scenario
from wizard.core.redact import MASK, mask_plan, plan_secrets
from wizard.core.render import FORMATS, build_argv

CATALOG = load_catalog()
_DEDICATED = {name.upper() for name in DEDICATED_FIELDS.values()}
PARAMETER_NAMES = [e.name for e in CATALOG.parameters() if not e.internal and e.name.upper() not in _DEDICATED]
PROPERTY_NAMES = [e.name for e in CATALOG.properties() if e.name.upper() not in _DEDICATED and e.name != "CCMSETUPCMD"]
UNSAFE_CHARS = re.compile('["\x00-\x1f\x7f\x85\u2028\u2029]')

# Characters that matter to cmd, PowerShell, MSI and CRT quoting, and non-ASCII; then, in about a third of the
# plans, one hostile character (a quote, every line break str.splitlines knows, other control characters) put
# into one value, name or the exe path.
TRICKY = list(" '%&^!<>|()\\;=:,\t*") + ["é", "ß", "日", "’", "‘", "😀", "\xa0"]
HOSTILE = ['"', ";", "\r", "\n", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\x00", "\x1b", "\x7f"]
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
jwts = st.builds(lambda a, b, c: f"eyJ{a}.eyJ{b}.{c}", st.text(B64, min_size=4, max_size=24),
                 st.text(B64, min_size=4, max_size=24), st.text(B64, max_size=24))
chars = st.one_of(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters=";"),
                  st.sampled_from([*TRICKY, ";"]))
plain_values = st.text(alphabet=chars, max_size=14)
values = st.one_of(plain_values, plain_values, st.builds(lambda a, j, b: a + j + b, plain_values, jwts, plain_values))
mp_entries = st.text(alphabet=st.one_of(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"),
                                                      blacklist_characters=";"), st.sampled_from(TRICKY)),
                     max_size=14)  # ";" in an /mp entry is the value-quoting "semicolon" error, added by spoiling
tokens = st.one_of(st.none(), jwts, st.text(alphabet=chars, min_size=12, max_size=40))
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"
unknown_property_names = st.builds(lambda a, b: a + b, st.sampled_from(_LETTERS),
                                   st.text(_LETTERS + "0123456789.", max_size=10)).filter(
    lambda n: CATALOG.get(n) is None and n.upper() not in _DEDICATED and n.upper() != "CCMSETUPCMD")
unknown_parameter_names = st.builds(lambda a, b: "/" + a + b, st.sampled_from(_LETTERS[:-1]),
                                    st.text(_LETTERS + "0123456789&%^", max_size=10)).filter(
    lambda n: CATALOG.parameter(n) is None)
SAFE_EXES = ["ccmsetup.exe", r"C:\Program Files\Client\ccmsetup.exe", r"D:\100% sure & (x)\ccmsetup.exe",
             r"\\server\SMS_ABC\Client\ccmsetup.exe", "C:\\Prüfung\\ccmsetup.exe"]
EXES = st.sampled_from(SAFE_EXES)


@st.composite
def plans(draw):
    def optional():
        return draw(st.one_of(st.none(), values))

    plan = InstallPlan(
        mp=tuple(draw(st.lists(mp_entries, max_size=3))),
        ccmhostname=optional(), sitecode=optional(), smsmp=optional(), aadtenantid=optional(),
        aadclientappid=optional(), aadresourceuri=optional(),
        regtoken=draw(tokens),
        parameters=tuple(draw(st.lists(st.tuples(st.one_of(st.sampled_from(PARAMETER_NAMES), unknown_parameter_names),
                                                 st.one_of(st.none(), values)), max_size=3))),
        properties=tuple(draw(st.lists(st.tuples(st.one_of(st.sampled_from(PROPERTY_NAMES), unknown_property_names),
                                                 values), max_size=3))),
    )
    spoil = draw(st.one_of(st.none(), st.none(), st.sampled_from(HOSTILE)))
    exe = draw(EXES)
    if spoil is not None:
        where = draw(st.sampled_from(["sitecode", "regtoken", "mp", "parameter", "name", "property", "exe"]))
        text = draw(plain_values)
        cut = draw(st.integers(0, len(text)))
        bad = text[:cut] + spoil + text[cut:]
        if where in ("sitecode", "regtoken"):
            plan = plan.update(**{where: bad})
        elif where == "mp":
            plan = plan.update(mp=(*plan.mp, bad))
        elif where == "parameter":
            plan = plan.with_parameter("/source", bad)
        elif where == "name" and spoil != ";" and spoil not in '"\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029':  # \s can't be in a name
            plan = plan.with_parameter(f"/x{spoil}y", None)
        elif where == "property":
            plan = plan.with_property("CCMADMINS", bad)
        else:  # into a folder name, so the file is still called ccmsetup.exe
            exe = f"C:\\dir{spoil}x\\{exe.split(chr(92))[-1]}"
    return plan.update(scenario=infer_scenario(plan)), exe


def plan_texts(plan: InstallPlan) -> list[str]:
    texts = [*plan.mp, *(v for v in (plan.ccmhostname, plan.sitecode, plan.smsmp, plan.aadtenantid,
                                     plan.aadclientappid, plan.aadresourceuri, plan.regtoken) if v is not None)]
    for name, value in plan.parameters:
        texts += [name, value or ""]
    return texts + [value for _name, value in plan.properties]


def without_scenario(plan: InstallPlan) -> dict:
    data = plan.model_dump()
    data.pop("scenario")
    return data


JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.")


def plan_values(plan: InstallPlan) -> list[str]:
    return [*plan.mp, *(v for v in (plan.ccmhostname, plan.sitecode, plan.smsmp, plan.aadtenantid,
                                    plan.aadclientappid, plan.aadresourceuri, plan.regtoken) if v is not None),
            *(value for _name, value in plan.parameters if value is not None),
            *(value for _name, value in plan.properties)]


def check_exports(plan: InstallPlan, exe: str) -> None:
    secrets = plan_secrets(plan)
    masked = mask_plan(plan)
    for fmt in FORMATS:
        try:
            text = export_text(plan, fmt, exe=exe)
        except UnsafeOutputError as exc:
            assert exc.findings and {f.rule for f in exc.findings} <= UNSAFE_OUTPUT_RULES, fmt
            event("refused")
            continue
        event("exported")
        # Not refused: nothing in the plan or the exe path that a command line or a script line can't carry.
        assert not any(UNSAFE_CHARS.search(t) for t in plan_texts(plan)), (fmt, plan)
        assert not UNSAFE_CHARS.search(exe)
        # No secret in the output: it is the export of the masked plan (nothing else goes in), the masked plan
        # holds no secret value, and no JWT shows. (Comparing the secret with the whole text instead would flag
        # a "token" such as "AADRESOURCEU" that the script's own text happens to contain.)
        assert text == export_text(masked, fmt, exe=exe), fmt
        assert not JWT_SHAPE.search(text), (fmt, "JWT in output")
        if fmt == "windows" and secrets:
            for secret in secrets:
                if secret not in MASK:
                    assert not any(secret in value for value in plan_values(masked)), "secret left in the masked plan"
        if fmt == "intune" and not build_argv(plan):
            continue  # an empty string is not a command
        parsed = parse_command(text)
        assert without_scenario(parsed.plan) == without_scenario(masked), (fmt, text)
        if fmt == "json":
            assert parsed.plan.regtoken == (MASK if plan.regtoken is not None else None)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
@example((InstallPlan(properties=(("CCMINSTALLDIR", "C:\\CCM\r\ncalc.exe"),)), "ccmsetup.exe"))
@example((InstallPlan(sitecode="P01", properties=(("CCMADMINS", "a\u2028b"),)), "ccmsetup.exe"))
@example((InstallPlan(regtoken="opaque-secret-1234", ccmhostname="x opaque-secret-1234"), "ccmsetup.exe"))
@example((InstallPlan(sitecode="P01"), 'C:\\a" & calc & "\\ccmsetup.exe'))
@example((InstallPlan(), "C:\\dir;x\\ccmsetup.exe"))
def test_exports_are_safe_and_faithful(case):
    check_exports(*case)


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(plans())
def test_exports_are_safe_and_faithful_many(case):
    check_exports(*case)
