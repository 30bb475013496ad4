import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generatedCredentials } from './test-credentials.generated.js';

/**
 * Throwaway credentials the mock APNs server is set up with, for tests only.
 * PEM strings, except `clientPfx` and `productionClientPfx` (PKCS#12 bytes). Made by
 * `scripts/generate-test-credentials.sh`; certificates are valid for ~100 years,
 * except `expiredClientCert`, which expired in 2001.
 */
export interface MockApnsCredentials {
  /** The test CA: trust it to accept the mock's server certificate; it signs the client certificates. */
  readonly ca: string;
  /** Server certificate for localhost, 127.0.0.1 and ::1, signed by `ca`. */
  readonly serverCert: string;
  readonly serverKey: string;
  /** Client certificate signed by `ca` (certificate auth). */
  readonly clientCert: string;
  readonly clientKey: string;
  /** `clientKey` as encrypted PKCS#8, unlocked by `clientKeyPassphrase`. */
  readonly clientKeyEncrypted: string;
  readonly clientKeyPassphrase: string;
  /** `clientCert` + `clientKey` (+ `ca`) as PKCS#12, unlocked by `clientPfxPassphrase`. */
  readonly clientPfx: Buffer;
  readonly clientPfxPassphrase: string;
  /** ES256 provider-token signing key, PKCS#8 PEM (what Apple's .p8 file holds). */
  readonly signingKey: string;
  /** Public half of `signingKey` (SPKI PEM); registered with the mock by default. */
  readonly signingPublicKey: string;
  /** Key id of `signingKey`. */
  readonly keyId: string;
  /** Team id `signingKey` is registered under. */
  readonly teamId: string;
  /** A CA nobody trusts, and a localhost server certificate it signed (`untrustedCertificate: true`). */
  readonly untrustedCa: string;
  readonly untrustedServerCert: string;
  readonly untrustedServerKey: string;
  /** Client certificate signed by `ca` that expired in 2001: the mock must refuse it. */
  readonly expiredClientCert: string;
  readonly expiredClientKey: string;
  /**
   * Client certificate signed by `ca` marked for the sandbox only (Apple's
   * development OID 1.2.840.113635.100.6.3.1), as Apple's development push
   * certificates are: refused by a mock started with `environment: 'production'`.
   */
  readonly sandboxClientCert: string;
  readonly sandboxClientKey: string;
  /**
   * Client certificate signed by `ca` marked for production only (OID
   * 1.2.840.113635.100.6.3.2): refused by a mock in its default sandbox environment.
   */
  readonly productionClientCert: string;
  readonly productionClientKey: string;
  /** `productionClientCert` + key (+ `ca`) as PKCS#12, unlocked by `clientPfxPassphrase`. */
  readonly productionClientPfx: Buffer;
  /** Client certificate signed by `ca` marked for both environments, as a "Sandbox & Production" certificate is. */
  readonly universalClientCert: string;
  readonly universalClientKey: string;
}

const { clientPfxBase64, productionClientPfxBase64, ...pems } = generatedCredentials;

export const testCredentials: MockApnsCredentials = Object.freeze({
  ...pems,
  clientPfx: Buffer.from(clientPfxBase64, 'base64'),
  productionClientPfx: Buffer.from(productionClientPfxBase64, 'base64'),
});

/** File name of each credential written by `writeTestCredentials`. */
const FILE_NAMES: Record<Exclude<keyof MockApnsCredentials, 'keyId' | 'teamId' | 'clientKeyPassphrase' | 'clientPfxPassphrase'>, string> = {
  ca: 'ca.crt',
  serverCert: 'server.crt',
  serverKey: 'server.key',
  clientCert: 'client.crt',
  clientKey: 'client.key',
  clientKeyEncrypted: 'client-encrypted.key',
  clientPfx: 'client.p12',
  signingKey: `AuthKey_${generatedCredentials.keyId}.p8`,
  signingPublicKey: 'signing-public.pem',
  untrustedCa: 'untrusted-ca.crt',
  untrustedServerCert: 'untrusted-server.crt',
  untrustedServerKey: 'untrusted-server.key',
  expiredClientCert: 'expired-client.crt',
  expiredClientKey: 'expired-client.key',
  sandboxClientCert: 'sandbox-client.crt',
  sandboxClientKey: 'sandbox-client.key',
  productionClientCert: 'production-client.crt',
  productionClientKey: 'production-client.key',
  productionClientPfx: 'production-client.p12',
  universalClientCert: 'universal-client.crt',
  universalClientKey: 'universal-client.key',
};

/**
 * Writes the test credentials into `dir` (created if missing) and returns the
 * path of each file by credential name (`ca`, `clientCert`, `signingKey`, ...),
 * for clients that take file paths. Key files are written owner-readable only.
 */
export async function writeTestCredentials(dir: string): Promise<Record<string, string>> {
  await mkdir(dir, { recursive: true });
  const paths: Record<string, string> = {};
  for (const [name, fileName] of Object.entries(FILE_NAMES)) {
    const path = join(dir, fileName);
    const content = testCredentials[name as keyof typeof FILE_NAMES];
    await writeFile(path, content, { mode: /key|Pfx|signingKey/i.test(name) ? 0o600 : 0o644 });
    paths[name] = path;
  }
  return paths;
}
