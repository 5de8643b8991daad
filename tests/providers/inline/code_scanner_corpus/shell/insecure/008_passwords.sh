sshpass -p 'Winter2024!' ssh admin@10.0.0.5 uptime # expect: shell.password-on-command-line
mysql -u root -pS3cretRoot -e "SHOW DATABASES" # expect: shell.password-on-command-line
mysqldump --password=dumpPa55 shop > shop.sql # expect: shell.password-on-command-line, generic.hardcoded-secret
curl -u admin:adm1nPa55 https://ci.example.com/api/json # expect: shell.password-on-command-line
docker login -u deploy -p "$REGISTRY_PASSWORD" registry.example.com # expect: shell.password-on-command-line
