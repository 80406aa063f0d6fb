#!/usr/bin/env bash
# Builds FerretDB v1.24.2 from this folder's wrapper module into test/ferretdb/bin/ferretdb.
# The binary is reused while go.mod, go.sum and main.go are unchanged.
set -euo pipefail
cd "$(dirname "$0")"
stamp=$(cat go.mod go.sum main.go | sha256sum | cut -c1-16)
if [ -x bin/ferretdb ] && [ "$(cat bin/.stamp 2>/dev/null)" = "$stamp" ]; then exit 0; fi
mkdir -p bin
export PATH="$PATH:/usr/local/go/bin"
go build -trimpath -o bin/ferretdb .
echo "$stamp" > bin/.stamp
