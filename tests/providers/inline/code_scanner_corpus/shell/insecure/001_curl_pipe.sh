#!/usr/bin/env bash
set -e
# install the tool
curl -fsSL https://get.example.com/install.sh | sh # expect: shell.curl-pipe-sh
curl -s https://example.com/setup | sudo -E bash - # expect: shell.curl-pipe-sh
