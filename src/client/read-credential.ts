import { readFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import type { ApnsOptionProblem } from '../errors/apns-options.error.js';
import type { ApnsCredentialSource } from './apns-client-options.js';

const PEM_MARK = '-----BEGIN';

/**
 * Reads one credential given as contents or as a file path. Problems are
 * pushed to `problems` (never thrown) so that every wrong field is reported at
 * once. Messages name the field and the path, never the contents.
 */
export function readCredential(
  field: string,
  source: unknown,
  problems: ApnsOptionProblem[],
): Buffer | undefined {
  if (Buffer.isBuffer(source)) {
    if (source.length === 0) problems.push({ field, message: 'is empty: pass the file contents or its path.' });
    return source.length === 0 ? undefined : source;
  }
  if (source instanceof Uint8Array) return Buffer.from(source);
  if (typeof source !== 'string') {
    problems.push({ field, message: 'must be the contents (string or Buffer) or the path of a file.' });
    return undefined;
  }
  if (source.includes(PEM_MARK)) return Buffer.from(source);
  if (source.trim() === '') {
    problems.push({ field, message: 'is empty: pass the file contents or its path.' });
    return undefined;
  }
  try {
    const bytes = readFileSync(source);
    if (bytes.length === 0) problems.push({ field, message: `file ${source} is empty.` });
    return bytes.length === 0 ? undefined : bytes;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES' || code === 'EPERM'
          ? 'cannot be read (permission denied)'
          : code === 'EISDIR'
            ? 'is a directory'
            : `cannot be read (${code ?? 'error'})`;
    problems.push({ field, message: `file ${source} ${why}: pass an existing file path or the PEM contents.` });
    return undefined;
  }
}

export function isPem(bytes: Buffer): boolean {
  return bytes.includes(PEM_MARK);
}

/** A certificate as PEM, converting DER. */
export function certificateToPem(field: string, bytes: Buffer, problems: ApnsOptionProblem[]): string | undefined {
  if (isPem(bytes)) return bytes.toString('utf8');
  try {
    return new X509Certificate(bytes).toString();
  } catch {
    problems.push({ field, message: 'is neither a PEM nor a DER certificate.' });
    return undefined;
  }
}

/**
 * A private key for TLS. PEM passes through untouched (an encrypted one is
 * unlocked by TLS with the passphrase); DER is parsed and handed on as PEM,
 * since TLS only takes PEM keys.
 */
export function tlsKeyToPem(
  field: string,
  bytes: Buffer,
  passphrase: string | undefined,
  problems: ApnsOptionProblem[],
): string | undefined {
  if (isPem(bytes)) return bytes.toString('utf8');
  const key = parseDerKey(bytes, passphrase);
  if (key === undefined) {
    problems.push({
      field,
      message: 'is neither a PEM nor a DER private key (or the passphrase does not unlock it).',
    });
    return undefined;
  }
  return key.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** Parses a DER private key in any of the encodings TLS keys come in. */
export function parseDerKey(bytes: Buffer, passphrase?: string): KeyObject | undefined {
  const attempts = [
    { type: 'pkcs8' as const },
    { type: 'pkcs1' as const },
    { type: 'sec1' as const },
  ];
  for (const { type } of attempts) {
    try {
      return createPrivateKey({ key: bytes, format: 'der', type, passphrase });
    } catch {
      // try the next encoding
    }
  }
  return undefined;
}

/** `ca` as a list of PEM certificates. */
export function readCertificateList(
  field: string,
  source: ApnsCredentialSource | ApnsCredentialSource[],
  problems: ApnsOptionProblem[],
): string[] {
  const list = Array.isArray(source) ? source : [source];
  const out: string[] = [];
  list.forEach((item, i) => {
    const name = Array.isArray(source) ? `${field}[${i}]` : field;
    const bytes = readCredential(name, item, problems);
    if (bytes === undefined) return;
    const pem = certificateToPem(name, bytes, problems);
    if (pem !== undefined) out.push(pem);
  });
  return out;
}
