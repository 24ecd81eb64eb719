import { parseArgs } from 'node:util';
import { imageNames, isImageName } from './catalogue.js';

export const usage = `Usage: porthole images build [name…] [options]

Builds the workspace images through the Docker Engine API, tagged with the project version and
'latest': ${imageNames.map((n) => `porthole/${n}`).join(', ')}. Parents come along
(desktop-deluxe and firefox are built FROM desktop). An image whose inputs (its images/<name>/
folder, its base or parent image) are unchanged since its last build is skipped.

Options:
  --force          rebuild even when the inputs are unchanged
  --no-cache       also ignore Docker's layer cache (fresh apt-get, e.g. for security updates)
  --verbose        print every build output line, not just steps and heartbeats
  --base REF       build on this image instead of detecting debian:bookworm-slim /
                   porthole/base-bookworm
  --network MODE   network for RUN steps (e.g. host, when the bridge cannot reach the mirror)
  -h, --help       show this help
`;

export interface ImagesArgs {
  names: string[];
  force: boolean;
  noCache: boolean;
  verbose: boolean;
  base?: string;
  network?: string;
}

export type ParsedArgs =
  | { kind: 'help' }
  | { kind: 'build'; args: ImagesArgs }
  | { kind: 'error'; message: string };

export function parseImagesArgs(argv: string[]): ParsedArgs {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // Node's text goes on about '--' positionals; the first sentence is the useful part.
    return { kind: 'error', message: (message.split('. ')[0] ?? message).replace(/^Unknown/, 'unknown') };
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  const [sub, ...names] = positionals;
  if (sub === undefined) return { kind: 'error', message: 'missing subcommand (build)' };
  if (sub !== 'build') return { kind: 'error', message: `unknown subcommand '${sub}' (expected build)` };
  const unknown = names.filter((n) => !isImageName(n));
  if (unknown.length > 0) {
    return {
      kind: 'error',
      message: `unknown image ${unknown.join(', ')} (known: ${imageNames.join(', ')})`,
    };
  }
  const args: ImagesArgs = {
    names,
    force: values.force ?? false,
    noCache: values['no-cache'] ?? false,
    verbose: values.verbose ?? false,
  };
  if (values.base !== undefined) args.base = values.base;
  if (values.network !== undefined) args.network = values.network;
  return { kind: 'build', args };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      force: { type: 'boolean' },
      'no-cache': { type: 'boolean' },
      verbose: { type: 'boolean' },
      base: { type: 'string' },
      network: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
