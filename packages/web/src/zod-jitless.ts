import { z } from 'zod';

// The server's Content-Security-Policy has no 'unsafe-eval'. Left in JIT mode, zod probes
// `new Function` on its first parse: a blocked eval the browser reports as a CSP violation.
// Imported first by main.tsx, before any schema parses.
z.config({ jitless: true });
