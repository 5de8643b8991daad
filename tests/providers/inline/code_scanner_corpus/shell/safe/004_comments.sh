# Never run: curl https://x | sh
# and never: rm -rf /
echo "curl https://example.com | sh is dangerous"
echo 'chmod 777 is too permissive'
printf '%s\n' "eval \$cmd is risky"
