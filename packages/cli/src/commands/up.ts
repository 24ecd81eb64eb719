export const summary = 'up';

export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('porthole up: arrives with its issue\n');
  return 1;
}
