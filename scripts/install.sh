#!/usr/bin/env bash
# Installs nhiscan in its own virtual environment and puts the `nhiscan` command on PATH, with the
# system packages its PDF report needs. A system Python that is externally managed (PEP 668: Debian
# 12, Ubuntu 24.04) refuses `pip install`; a virtual environment never does, and nothing of the
# system's Python is touched. Running it again upgrades the installation in place.
#
# Usage: bash scripts/install.sh
# Environment (all optional):
#   NHISCAN_PYTHON   the Python to build the environment from (default python3; 3.11 or newer)
#   NHISCAN_HOME     where the environment lives (default ~/.local/share/nhiscan; /opt/nhiscan as root)
#   NHISCAN_BIN_DIR  where the command is linked (default: /usr/local/bin as root, else ~/.local/bin
#                    when it is on PATH, else /usr/local/bin through sudo)
#   NHISCAN_SKIP_SYSTEM=1  do not install system packages (they are there already)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "install: $*" >&2; }
on_path() { case ":$PATH:" in *":$1:"*) return 0 ;; esac; return 1; }

python=${NHISCAN_PYTHON:-python3}
if ! command -v "$python" >/dev/null; then
  say "no $python found; install Python 3.11 or newer (Debian/Ubuntu: apt-get install python3 python3-venv)"
  exit 1
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  say "nhiscan needs Python 3.11 or newer; $python is $("$python" -c 'import platform; print(platform.python_version())')"
  exit 1
fi

system_args=()
if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
  system_args+=(--venv)  # Debian and Ubuntu ship venv's ensurepip in python3-venv
fi
if [[ -z "${NHISCAN_SKIP_SYSTEM:-}" ]]; then
  bash scripts/setup-system.sh "${system_args[@]}"
fi

if [[ $(id -u) -eq 0 ]]; then
  home=${NHISCAN_HOME:-/opt/nhiscan}
else
  home=${NHISCAN_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/nhiscan}
fi
venv="$home/venv"
if [[ ! -x "$venv/bin/python" ]]; then
  say "creating the virtual environment $venv"
  mkdir -p "$home"
  "$python" -m venv "$venv"
fi
say "installing nhiscan into $venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade .

sudo=""
if [[ -n "${NHISCAN_BIN_DIR:-}" ]]; then
  bin_dir=$NHISCAN_BIN_DIR
elif [[ $(id -u) -eq 0 ]]; then
  bin_dir=/usr/local/bin
elif on_path "$HOME/.local/bin"; then
  bin_dir=$HOME/.local/bin
elif command -v sudo >/dev/null; then
  bin_dir=/usr/local/bin
  sudo="sudo"
else
  bin_dir=$HOME/.local/bin
fi
$sudo mkdir -p "$bin_dir"
$sudo ln -sfn "$venv/bin/nhiscan" "$bin_dir/nhiscan"
say "linked $bin_dir/nhiscan -> $venv/bin/nhiscan"

found=$(PATH="$PATH" command -v nhiscan || true)
if ! on_path "$bin_dir"; then
  say "$bin_dir is not on PATH: add it (export PATH=\"$bin_dir:\$PATH\") or run $bin_dir/nhiscan"
elif [[ "$found" != "$bin_dir/nhiscan" ]]; then
  say "another nhiscan comes first on PATH ($found); run $bin_dir/nhiscan or put $bin_dir first"
fi
"$venv/bin/nhiscan" --version
