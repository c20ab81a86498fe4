#!/usr/bin/env bash
# Browser tests drive Debian's Chromium through Playwright for Python (Playwright's own
# browser download cannot work here). Install the chromium package when it is missing.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "browser: installing Debian's chromium package"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "browser: /usr/bin/chromium is missing and cannot be installed here (need root and apt-get)." >&2
echo "         Install Debian's chromium package, or run: make test PYTEST_ARGS='-m \"not browser\"'" >&2
exit 1
