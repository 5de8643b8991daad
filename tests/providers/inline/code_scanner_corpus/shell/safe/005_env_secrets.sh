export PASSWORD="${PASSWORD:?set PASSWORD first}"
export API_KEY=your_api_key_here
mysql -u root -p
SSHPASS="$(cat ~/.deploy_pw)" sshpass -e ssh deploy@host uptime
docker login -u deploy --password-stdin registry.example.com < token.txt
