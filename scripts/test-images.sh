#!/usr/bin/env bash
# Builds the workspace images (desktop, desktop-deluxe, firefox) the integration and e2e tiers run,
# through the CLI and the Docker Engine API. Unchanged images are skipped by their inputs hash, so
# after the first run (a few minutes) this takes about a second. Called by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f packages/cli/dist/bin.js ] || npx tsc -b
if ! node packages/cli/bin/porthole.js images build "$@"; then
  echo 'test-images: building the workspace images FAILED (see the output above)' >&2
  exit 1
fi
