import { runCli } from './main.js';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // Expected failures are reported by the commands themselves; this is the last resort.
    process.stderr.write(`porthole: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
