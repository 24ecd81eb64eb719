export const summary = 'migrate';

export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('porthole migrate: arrives with its issue\n');
  return 1;
}
