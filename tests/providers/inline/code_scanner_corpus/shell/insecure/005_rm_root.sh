# clean everything
sudo rm -rf / # expect: shell.rm-rf-root
rm -rf --no-preserve-root /mnt/.. # expect: shell.rm-rf-root
rm -fr ~ # expect: shell.rm-rf-root
