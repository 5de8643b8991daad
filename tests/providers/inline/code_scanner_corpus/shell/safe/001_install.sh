#!/usr/bin/env bash
set -euo pipefail
curl -fsSLo install.sh https://get.example.com/install.sh
echo "3b1f0c9d2e...  install.sh" | sha256sum -c -
bash install.sh
curl -fsSL https://example.com/key.gpg | gpg --dearmor -o /usr/share/keyrings/example.gpg
