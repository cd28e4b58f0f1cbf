#!/usr/bin/env bash
# Installs the Debian packages the test suite needs when they are missing:
#   postgresql  - the real database server the ledger and case-store tests run against
#   chromium    - the headless browser for the page and report tests
#   default-jre-headless - the Java runtime pyspark needs for the Spark-engine tests
# As root it runs apt-get; otherwise it prints the exact command and fails.
set -euo pipefail

missing=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)  # headless browser for tests/server/test_browser.py
command -v java >/dev/null || missing+=(default-jre-headless)  # pyspark (--engine spark)

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  echo "installing system packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
else
  echo "the tests need these Debian packages: ${missing[*]}" >&2
  echo "run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
