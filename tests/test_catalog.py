import pytest

from wizard.core.catalog import VALUE_TYPES, load_catalog

DOCUMENTED_PARAMETERS = (
    "/?", "/AllowMetered", "/AlwaysExcludeUpgrade", "/BITSPriority", "/config", "/downloadtimeout",
    "/ExcludeFeatures", "/forceinstall", "/forcereboot", "/logon", "/mp", "/NoCRLCheck", "/noservice",
    "/regtoken", "/retry", "/service", "/skipprereq", "/source", "/uninstall", "/UsePKICert",
    "/IgnoreSkipUpgrade",
)
DOCUMENTED_PROPERTIES = (
    "AADCLIENTAPPID", "AADRESOURCEURI", "AADTENANTID", "CCMADMINS", "CCMALLOWSILENTREBOOT", "CCMALWAYSINF",
    "CCMCERTISSUERS", "CCMCERTNAMECHECK", "CCMCERTSEL", "CCMCERTSTORE", "CCMDEBUGLOGGING", "CCMENABLELOGGING",
    "CCMEVALINTERVAL", "CCMEVALHOUR", "CCMFIRSTCERT", "CCMHOSTNAME", "CCMHTTPPORT", "CCMHTTPSPORT",
    "CCMINSTALLDIR", "CCMLOGLEVEL", "CCMLOGMAXHISTORY", "CCMLOGMAXSIZE", "DISABLESITEOPT", "DISABLECACHEOPT",
    "DNSSUFFIX", "FSP", "IGNOREAPPVVERSIONCHECK", "MANAGEDINSTALLER", "NOTIFYONLY", "PROVISIONTS",
    "RESETKEYINFORMATION", "SITEREASSIGN", "SMSCACHEDIR", "SMSCACHEFLAGS", "SMSCACHESIZE", "SMSCONFIGSOURCE",
    "SMSMP", "SMSMPLIST", "SMSPUBLICROOTKEY", "SMSROOTKEYPATH", "SMSSIGNCERT", "SMSSITECODE", "CCMSETUPCMD",
)
LEGACY = ("CCMHTTPSSTATE", "AADTENANTNAME", "SMSSLP", "PATCH", "SMSDIRECTORYLOOKUP")
INTERNAL = ("/runservice",)


@pytest.mark.parametrize("name", DOCUMENTED_PARAMETERS)
def test_every_documented_parameter_is_in_the_catalog_with_its_spelling(name):
    entry = load_catalog().get(name)
    assert entry is not None and entry.name == name and entry.kind == "parameter"
    assert entry.status == "documented"


@pytest.mark.parametrize("name", DOCUMENTED_PROPERTIES)
def test_every_documented_property_is_in_the_catalog(name):
    entry = load_catalog().property(name)
    assert entry is not None and entry.name == name and entry.kind == "property"


@pytest.mark.parametrize("name", LEGACY)
def test_legacy_properties_are_marked_legacy(name):
    entry = load_catalog().get(name)
    assert entry is not None and entry.legacy and not entry.internal


@pytest.mark.parametrize("name", INTERNAL)
def test_internal_switches_are_marked_internal(name):
    entry = load_catalog().get(name)
    assert entry is not None and entry.internal and entry.kind == "parameter"


def test_lookup_is_case_insensitive_and_accepts_parameters_without_slash():
    catalog = load_catalog()
    assert catalog.get("/nocrlcheck").name == "/NoCRLCheck"
    assert catalog.get("NoCRLCheck").name == "/NoCRLCheck"
    assert catalog.get("mp").name == "/mp"
    assert catalog.get("smssitecode").name == "SMSSITECODE"
    assert catalog.get("/SMSSITECODE") is None  # a slash means a parameter
    assert catalog.get("") is None
    assert catalog.get("NOT_A_THING") is None


def test_entries_are_complete_and_well_formed():
    catalog = load_catalog()
    names = set()
    for entry in catalog:
        assert entry.value_type in VALUE_TYPES
        assert entry.help and "\n" not in entry.help and len(entry.help) < 160, entry.name
        assert entry.doc.startswith("https://"), entry.name
        assert entry.source and all(s["title"] and s["kind"] for s in entry.source), entry.name
        assert entry.value_type != "enum" or entry.choices, entry.name
        assert set(entry.scenarios) <= {"onprem-mp", "cmg", "internet-mp", "cmg-token"}
        assert entry.name.upper() not in names
        names.add(entry.name.upper())
    assert [e.name for e in catalog if e.secret] == ["/regtoken"]
    assert {e.name for e in catalog if e.common} >= {"/NoCRLCheck", "/forceinstall", "/noservice"}
    assert len(catalog.parameters()) + len(catalog.properties()) == len(catalog)


def test_dedicated_fields_are_mapped():
    catalog = load_catalog()
    assert catalog.for_field("sitecode").name == "SMSSITECODE"
    assert catalog.for_field("mp").name == "/mp"
    assert catalog.for_field("regtoken").secret


def test_switches_without_a_public_source_are_gone():
    catalog = load_catalog()
    assert catalog.get("/debug") is None and catalog.get("/RetryWinTask") is None
    assert catalog.get("CCMHTTPSCERTNAME") is None and catalog.get("/AutoUpgrade") is None  # no source found


def test_upgradetolatest_is_marked_undocumented_and_has_no_invented_values():
    catalog = load_catalog()
    parameter = catalog.get("/UpgradeToLatest")
    assert parameter.undocumented and not parameter.legacy and not parameter.internal
    prop = catalog.property("UPGRADETOLATEST")
    assert prop.status == "documented" and prop.choices == () and "no values" in prop.help


def test_retry_shows_its_observed_default():
    entry = load_catalog().get("/retry")
    assert entry.default == "10" and "10" in entry.help
    assert any(s["kind"] in ("real-log", "community") for s in entry.source)
