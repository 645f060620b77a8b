#!/usr/bin/env bash
# Fetches the official SARIF 2.1.0 JSON Schema that the tests validate results.sarif against. It
# ships in Microsoft's @microsoft/jest-sarif package on the npm registry (lib/schemas/); the file
# is kept in .cache/test-schemas/ and fetched once.
set -euo pipefail
cd "$(dirname "$0")/.."

target=.cache/test-schemas/sarif-2.1.0-rtm.5.json
if [[ -s "$target" ]]; then
  exit 0
fi
mkdir -p .cache/test-schemas
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null)
tar -xzf "$work"/microsoft-jest-sarif-1.0.0-beta.0.tgz -C "$work" package/lib/schemas/sarif-2.1.0-rtm.5.json
mv "$work/package/lib/schemas/sarif-2.1.0-rtm.5.json" "$target"
