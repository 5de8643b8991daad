eval "$(ssh-agent -s)"
eval "$(pyenv init -)"
ssh-add ~/.ssh/id_ed25519
