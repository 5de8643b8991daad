chmod 755 /usr/local/bin/tool
chmod 600 ~/.ssh/id_ed25519
chmod +x deploy.sh
chmod -R u+rwX,go-w /srv/app
chmod 1777 /tmp/shared
