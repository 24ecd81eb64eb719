// The server's Content-Security-Policy has no 'unsafe-eval'. In its default JIT mode zod probes
// `new Function` while the schemas are built: a blocked eval the browser reports as a CSP
// violation. zod reads this object when it loads, so it must be set by a classic script that runs
// before the app's modules (index.html loads this first); a module could not run early enough,
// since the bundle's shared chunk builds the schemas before the entry's own code runs.
globalThis.__zod_globalConfig = Object.assign(globalThis.__zod_globalConfig || {}, { jitless: true });
