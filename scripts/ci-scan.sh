#!/usr/bin/env bash
# Runs one nhiscan scan in a CI job: the GitHub Action and the GitLab template call this.
#
# Environment:
#   NHISCAN_SOURCES     sources to scan, space-separated (required), e.g. "manifests:. aws"
#   NHISCAN_FAIL_ON     critical|high|medium|low|none (default high)
#   NHISCAN_FORMATS     output formats (default json,sarif,junit,md,html)
#   NHISCAN_OUTPUT_DIR  where outputs go (default nhiscan-out)
#   NHISCAN_ARGS        more options, space-separated (e.g. "--baseline base/results.json --waivers waivers.yaml")
#   GITHUB_STEP_SUMMARY, GITHUB_OUTPUT  set by GitHub Actions: the summary and outputs are written there
# Exits with nhiscan's exit code: 0 gate passed, 1 findings, 2 bad input, 3 partial read.
set -uo pipefail

if [[ -z "${NHISCAN_SOURCES:-}" ]]; then
  echo "nhiscan: error: set NHISCAN_SOURCES to the sources to scan, e.g. \"manifests:. aws\"" >&2
  exit 2  # bad usage, as nhiscan says it; 1 would read as "findings"
fi
read -r -a sources <<< "$NHISCAN_SOURCES"
read -r -a extra <<< "${NHISCAN_ARGS:-}"
output_dir="${NHISCAN_OUTPUT_DIR:-nhiscan-out}"

nhiscan scan "${sources[@]}" \
  --format "${NHISCAN_FORMATS:-json,sarif,junit,md,html}" \
  --output-dir "$output_dir" \
  --fail-on "${NHISCAN_FAIL_ON:-high}" \
  "${extra[@]}"
status=$?

if [[ -n "${GITHUB_STEP_SUMMARY:-}" && -f "$output_dir/summary.md" ]]; then
  cat "$output_dir/summary.md" >> "$GITHUB_STEP_SUMMARY"
fi
if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
  {
    echo "exit-code=$status"
    echo "output-dir=$output_dir"
    echo "sarif=$output_dir/results.sarif"
  } >> "$GITHUB_OUTPUT"
fi
exit "$status"
