curl -k https://internal.example.com/api # expect: shell.insecure-tls
curl -sSLk -o tool.tgz https://internal.example.com/tool.tgz # expect: shell.insecure-tls
wget --no-check-certificate https://internal.example.com/file # expect: shell.insecure-tls
git config --global http.sslVerify false # expect: shell.insecure-tls
export NODE_TLS_REJECT_UNAUTHORIZED=0 # expect: shell.insecure-tls
