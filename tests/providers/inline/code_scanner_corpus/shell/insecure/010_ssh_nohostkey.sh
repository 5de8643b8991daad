ssh -o StrictHostKeyChecking=no deploy@build.example.com 'make deploy' # expect: shell.ssh-host-key-check-disabled
scp -o "StrictHostKeyChecking no" app.tgz deploy@build.example.com:/srv # expect: shell.ssh-host-key-check-disabled
