import { parseImagesArgs, usage } from '../images/args.js';

export const summary = 'build the workspace images (desktop, desktop-deluxe, firefox)';

export async function run(argv: string[]): Promise<number> {
  const parsed = parseImagesArgs(argv);
  if (parsed.kind === 'help') {
    process.stdout.write(usage);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`porthole images: ${parsed.message} (see porthole images --help)\n`);
    return 2;
  }
  const { args } = parsed;
  // Loaded here so `porthole images --help` does not pay for dockerode.
  const { buildImages } = await import('../images/index.js');
  const results = await buildImages({
    names: args.names,
    force: args.force,
    noCache: args.noCache,
    verbose: args.verbose,
    ...(args.base ? { base: args.base } : {}),
    ...(args.network ? { networkMode: args.network } : {}),
  });
  const failed = results.filter((r) => r.status === 'failed' || r.status === 'skipped');
  for (const r of results) {
    const size = r.sizeBytes ? `${(r.sizeBytes / 1e6).toFixed(0)} MB` : '';
    process.stdout.write(`  ${r.image.padEnd(32)} ${r.status.padEnd(8)} ${size}\n`);
  }
  if (failed.length > 0) {
    process.stderr.write(`porthole images: ${failed.map((r) => r.name).join(', ')} did not build\n`);
    return 1;
  }
  return 0;
}
