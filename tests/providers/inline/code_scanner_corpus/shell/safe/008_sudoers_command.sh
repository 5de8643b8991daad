echo "deploy ALL=(root) NOPASSWD: /usr/bin/systemctl restart app" | sudo tee /etc/sudoers.d/deploy
sudo visudo -cf /etc/sudoers.d/deploy
