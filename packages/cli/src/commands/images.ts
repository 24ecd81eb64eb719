export const summary = 'images';

export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('porthole images: arrives with its issue\n');
  return 1;
}
