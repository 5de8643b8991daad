const crypto = require('crypto');

function generateSessionToken() {
  return crypto.randomBytes(32).toString('hex');
}

function checksum(data) {
  return crypto.createHash('sha256').update(data).digest('hex');
}

function jitter(ms) {
  return ms + Math.floor(Math.random() * 100);
}
