import { readFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { isSingleDerSequence } from '../codec/der-reader.js';
import type { ApnsOptionProblem } from '../errors/apns-options.error.js';
import type { ApnsCredentialSource } from './apns-client-options.js';

const PEM_MARK = '-----BEGIN';

/** Base64 (standard or URL-safe alphabet), padding optional; whitespace is removed before the test. */
const BASE64_TEXT = /^[A-Za-z0-9+/_-]+={0,2}$/;
/** Control characters: never part of a file path anyone types. */
const CONTROL_CHARS = /[\x00-\x1f\x7f]/;
/** A run this long of base64 letters is what key text is made of, never a path segment in practice. */
const KEY_LIKE_RUN = /[A-Za-z0-9+=]{24,}/;
/** Shortest credential worth decoding from base64: a P-256 key in DER is over 100 bytes. */
const MIN_DER_BYTES = 32;
/** Base64 characters of {@link MIN_DER_BYTES} bytes. */
const MIN_BASE64_CHARS = Math.ceil((MIN_DER_BYTES * 4) / 3);

const CONTENTS_HINT = 'the contents (PEM text, or the base64 of the DER or PKCS#12 file)';

/**
 * Reads one credential given as contents or as a file path. Problems are
 * pushed to `problems` (never thrown) so that every wrong field is reported at
 * once.
 *
 * A string is taken as contents when it holds PEM text (`-----BEGIN`), or when,
 * whitespace aside, it is base64 that decodes to one complete DER structure
 * (a certificate, key or PKCS#12 bundle) or to PEM text: a .p8 key or a .p12
 * bundle kept base64-encoded in an environment variable. Anything else is a
 * file path. A file path cannot be mistaken for base64 DER: it would need to
 * consist of base64 letters only and decode to a DER structure whose length
 * field matches the string's length exactly.
 *
 * Messages name the field and never the contents: a string is echoed only
 * when it has the shape of a path and could not be key text (see
 * {@link describePath}).
 */
export function readCredential(
  field: string,
  source: unknown,
  problems: ApnsOptionProblem[],
): Buffer | undefined {
  if (source instanceof Uint8Array) {
    const bytes = Buffer.isBuffer(source) ? source : Buffer.from(source.buffer, source.byteOffset, source.byteLength);
    if (bytes.length === 0) {
      problems.push({ field, message: `is empty: pass ${CONTENTS_HINT}, or the path of the file.` });
      return undefined;
    }
    return decodeContents(bytes);
  }
  if (typeof source !== 'string') {
    problems.push({
      field,
      message: `must be ${CONTENTS_HINT} as a string or Buffer, or the path of the file; got ${describeType(source)}.`,
    });
    return undefined;
  }
  if (source.trim() === '') {
    problems.push({ field, message: `is an empty string: pass ${CONTENTS_HINT}, or the path of the file.` });
    return undefined;
  }
  if (source.includes(PEM_MARK)) return Buffer.from(repairPem(source), 'utf8');
  const decoded = decodeBase64Credential(source);
  if (decoded !== undefined) return decoded;
  return readCredentialFile(field, source, problems);
}

function readCredentialFile(field: string, path: string, problems: ApnsOptionProblem[]): Buffer | undefined {
  const named = describePath(path);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    problems.push({ field, message: describeReadFailure(path, (error as NodeJS.ErrnoException).code) });
    return undefined;
  }
  if (bytes.length === 0) {
    problems.push({ field, message: `${named} is empty: name the file that holds the credential, or pass ${CONTENTS_HINT}.` });
    return undefined;
  }
  return decodeContents(bytes);
}

/**
 * Why the file a credential option names could not be read, by the error code
 * `readFileSync` gave, as the message of the option's problem. A string that
 * names no file at all is described by what it looked like, never shown
 * unless it has the shape of a path.
 */
export function describeReadFailure(path: string, code: string | undefined): string {
  const named = describePath(path);
  if (code === 'ENOENT' || code === 'ENAMETOOLONG' || code === 'ENOTDIR' || code === 'EINVAL') return describeMissing(path, named);
  const why =
    code === 'EACCES' || code === 'EPERM'
      ? 'cannot be read (permission denied): let the process read it'
      : code === 'EISDIR'
        ? 'is a directory: name the file inside it'
        : `cannot be read (${code ?? 'error'}): check the file`;
  return `${named} ${why}, or pass ${CONTENTS_HINT}.`;
}

/** What a string that is neither contents nor an existing file looked like, without showing key text. */
function describeMissing(path: string, named: string): string {
  if (named !== SECRET_SAFE_NAME) {
    return `${named} does not exist: pass an existing file path or the PEM contents.`;
  }
  const compact = path.replace(/\s+/g, '');
  if (/^(?:[0-9a-fA-F]{2})+$/.test(compact) && compact.length >= 2 * MIN_DER_BYTES) {
    return (
      `is neither PEM text nor the path of an existing file: it looks like hex (${compact.length} characters, not shown), which is not read. ` +
      'Pass the PEM text with its -----BEGIN line, the base64 of the DER or PKCS#12 bytes, or the path of the file.'
    );
  }
  if (BASE64_TEXT.test(compact) && compact.length >= MIN_BASE64_CHARS) {
    return (
      `is neither PEM text nor the path of an existing file: it looks like base64 (${compact.length} characters, not shown) ` +
      'but does not decode to one complete DER certificate, key or PKCS#12 bundle, so it may be cut short or corrupt. ' +
      'Pass the PEM text with its -----BEGIN line, the base64 of the whole DER or PKCS#12 file, or the path of the file.'
    );
  }
  return (
    `is neither PEM text nor the path of an existing file (a ${path.length}-character string, not shown in case it is key material): ` +
    `pass ${CONTENTS_HINT}, or the path of an existing file.`
  );
}

/** How messages name a file path whose text is not shown. */
const SECRET_SAFE_NAME = 'the file it names';

/**
 * `file <path>` when `text` has the shape of a file path and cannot be key
 * text: it starts like a path (`/`, `./`, `../`, `~/`, `C:\\`) or ends in a file
 * extension after a character base64 does not use, has no control characters
 * and no run of 24 or more base64 letters. Otherwise a neutral name, so a
 * key or a corrupt key passed by mistake is never printed.
 */
export function describePath(text: string): string {
  if (text.length > 4096 || CONTROL_CHARS.test(text) || KEY_LIKE_RUN.test(text)) return SECRET_SAFE_NAME;
  const startsLikePath = /^(?:\/|\.{1,2}[\\/]|~[\\/]|[A-Za-z]:[\\/]|\\\\)/.test(text);
  const endsLikeFile = /[^A-Za-z0-9+/=]/.test(text) && /\.[A-Za-z0-9]{1,8}$/.test(text);
  return startsLikePath || endsLikeFile ? `file ${text}` : SECRET_SAFE_NAME;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * The bytes of `text` when it is base64 of one complete DER structure or of
 * PEM text; `undefined` otherwise (then it is a path).
 */
function decodeBase64Credential(text: string): Buffer | undefined {
  const compact = text.replace(/\s+/g, '');
  if (compact.length < MIN_BASE64_CHARS || !BASE64_TEXT.test(compact) || compact.length % 4 === 1) return undefined;
  const bytes = Buffer.from(compact, 'base64');
  if (isSingleDerSequence(bytes)) return bytes;
  const pem = bytes.toString('utf8').trim();
  return pem.startsWith(PEM_MARK) ? Buffer.from(pem, 'utf8') : undefined;
}

/** File or Buffer contents: PEM and DER as they are; base64 text of either decoded. */
function decodeContents(bytes: Buffer): Buffer {
  if (isPem(bytes) || isSingleDerSequence(bytes)) return bytes;
  // Only text can be base64; a binary file never gets this far as valid base64.
  if (bytes.length > 64 * 1024) return bytes;
  return decodeBase64Credential(bytes.toString('latin1')) ?? bytes;
}

/**
 * PEM text as environment variables mangle it, put right: line breaks written
 * as the two characters `\n`, or a block flattened onto one line. A block whose
 * body has headers (`Proc-Type:` of an encrypted PKCS#1 key) is left alone.
 */
function repairPem(text: string): string {
  let out = text.includes('\n') ? text : text.replace(/(?:\\r)?\\n/g, '\n');
  out = out.replace(/(-----BEGIN ([A-Z0-9 ]+)-----)([^-]*?)(-----END \2-----)/g, (block, begin: string, _label, body: string, end: string) => {
    if (body.includes('\n') || body.includes(':')) return block;
    const base64 = body.replace(/\s+/g, '');
    if (!BASE64_TEXT.test(base64)) return block;
    return `${begin}\n${base64.replace(/.{1,64}/g, '$&\n')}${end}\n`;
  });
  return out;
}

export function isPem(bytes: Buffer): boolean {
  return bytes.includes(PEM_MARK);
}

/** A certificate as PEM, converting DER; anything that is not a certificate is a problem on `field`. */
export function certificateToPem(field: string, bytes: Buffer, problems: ApnsOptionProblem[]): string | undefined {
  if (isPem(bytes)) {
    const text = bytes.toString('utf8');
    if (!/-----BEGIN (?:TRUSTED )?CERTIFICATE-----/.test(text)) {
      const what = /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text) ? 'a private key' : 'PEM text';
      problems.push({
        field,
        message: `holds ${what} but no certificate (no -----BEGIN CERTIFICATE----- block): pass the certificate here${field === 'cert' ? ' and its private key as key' : ''}.`,
      });
      return undefined;
    }
    try {
      new X509Certificate(text);
    } catch {
      problems.push({ field, message: 'holds a PEM certificate block that does not parse (cut short or edited?): pass the certificate file as issued.' });
      return undefined;
    }
    return text;
  }
  try {
    return new X509Certificate(bytes).toString();
  } catch {
    problems.push({
      field,
      message: 'is neither a PEM nor a DER certificate: pass the certificate file (.pem, .crt or .cer), its contents, or the base64 of its DER bytes.',
    });
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
  if (isPem(bytes)) {
    const text = bytes.toString('utf8');
    if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) {
      const what = /-----BEGIN (?:TRUSTED )?CERTIFICATE-----/.test(text) ? 'a certificate' : 'PEM text';
      problems.push({
        field,
        message: `holds ${what} but no private key (no -----BEGIN … PRIVATE KEY----- block): pass the private key made with cert here, and the certificate as cert.`,
      });
      return undefined;
    }
    return text;
  }
  const key = parseDerKey(bytes, passphrase);
  if (key === undefined) {
    problems.push({
      field,
      message:
        'is neither a PEM nor a DER private key (or the passphrase does not unlock it): pass the key file (.key or .pem), its contents, or the base64 of its DER bytes, and check passphrase.',
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
