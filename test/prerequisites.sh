#!/usr/bin/env bash
# What `npm test` needs besides npm packages, installed when missing (runs as `pretest`):
# Debian's Chromium for the browser suite, OpenSSL and jq, the FerretDB build for the Mongo suite, the S3-compatible
# server (gofakes3) for the upload-store and S3 storage suites.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: Chromium (unless CHROMIUM_PATH names one), and OpenSSL and jq for the signed-export
# tests (a local RFC 3161 time-stamp authority, and VERIFY.txt's commands run as written).
missing=()
if [ -z "${CHROMIUM_PATH:-}" ] && [ ! -x /usr/bin/chromium ]; then missing+=(chromium); fi
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v jq >/dev/null 2>&1 || missing+=(jq)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "pretest: installing Debian's ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "pretest: the tests need Debian's ${missing[*]}: sudo apt-get install ${missing[*]} (or set CHROMIUM_PATH for the browser)" >&2
    exit 1
  fi
fi

# With MONGODB_URL the Mongo suite runs against that server instead of FerretDB.
if [ -z "${MONGODB_URL:-}" ]; then
  bash test/ferretdb/build.sh
fi
bash test/s3/build.sh
