#!/usr/bin/env bash
# Builds the S3-compatible test server (gofakes3 v1.2.0) from this folder's wrapper module into
# test/s3/bin/s3-test. The binary is reused while go.mod, go.sum and main.go are unchanged.
set -euo pipefail
cd "$(dirname "$0")"
stamp=$(cat go.mod go.sum main.go | sha256sum | cut -c1-16)
if [ -x bin/s3-test ] && [ "$(cat bin/.stamp 2>/dev/null)" = "$stamp" ]; then exit 0; fi
mkdir -p bin
export PATH="$PATH:/usr/local/go/bin"
go build -trimpath -o bin/s3-test .
echo "$stamp" > bin/.stamp
