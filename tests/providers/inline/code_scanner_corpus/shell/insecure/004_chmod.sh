mkdir -p /var/www/uploads
chmod -R 777 /var/www/uploads # expect: shell.chmod-world-writable
chmod 666 /etc/app/config.yml # expect: shell.chmod-world-writable
chmod o+w /srv/shared # expect: shell.chmod-world-writable
