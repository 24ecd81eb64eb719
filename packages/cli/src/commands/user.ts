export const summary = 'user';

export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('porthole user: arrives with its issue\n');
  return 1;
}
