#!/usr/bin/env bash
# Make sure the Debian Chromium package is installed at /usr/bin/chromium.
#
# The browser tests drive the system Chromium through Playwright, because
# `playwright install` cannot download its own browser builds here. We run as
# root on the dev and CI machines, so apt-get can install it directly.
# fonts-liberation gives Arial-compatible metrics: Arial is the fallback font
# in the NHS.UK CSS when the Frutiger web font cannot load.
set -euo pipefail

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [[ -x "$CHROMIUM" ]]; then
  exit 0
fi

if [[ "$(id -u)" != "0" ]]; then
  echo "ensure-chromium: $CHROMIUM is missing and this is not root, so it cannot be installed." >&2
  echo "ensure-chromium: install it with: sudo apt-get install -y chromium" >&2
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $CHROMIUM is missing and apt-get is not available to install it." >&2
  exit 1
fi

echo "ensure-chromium: installing chromium with apt-get (this can take a few minutes)..."
export DEBIAN_FRONTEND=noninteractive
if ! apt-get update -q; then
  echo "ensure-chromium: 'apt-get update' failed; cannot install chromium." >&2
  exit 1
fi
if ! apt-get install -y -q --no-install-recommends chromium fonts-liberation; then
  echo "ensure-chromium: 'apt-get install chromium' failed." >&2
  exit 1
fi

if [[ ! -x "$CHROMIUM" ]]; then
  echo "ensure-chromium: chromium was installed but $CHROMIUM is still missing." >&2
  exit 1
fi
echo "ensure-chromium: chromium is ready at $CHROMIUM"
