import { generate } from 'selfsigned';

/** A certificate and its private key, PEM-encoded. */
export interface TestCertificate {
  cert: string;
  key: string;
}

/** What a test certificate is for, and when it is valid. */
export interface TestCertificateOptions {
  /** DNS names (the first is also the subject's common name); default `localhost`. */
  names?: string[];
  /** IP addresses; default `127.0.0.1` (none when `names` is given without `ips`). */
  ips?: string[];
  /** Valid from (default a minute ago) until (default a day from now). */
  notBefore?: Date;
  notAfter?: Date;
}

/**
 * A fresh self-signed certificate, by default for `127.0.0.1` and `localhost`, made at test
 * time so that no key is committed. It is its own CA (basicConstraints cA), so a TLS client that
 * is told to trust it — workerd via Miniflare's outbound network `trustedCertificates` —
 * verifies it. Other names, addresses or validity make certificates a client refuses: for
 * another host, or expired. Certificates a client trusts together need distinct first names:
 * the subject names the issuer a verifier looks up.
 */
export async function selfSignedCertificate(
  options: TestCertificateOptions = {},
): Promise<TestCertificate> {
  const names = options.names ?? ['localhost'];
  const ips = options.ips ?? (options.names ? [] : ['127.0.0.1']);
  const notBeforeDate = options.notBefore ?? new Date(Date.now() - 60_000);
  const notAfterDate = options.notAfter ?? new Date(Date.now() + 24 * 60 * 60 * 1000);
  const pems = await generate([{ name: 'commonName', value: names[0] ?? 'localhost' }], {
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
          ...names.map((value) => ({ type: 2 as const, value })),
          ...ips.map((ip) => ({ type: 7 as const, ip })),
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
