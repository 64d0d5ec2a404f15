import { generate } from 'selfsigned';

/** A certificate and its private key, PEM-encoded. */
export interface TestCertificate {
  cert: string;
  key: string;
}

/**
 * A fresh self-signed certificate for `127.0.0.1` and `localhost`, made at test time so that no
 * key is committed. It is its own CA (basicConstraints cA), so a TLS client that is told to
 * trust it — workerd via Miniflare's outbound network `trustedCertificates` — verifies it.
 */
export async function selfSignedCertificate(): Promise<TestCertificate> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(Date.now() + 24 * 60 * 60 * 1000);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
