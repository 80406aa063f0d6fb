#!/usr/bin/env bash
# What `npm test` needs besides npm packages, installed when missing (runs as `pretest`):
# Debian's Chromium for the browser suite, the FerretDB build for the Mongo suite, the S3-compatible
# server (gofakes3) for the upload-store and S3 storage suites.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${CHROMIUM_PATH:-}" ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "pretest: installing Debian's chromium for the browser tests" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "pretest: the browser tests need Chromium: sudo apt-get install chromium (or set CHROMIUM_PATH)" >&2
    exit 1
  fi
fi

# With MONGODB_URL the Mongo suite runs against that server instead of FerretDB.
if [ -z "${MONGODB_URL:-}" ]; then
  bash test/ferretdb/build.sh
fi
bash test/s3/build.sh
