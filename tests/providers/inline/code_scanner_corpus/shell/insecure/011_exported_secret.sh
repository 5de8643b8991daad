export DB_PASSWORD=Sup3rS3cret99 # expect: generic.hardcoded-secret
API_KEY="9f8e7d6c5b4a39281706f5e4d3c2b1a0" # expect: generic.hardcoded-secret
psql "host=db user=app password=$DB_PASSWORD" -c 'select 1'
