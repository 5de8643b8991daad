useradd -m deploy
echo "deploy ALL=(ALL) NOPASSWD: ALL" >> /etc/sudoers # expect: shell.sudoers-nopasswd
echo 'deploy ALL=(ALL) NOPASSWD:ALL' | sudo tee /etc/sudoers.d/deploy # expect: shell.sudoers-nopasswd
