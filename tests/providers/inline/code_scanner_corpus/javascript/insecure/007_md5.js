const crypto = require('crypto');

function hashPassword(password) {
  return crypto.createHash('md5').update(password).digest('hex'); // expect: js.weak-hash
}

const sig = crypto.createHash("sha1").update(payload).digest("hex"); // expect: js.weak-hash
