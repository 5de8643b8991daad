#!/bin/bash
read -r -p "Command: " user_cmd
eval "$user_cmd" # expect: shell.eval
eval $1 # expect: shell.eval
