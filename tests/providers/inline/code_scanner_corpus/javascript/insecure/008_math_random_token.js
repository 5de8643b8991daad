function generateSessionToken() {
  let token = '';
  for (let i = 0; i < 32; i++) {
    token += Math.floor(Math.random() * 16).toString(16); // expect: js.insecure-random
  }
  return token;
}

const resetCode = { otp: Math.random().toString().slice(2, 8) }; // expect: js.insecure-random
