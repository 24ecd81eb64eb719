export const summary = 'server';

export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('porthole server: arrives with its issue\n');
  return 1;
}
