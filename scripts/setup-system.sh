#!/usr/bin/env bash
# Installs the system packages nhiscan needs (Debian/Ubuntu): Pango and HarfBuzz for WeasyPrint's
# PDF output, and the fonts both reports name, so a PDF looks the same on every machine.
# With --venv it adds python3-venv (what `python3 -m venv` needs on Debian and Ubuntu).
# With --test it adds what the test suite drives: Chromium (for the HTML report) and poppler-utils
# (pdftotext/pdftoppm, for the PDF) and PostgreSQL (the tests start a throwaway server for the
# history store). Packages already present are not fetched again. When another program holds the
# apt lock (an unattended upgrade, another job), apt waits for it up to APT_LOCK_TIMEOUT seconds
# (default 600) instead of failing.
# Usage: bash scripts/setup-system.sh [--venv] [--test]
set -euo pipefail

packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-inter fonts-dejavu-core)
for argument in "$@"; do
  case "$argument" in
    --test) packages+=(chromium poppler-utils postgresql) ;;
    --venv) packages+=(python3-venv) ;;
    *) echo "setup-system: unknown option $argument (use --venv, --test)" >&2; exit 2 ;;
  esac
done

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
wait_for_lock=(-o "DPkg::Lock::Timeout=${APT_LOCK_TIMEOUT:-600}")
echo "setup-system: installing ${missing[*]}"
$sudo apt-get "${wait_for_lock[@]}" update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get "${wait_for_lock[@]}" install -y -qq --no-install-recommends \
  "${missing[@]}" >/dev/null
