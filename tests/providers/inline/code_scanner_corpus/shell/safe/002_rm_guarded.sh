#!/bin/bash
set -euo pipefail
tmpdir=$(mktemp -d)
rm -rf "${BUILD_DIR:?}/"
rm -rf "$tmpdir"
rm -f ./*.log
rm -rf build/ dist/
