/**
 * The lab targets' self-signed certificate, made fresh at every `up`. ECDSA
 * P-256 because its handshakes are several times cheaper than RSA's, which is
 * what bounds HTTPS connections per second in the benchmarks.
 */
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { run } from './netns.ts';
import { LAB_DOMAIN } from './plan.ts';

export interface TlsFiles {
  cert: string;
  key: string;
}

export async function makeSelfSignedCertificate(directory: string): Promise<TlsFiles> {
  await mkdir(directory, { recursive: true });
  const files = { cert: join(directory, 'cert.pem'), key: join(directory, 'key.pem') };
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '30',
    '-subj',
    `/CN=*.${LAB_DOMAIN}`,
    '-addext',
    `subjectAltName=DNS:*.${LAB_DOMAIN},DNS:${LAB_DOMAIN}`,
    '-keyout',
    files.key,
    '-out',
    files.cert,
  ]);
  return files;
}
