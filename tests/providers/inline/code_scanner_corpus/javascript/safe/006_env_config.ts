interface Config {
  apiKey: string | undefined;
  password: string;
}

export const config: Config = {
  apiKey: process.env.API_KEY,
  password: '<your-password>',
};

const token = process.env.GITHUB_TOKEN ?? '';
if (config.password === '') {
  throw new Error('password is required');
}
