import pytest
from pydantic import ValidationError

from wizard.core.plan import (
    SCENARIOS,
    InstallPlan,
    cmg_hostname_from_mp,
    cmg_mp_from_hostname,
    infer_scenario,
    split_cmg_address,
)

CMG = "CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500"


def test_scenarios_are_ordered_and_described():
    assert [s.id for s in SCENARIOS] == ["onprem-mp", "cmg", "internet-mp", "cmg-token"]
    for s in SCENARIOS:
        assert s.title and s.when and s.doc.startswith("https://")


def test_plan_is_frozen_and_rejects_unknown_fields():
    plan = InstallPlan()
    with pytest.raises(ValidationError):
        plan.sitecode = "ABC"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        InstallPlan(site_code="ABC")
    with pytest.raises(ValidationError):
        InstallPlan(scenario="cloud")


def test_values_are_kept_as_typed_but_empty_means_unset():
    plan = InstallPlan(sitecode=" ab ", ccmhostname="")
    assert plan.sitecode == " ab " and plan.ccmhostname is None


def test_helpers_return_new_plans_with_canonical_names():
    plan = InstallPlan()
    changed = plan.with_parameter("nocrlcheck").with_parameter("/BITSPRIORITY", "HIGH").with_property("fsp", "f1")
    assert plan.parameters == () and plan.properties == ()
    assert changed.parameters == (("/NoCRLCheck", None), ("/BITSPriority", "HIGH"))
    assert changed.properties == (("FSP", "f1"),)
    changed = changed.with_parameter("/bitspriority", "LOW")
    assert changed.parameters[1] == ("/BITSPriority", "LOW")
    assert changed.without_parameter("/NOCRLCHECK").parameters == (("/BITSPriority", "LOW"),)
    assert changed.without_property("fsp").properties == ()


def test_dedicated_fields_are_reached_through_the_helpers():
    plan = InstallPlan().with_property("smssitecode", "ABC").with_parameter("/mp", "a;b").with_parameter("regtoken", "t")
    assert plan.sitecode == "ABC" and plan.mp == ("a", "b") and plan.regtoken == "t"
    assert plan.property("SMSSITECODE") == "ABC" and plan.has_property("smssitecode")
    assert plan.parameter("/MP") == (True, "a;b")
    assert plan.parameter("/regtoken") == (True, "t")
    assert plan.without_parameter("mp").mp == ()
    assert plan.without_property("SMSSITECODE").sitecode is None
    with pytest.raises(ValidationError):
        InstallPlan(properties=(("SMSSITECODE", "ABC"),))
    with pytest.raises(ValidationError):
        InstallPlan(parameters=(("/mp", "x"),))


def test_names_are_checked():
    with pytest.raises(ValidationError):
        InstallPlan(properties=(("BAD NAME", "x"),))
    with pytest.raises(ValidationError):
        InstallPlan(parameters=(("/a:b", None),))
    assert InstallPlan(parameters=(("custom", None),)).parameters == (("/custom", None),)


def test_lookups():
    plan = InstallPlan(parameters=(("/noservice", None), ("/retry", "5")), properties=(("FSP", "x"),))
    assert plan.has_switch("/NoService") and plan.noservice
    assert plan.parameter("retry") == (True, "5")
    assert plan.parameter("/logon") == (False, None)
    assert plan.property("fsp") == "x" and plan.property("DNSSUFFIX") is None
    assert not InstallPlan().noservice


def test_is_entra():
    assert InstallPlan(aadtenantid="x").is_entra
    assert InstallPlan(scenario="cmg", ccmhostname=CMG).is_entra
    assert not InstallPlan(scenario="cmg", ccmhostname=CMG, parameters=(("/UsePKICert", None),)).is_entra
    assert not InstallPlan(scenario="cmg-token", ccmhostname=CMG, regtoken="t").is_entra
    assert not InstallPlan(mp=("mp1",)).is_entra


def test_infer_scenario():
    assert infer_scenario(InstallPlan(mp=("mp1",))) == "onprem-mp"
    assert infer_scenario(InstallPlan(ccmhostname=CMG)) == "cmg"
    assert infer_scenario(InstallPlan(ccmhostname=CMG.lower())) == "cmg"
    assert infer_scenario(InstallPlan(ccmhostname=CMG, regtoken="t")) == "cmg-token"
    assert infer_scenario(InstallPlan(ccmhostname="ibcm.contoso.com")) == "internet-mp"
    assert infer_scenario(InstallPlan(mp=("https://" + CMG,))) == "cmg"


def test_cmg_address_helpers():
    assert cmg_mp_from_hostname(CMG) == "https://" + CMG
    assert cmg_mp_from_hostname("https://" + CMG) == "https://" + CMG
    assert cmg_hostname_from_mp("https://" + CMG + "/") == CMG
    assert cmg_hostname_from_mp(CMG) == CMG
    expected = ("CONTOSO.CLOUDAPP.NET", "CCM_Proxy_MutualAuth", "72186325152220500")
    assert split_cmg_address(CMG) == expected
    assert split_cmg_address("HTTPS://" + CMG.replace("CCM_Proxy_MutualAuth", "ccm_proxy_mutualauth")) == expected
    assert split_cmg_address("http://" + CMG) is None
    assert split_cmg_address("contoso.cloudapp.net/CCM_Proxy_MutualAuth/abc") is None
    assert split_cmg_address("mp1.contoso.com") is None


def test_json_round_trip():
    plan = InstallPlan(mp=("a",), parameters=(("/NoCRLCheck", None),), properties=(("FSP", "x"),))
    assert InstallPlan.model_validate_json(plan.model_dump_json()) == plan
