import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface TlsMaterial {
  key: string;
  cert: string;
}

export type TlsConfig =
  | { mode: 'none' }
  | { mode: 'self-signed' }
  | { mode: 'files'; certFile: string; keyFile: string };

/** The certificate for HTTPS: given files, or a self-signed one made once and kept in the data dir. */
export async function loadTls(config: TlsConfig, dataDir: string): Promise<TlsMaterial | undefined> {
  if (config.mode === 'none') return undefined;
  if (config.mode === 'files') {
    return { cert: await readFile(config.certFile, 'utf8'), key: await readFile(config.keyFile, 'utf8') };
  }
  const certPath = join(dataDir, 'tls-cert.pem');
  const keyPath = join(dataDir, 'tls-key.pem');
  try {
    return { cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8') };
  } catch {
    const now = new Date();
    const pems = await generate([{ name: 'commonName', value: 'porthole.local' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notBeforeDate: new Date(now.getTime() - 60_000),
      notAfterDate: new Date(now.getTime() + 825 * 24 * 3600 * 1000),
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 2, value: 'porthole.local' },
            { type: 7, ip: '127.0.0.1' },
            { type: 7, ip: '::1' },
          ],
        },
      ],
    });
    await writeFile(keyPath, pems.private, { mode: 0o600 });
    await writeFile(certPath, pems.cert, { mode: 0o644 });
    return { cert: pems.cert, key: pems.private };
  }
}
