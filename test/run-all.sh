#!/usr/bin/env bash
# The README's test command (npm test): build, lint, unit tests, the fixtures, integration and e2e tests.
# The fixtures (test guests, the Debian cloud image, installer media) are mostly downloads: they are
# built while lint and the unit tests run, and waited for before the first test that needs them.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run -s build
mkdir -p test-output
npm run -s fixtures > test-output/fixtures.log 2>&1 &
fixtures=$!
trap 'kill $fixtures 2>/dev/null || true' EXIT
npm run -s lint
npm run -s test:unit
if ! wait "$fixtures"; then
  echo "the fixtures could not be built; the end of test-output/fixtures.log:" >&2
  tail -n 40 test-output/fixtures.log >&2
  exit 1
fi
trap - EXIT
tail -n 3 test-output/fixtures.log
npm run -s test:integration
npm run -s test:e2e
