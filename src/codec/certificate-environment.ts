import { DER_BOOLEAN, DER_SEQUENCE, decodeDerOid, readDerChildren, readDerElement } from './der-reader.js';

/** Apple's two APNs environments, as the client's `environment` option names them. */
export type ApnsEnvironment = 'sandbox' | 'production';

/**
 * Extension OIDs Apple's provider certificates mark their environment with
 * (apns-protocol.md 1.1): development (the sandbox) and production. A
 * "Sandbox & Production" certificate carries both.
 */
export const ENVIRONMENT_OIDS: Readonly<Record<ApnsEnvironment, string>> = Object.freeze({
  sandbox: '1.2.840.113635.100.6.3.1',
  production: '1.2.840.113635.100.6.3.2',
});

/** tbsCertificate's `[3] EXPLICIT Extensions`. */
const EXTENSIONS_TAG = 0xa3;

/**
 * The environments a DER X.509 certificate is marked for by Apple's OIDs, or
 * `undefined` when it carries neither mark (a certificate not issued by Apple
 * for APNs, such as a test certificate) or cannot be read: such a certificate
 * is not judged, so only an explicit mark for the other environment refuses.
 */
export function certificateEnvironments(der: Uint8Array): ReadonlySet<ApnsEnvironment> | undefined {
  const certificate = readDerElement(der, 0);
  if (certificate === undefined || certificate.tag !== DER_SEQUENCE) return undefined;
  const tbs = readDerChildren(der, certificate)?.[0];
  if (tbs === undefined || tbs.tag !== DER_SEQUENCE) return undefined;
  const wrapper = readDerChildren(der, tbs)?.find((field) => field.tag === EXTENSIONS_TAG);
  const list = wrapper === undefined ? undefined : readDerChildren(der, wrapper)?.[0];
  if (list === undefined || list.tag !== DER_SEQUENCE) return undefined;
  const found = new Set<ApnsEnvironment>();
  for (const extension of readDerChildren(der, list) ?? []) {
    // Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
    const parts = extension.tag === DER_SEQUENCE ? readDerChildren(der, extension) : undefined;
    if (parts === undefined || parts.length < 2 || (parts.length === 3 && parts[1]!.tag !== DER_BOOLEAN)) continue;
    const oid = decodeDerOid(der, parts[0]!);
    if (oid === ENVIRONMENT_OIDS.sandbox) found.add('sandbox');
    else if (oid === ENVIRONMENT_OIDS.production) found.add('production');
  }
  return found.size === 0 ? undefined : found;
}
