#!/usr/bin/env bash
# Installs the system packages nhiscan needs (Debian/Ubuntu): Pango and HarfBuzz for WeasyPrint's
# PDF output, and the fonts both reports name, so a PDF looks the same on every machine.
# With --test it adds what the test suite drives: Chromium (for the HTML report) and poppler-utils
# (pdftotext/pdftoppm, for the PDF) and PostgreSQL (the tests start a throwaway server for the
# history store). Packages already present are not fetched again.
# Usage: bash scripts/setup-system.sh [--test]
set -euo pipefail

packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-inter fonts-dejavu-core)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(chromium poppler-utils postgresql)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

if ! command -v apt-get >/dev/null; then
  echo "setup-system: install these packages with your system's package manager: ${missing[*]}" >&2
  exit 1
fi
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  sudo="sudo"
fi
echo "setup-system: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
