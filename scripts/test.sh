#!/usr/bin/env bash
# The one test command (README: `npm ci && npm test`; CI: `.ci/run`). Starts the real services the
# tiers need, builds the workspace images when their inputs changed, runs every tier, and stops
# what it started. Extra arguments go to vitest (e.g. `npm test -- --project unit`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/test-services.sh up
trap 'bash scripts/test-services.sh down' EXIT
# shellcheck disable=SC1091
source .test-services/env
[ -d node_modules ] || npm ci
npm run build --silent
if [ -x scripts/test-images.sh ]; then bash scripts/test-images.sh; fi
mkdir -p test-results
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@" || status=$?
node scripts/test-summary.mjs test-results/vitest.json
exit "$status"
