#!/usr/bin/env bash
# Install headless Chromium + chromedriver for the real-browser UI tests (tests/test_ui_browser.py).
#
# Why Debian's chromium: Playwright's own browser download needs a CDN we cannot reach; the
# Playwright Python package (in .venv) drives this system Chromium via executable_path.
# Idempotent: does nothing when /usr/bin/chromium already runs. Needs root (or sudo).
# Usage: scripts/setup_browser.sh          (then: .venv/bin/pytest -m browser tests/test_ui_browser.py)
set -euo pipefail

PACKAGES=(chromium chromium-driver fonts-noto-color-emoji)  # the emoji font draws the 👍/👎 buttons

if dpkg -s "${PACKAGES[@]}" >/dev/null 2>&1 && chromium --version >/dev/null 2>&1; then
  echo "chromium already installed: $(chromium --version 2>/dev/null)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "error: run as root (or install sudo) to apt-get install chromium chromium-driver" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${PACKAGES[@]}"
echo "installed: $(chromium --version 2>/dev/null)"
