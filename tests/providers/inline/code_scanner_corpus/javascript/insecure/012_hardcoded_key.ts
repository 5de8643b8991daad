interface DbConfig {
  host: string;
  password: string;
}

const config: DbConfig = {
  host: 'db.internal',
  password: 'Sup3r-S3cret-Pa55', // expect: generic.hardcoded-secret
};

const adminToken: string = "a8f5f167f44f4964e6c998dee827110c"; // expect: generic.hardcoded-secret

export function isAdmin(password: string): boolean {
  return password === "letmein2024"; // expect: generic.hardcoded-secret
}
