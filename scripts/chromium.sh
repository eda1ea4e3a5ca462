#!/usr/bin/env bash
# The browser of the UI suite (tests/ui): Debian's chromium, which Playwright drives through
# executable_path (Playwright's own browser download is never used). Installs it with
# apt-get only when /usr/bin/chromium is missing, so a machine that has it pays nothing.
set -euo pipefail
if [[ -x /usr/bin/chromium ]]; then
  exit 0
fi
if [[ $(id -u) -ne 0 ]] && ! command -v sudo >/dev/null; then
  echo "scripts/chromium.sh: /usr/bin/chromium is missing; install Debian's chromium package (as root: apt-get install chromium)" >&2
  exit 1
fi
as_root=(); [[ $(id -u) -eq 0 ]] || as_root=(sudo)
echo "installing chromium (apt-get) for the UI tests..." >&2
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
test -x /usr/bin/chromium
