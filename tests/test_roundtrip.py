"""parse(render(plan)) == plan for every renderer.

What can't be expressed (and so is left out of the generated plans, and reported by the
`value-quoting` rule instead): line breaks, NUL and other control characters in values (no command
line can carry them), `;` inside one /mp entry (it is the list separator), internal switches such as
/runservice (the parser drops them on purpose), and the intune format of a plan with nothing in it
(an empty string is not a command). Values with `"` do round-trip through our CRT-style quoting, but
ccmsetup and Windows Installer read raw quotes their own way, so the rules reject them for real use.
"""

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from wizard.core.catalog import load_catalog
from wizard.core.parse import parse_command
from wizard.core.plan import DEDICATED_FIELDS, InstallPlan, infer_scenario
from wizard.core.render import FORMATS, build_argv, render

CATALOG = load_catalog()
_DEDICATED = {name.upper() for name in DEDICATED_FIELDS.values()}
PARAMETER_NAMES = [e.name for e in CATALOG.parameters() if not e.internal and e.name.upper() not in _DEDICATED]
PROPERTY_NAMES = [e.name for e in CATALOG.properties()
                  if e.name.upper() not in _DEDICATED and e.name != "CCMSETUPCMD"]

# Printable text with the characters that matter to cmd, PowerShell, MSI and CRT quoting, plus
# non-ASCII; no control characters, surrogates or line/paragraph separators.
TRICKY = list(' "\'%&^!<>|()\\;=:,\t') + ["é", "ü", "ß", "日", "’", "‘", "€", "😀"]
VALUE_CHARS = st.one_of(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), st.sampled_from(TRICKY))
values = st.text(alphabet=VALUE_CHARS, max_size=16)
safe_values = st.text(alphabet=VALUE_CHARS.filter(lambda c: c != "\t"), max_size=16)
mp_entry = st.text(alphabet=VALUE_CHARS.filter(lambda c: c not in ";\t"), max_size=16)
unknown_property_names = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_.]{0,10}\Z").filter(
    lambda n: CATALOG.get(n) is None and n.upper() not in _DEDICATED and n.upper() != "CCMSETUPCMD")
unknown_parameter_names = st.from_regex(r"\A/[A-Za-z][A-Za-z0-9_]{0,10}\Z").filter(
    lambda n: CATALOG.parameter(n) is None)
optional_text = st.one_of(st.none(), safe_values)

parameters = st.lists(
    st.tuples(st.one_of(st.sampled_from(PARAMETER_NAMES), unknown_parameter_names),
              st.one_of(st.none(), safe_values)),
    max_size=4,
)
properties = st.lists(
    st.tuples(st.one_of(st.sampled_from(PROPERTY_NAMES), unknown_property_names), safe_values),
    max_size=4,
)


@st.composite
def plans(draw):
    plan = InstallPlan(
        mp=tuple(draw(st.lists(mp_entry, max_size=3))),
        ccmhostname=draw(optional_text),
        sitecode=draw(optional_text),
        smsmp=draw(optional_text),
        aadtenantid=draw(optional_text),
        aadclientappid=draw(optional_text),
        aadresourceuri=draw(optional_text),
        regtoken=draw(optional_text),
        parameters=tuple(draw(parameters)),
        properties=tuple(draw(properties)),
    )
    # The command can only say which scenario it is through its contents.
    return plan.update(scenario=infer_scenario(plan))


EXES = st.sampled_from(["ccmsetup.exe", r"C:\Program Files\Client\ccmsetup.exe", r"\\server\SMS_ABC\Client\ccmsetup.exe",
                        r"D:\100% sure\ccmsetup.exe"])


def check_round_trip(plan: InstallPlan, exe: str) -> None:
    for fmt in FORMATS:
        if fmt == "intune" and not build_argv(plan):
            continue
        text = render(plan, fmt, show_secrets=True, exe=exe)
        parsed = parse_command(text)
        assert parsed.plan == plan, (fmt, text)
        if fmt in ("windows", "json"):
            assert parsed.executable == exe, (fmt, text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans(), EXES)
@example(InstallPlan(properties=(("CCMADMINS", "\xa0"),)), "ccmsetup.exe")  # a Unicode blank is value text
@example(InstallPlan(), "ccmsetup.exe")
def test_every_renderer_round_trips(plan, exe):
    check_round_trip(plan, exe)


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans(), EXES)
def test_every_renderer_round_trips_many(plan, exe):
    check_round_trip(plan, exe)


@given(st.lists(st.tuples(st.sampled_from(PROPERTY_NAMES), values), min_size=1, max_size=3))
@settings(max_examples=100, deadline=None)
def test_tabs_in_values_round_trip_too(props):
    plan = InstallPlan(sitecode="ABC", properties=tuple(props))
    plan = plan.update(scenario=infer_scenario(plan))
    assume(build_argv(plan))
    check_round_trip(plan, "ccmsetup.exe")


def test_masked_secret_round_trips_as_the_mask():
    plan = InstallPlan(scenario="cmg-token", ccmhostname="c/CCM_Proxy_MutualAuth/1", sitecode="ABC",
                       regtoken="real token")
    for fmt in FORMATS:
        assert parse_command(render(plan, fmt)).plan.regtoken == "********", fmt
