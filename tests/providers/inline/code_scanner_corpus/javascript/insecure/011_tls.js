const https = require('https');
const axios = require('axios');

process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'; // expect: js.node-tls-reject-unauthorized

const agent = new https.Agent({ rejectUnauthorized: false }); // expect: js.tls-reject-unauthorized
axios.get('https://internal.example.com', { httpsAgent: agent });
