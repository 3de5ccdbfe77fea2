#!/usr/bin/env bash
# Bundle smoke test: build the Linux onedir bundle from this checkout and run it as support staff would.
#
#   bash installer/ci_smoke.sh          (after: pip install -e '.[test,build]')
#
# Python: $PYTHON, else .venv/bin/python when present, else python3. Prints each step; exits non-zero on the
# first failure, showing that step's output.
set -euo pipefail
cd "$(dirname "$0")/.."

export QT_QPA_PLATFORM=offscreen
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
    if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
STEP_TIMEOUT="${CI_SMOKE_STEP_TIMEOUT:-300}"
started=$SECONDS
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

say() { echo "ci_smoke: $*"; }
fail() { echo "ci_smoke: FAILED: $*" >&2; exit 1; }

# run NAME EXPECTED_EXIT COMMAND...: run a step with a time limit; on a wrong exit code show its output.
run() {
    local name="$1" expected="$2"
    shift 2
    say "$name: $(printf '%q ' "$@")"
    local rc=0
    timeout "$STEP_TIMEOUT" "$@" >"$work/out" 2>&1 || rc=$?
    if [ "$rc" != "$expected" ]; then
        tail -n 40 "$work/out" >&2
        if [ "$rc" = 124 ]; then fail "$name timed out after ${STEP_TIMEOUT}s"; fi
        fail "$name exited $rc, expected $expected"
    fi
    sed 's/^/    /' "$work/out" | tail -n 8
}

"$PY" -c "import PyInstaller" 2>/dev/null \
    || fail "PyInstaller is not installed for $PY: run $PY -m pip install -e '.[test,build]'"
for tool in ldd objdump; do
    command -v "$tool" >/dev/null || fail "PyInstaller needs '$tool' on Linux: apt-get install binutils libc-bin"
done

run "build (PyInstaller + portable zip)" 0 "$PY" installer/build.py
version="$("$PY" -c 'import sys; sys.path.insert(0, "installer"); import spec_support; print(spec_support.read_version())')"
tag="$("$PY" -c 'import sys; sys.path.insert(0, "installer"); import spec_support; print(spec_support.platform_tag())')"
bundle=dist/ccmsetup-wizard
cli="$bundle/ccmsetup-wizard-cli"
gui="$bundle/ccmsetup-wizard"
archive="ccmsetup-wizard-$version-$tag.zip"

run "zip checksum" 0 bash -c "cd dist && sha256sum -c '$archive.sha256'"
run "bundle contents" 0 "$PY" installer/check_bundle.py "$bundle"

run "cli --version" 0 "$cli" --version
grep -qx "ccmsetup-wizard $version" "$work/out" || fail "--version printed '$(cat "$work/out")', expected 'ccmsetup-wizard $version'"

# The seed's CMG example (issue 2): a valid Entra ID + CMG command.
seed='ccmsetup.exe /mp:https://CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500 CCMHOSTNAME=CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500 SMSSITECODE=ABC SMSMP=https://mp1.contoso.com AADTENANTID=daf4a1c2-3a0c-401b-966f-0b855d3abd1a AADCLIENTAPPID=7506ee10-f7ec-415a-b415-cd3d58790d97 AADRESOURCEURI=https://contososerver'
run "cli lint (seed CMG example)" 0 "$cli" lint "$seed"

run "cli install --demo (headless, simulated device)" 0 "$cli" install --demo --yes --speed 50

# The demo host starts the simulator through the running executable (`<exe> simulate`) when frozen.
for exe in "$cli" "$gui"; do
    logs="$work/simulate-$(basename "$exe")"
    run "$(basename "$exe") simulate" 0 "$exe" simulate --log-dir "$logs" --speed 50 -- \
        /mp:https://mp1.contoso.com SMSSITECODE=ABC
    for _ in $(seq 1 50); do [ -s "$logs/ccmsetup.log" ] && break; sleep 0.2; done
    [ -s "$logs/ccmsetup.log" ] || fail "$(basename "$exe") simulate wrote no $logs/ccmsetup.log"
done

run "gui --self-test (offscreen)" 0 "$gui" --self-test

# keyring in the Linux bundle: the bundles leave out SecretStorage and the cryptography package it needs (see
# installer/spec_support.py, BUNDLE_LEAVES_OUT), so a token saved with the bundle stays in memory, and the bundle
# must say that this build is why, not that the machine has no keyring (it may run a Secret Service just fine).
if [ "$(uname -s)" = Linux ]; then
    token='eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.c2ln'
    cmg='CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500'
    run "cli command --save-profile with a token (keyring of the Linux bundle)" 0 "$cli" command \
        --from "ccmsetup.exe /mp:https://$cmg /regtoken:$token CCMHOSTNAME=$cmg SMSSITECODE=ABC" \
        --save-profile "$work/token-profile.json"
    grep -q "this build has no Secret Service support" "$work/out" \
        || fail "the Linux bundle did not say that it has no Secret Service support: $(cat "$work/out")"
    if grep -q "$token" "$work/token-profile.json"; then fail "the token was written to the profile"; fi
fi

if command -v unzip >/dev/null; then
    run "unzip the portable zip" 0 unzip -q "dist/$archive" -d "$work/unzipped"
    run "cli --version from the unzipped copy" 0 "$work/unzipped/ccmsetup-wizard-$version/ccmsetup-wizard-cli" --version
else
    say "unzip not installed: skipped running the bundle from the portable zip"
fi

# pip users get the icons too: the wheel carries resources/ as wizard/resources.
run "wheel build" 0 "$PY" -m pip wheel -q --no-deps -w "$work/wheel" .
run "wheel carries the icons and data tables" 0 "$PY" - "$work/wheel" <<'PYEOF'
import sys, zipfile, pathlib
wheel = next(pathlib.Path(sys.argv[1]).glob("*.whl"))
names = set(zipfile.ZipFile(wheel).namelist())
need = ["wizard/resources/icons/app.svg", "wizard/core/data/catalog.json", "wizard/host/data/checks.json",
        "wizard/resources/worlds/entra-joined.json", "wizard/resources/labs/wrong-tenant.json"]
missing = [n for n in need if n not in names]
sys.exit(f"{wheel.name} lacks {missing}" if missing else 0)
PYEOF

say "ok: bundle $bundle ($(du -sh "$bundle" | cut -f1)), dist/$archive; $((SECONDS - started)) s"
