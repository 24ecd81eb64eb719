import { request } from 'node:http';

/**
 * `GET /containers/<id>/json` straight from the Engine API, for assertions on fields the runtime
 * interface deliberately hides (capabilities, port bindings).
 */
export function rawInspect(socketPath: string, id: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: `/containers/${encodeURIComponent(id)}/json` }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) reject(new Error(`inspect ${id}: HTTP ${res.statusCode}: ${text}`));
        else resolve(JSON.parse(text) as Record<string, unknown>);
      });
    });
    req.on('error', reject);
    req.end();
  });
}
