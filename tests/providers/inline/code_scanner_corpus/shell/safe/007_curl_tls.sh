curl --cacert /etc/ssl/internal-ca.pem https://internal.example.com/api
wget https://example.com/file.tgz
ssh -o StrictHostKeyChecking=yes deploy@build.example.com uptime
git config --global http.sslVerify true
