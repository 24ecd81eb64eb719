import { readFileSync } from 'node:fs';

// Read from the package so the version reported at check-in always matches what was installed.
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
export const AGENT_VERSION: string = pkg.version;
