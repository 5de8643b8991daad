wget -qO- https://example.com/bootstrap.sh | bash # expect: shell.curl-pipe-sh
bash <(curl -s https://example.com/run.sh) # expect: shell.curl-pipe-sh
sh -c "$(curl -fsSL https://raw.example.com/install.sh)" # expect: shell.curl-pipe-sh
curl -fsSL https://example.com/get.py | python3 - # expect: shell.curl-pipe-sh
