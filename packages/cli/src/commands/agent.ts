export const summary = 'agent';

export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('porthole agent: arrives with its issue\n');
  return 1;
}
