#!/usr/bin/env bash
# Runs every test of the project, installing first what the tests need:
#   apt: chromium (end-to-end tests in a real browser), redis-server (the Redis engine's tests),
#        systemd (systemd-analyze verify of the unit file in deploy/), nginx (the deploy/ topology's test)
#   npm: the TypeScript client's and the web app's packages (npm ci)
#   NuGet: restored by dotnet
# Stages: formatting check, .NET build (which builds the web app), .NET tests (server, .NET client),
# TypeScript client unit and integration tests, web unit tests, browser end-to-end tests. Every stage runs even if an earlier one failed; the exit code is
# non-zero if any failed, and the last line sums up all test counts.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RESULTS="$ROOT/artifacts/test-results"
rm -rf "$RESULTS"
mkdir -p "$RESULTS"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

failed_stages=()
stage() { echo; echo "=== $1"; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_system_packages() {
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v systemd-analyze >/dev/null || missing+=(systemd)
  [ -x /usr/sbin/nginx ] || missing+=(nginx)
  if [ ${#missing[@]} -gt 0 ]; then
    stage "Installing with apt: ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

install_system_packages || { echo "apt install failed"; exit 1; }

stage "npm ci (clients/typescript, web)"
(cd clients/typescript && npm ci --no-audit --no-fund) || { echo "npm ci failed"; exit 1; }
(cd web && npm ci --no-audit --no-fund) || { echo "npm ci failed"; exit 1; }

stage "dotnet format --verify-no-changes"
dotnet format Broadcast.slnx --verify-no-changes || failed_stages+=("format")

stage "dotnet build -c Release (builds the web app too)"
dotnet build Broadcast.slnx -c Release || { echo "build failed"; exit 1; }

stage ".NET tests"
dotnet test Broadcast.slnx -c Release --no-build \
  --logger "trx;LogFilePrefix=dotnet" --logger "console;verbosity=normal" \
  --results-directory "$RESULTS" || failed_stages+=("dotnet test")

stage "Deployment checks (self-contained publish, systemd unit)"
bash deploy/check.sh || failed_stages+=("deploy")

stage "TypeScript client: type check, build, unit tests"
(cd clients/typescript && npm run typecheck && npm run build && npx vitest run --reporter=default --reporter=json --outputFile="$RESULTS/vitest-client.json") || failed_stages+=("client unit")

stage "TypeScript client: integration and soak tests against the real server"
(cd clients/typescript && npx vitest run --config vitest.integration.config.ts --reporter=default --reporter=json --outputFile="$RESULTS/vitest-client-integration.json") || failed_stages+=("client integration")

stage "Web unit tests (vitest)"
(cd web && npx vitest run --reporter=default --reporter=json --outputFile="$RESULTS/vitest.json") || failed_stages+=("vitest")

stage "Browser end-to-end tests (headless Chromium)"
(cd web && npm run test:e2e 2>&1 | tee "$RESULTS/e2e.log") || failed_stages+=("e2e")

# Sum up: .NET from the trx files, vitest from its JSON report, node:test from its summary lines.
passed=0
failed=0
for trx in "$RESULTS"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*' "$trx")
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
for report in "$RESULTS"/vitest*.json; do
  [ -f "$report" ] || continue
  p=$(node -e 'const r=require(process.argv[1]);console.log(r.numPassedTests)' "$report")
  f=$(node -e 'const r=require(process.argv[1]);console.log(r.numFailedTests)' "$report")
  passed=$((passed + p)); failed=$((failed + f))
done
if [ -f "$RESULTS/e2e.log" ]; then
  p=$(sed -n -E 's/^(ℹ|#) pass ([0-9]+)$/\2/p' "$RESULTS/e2e.log" | tail -1)
  f=$(sed -n -E 's/^(ℹ|#) fail ([0-9]+)$/\2/p' "$RESULTS/e2e.log" | tail -1)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
fi

# Name every failed test last: CI keeps only the tail of this output.
python3 - "$RESULTS" <<'PY' || true
import glob, re, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for trx in sorted(glob.glob(sys.argv[1] + "/*.trx")):
    for r in ET.parse(trx).getroot().iterfind(".//t:UnitTestResult[@outcome='Failed']", ns):
        msg = r.findtext(".//t:Message", default="", namespaces=ns).strip().splitlines()
        print("FAILED TEST:", r.get("testName"))
        for line in msg[:6]:
            print("    " + line[:300])
PY
for report in "$RESULTS"/vitest*.json; do
  [ -f "$report" ] || continue
  node -e 'const r=require(process.argv[1]);for(const f of r.testResults)for(const a of f.assertionResults)if(a.status==="failed"){console.log("FAILED TEST:",a.fullName);for(const m of (a.failureMessages||[]).slice(0,1))console.log("    "+m.split("\n").slice(0,6).join("\n    "))}' "$report" || true
done
[ -f "$RESULTS/e2e.log" ] && grep -E "^\s*not ok" "$RESULTS/e2e.log" | sed 's/^/FAILED TEST: /' || true

echo
if [ ${#failed_stages[@]} -gt 0 ]; then
  echo "Failed stages: ${failed_stages[*]}"
  [ "$failed" -gt 0 ] || failed=1
fi
echo "tests: $passed passed, $failed failed"
[ ${#failed_stages[@]} -eq 0 ]
