/**
 * The little of ASN.1 DER that credential handling needs: reading one
 * tag-length-value at a time. Pure and bounds-checked: malformed input yields
 * `undefined`, never a throw or a read past the end.
 */

/** One DER element: its tag byte and where its contents sit in the buffer. */
export interface DerElement {
  readonly tag: number;
  /** Offset of the first content byte. */
  readonly start: number;
  /** Offset just past the last content byte. */
  readonly end: number;
}

/** Universal SEQUENCE, constructed. */
export const DER_SEQUENCE = 0x30;
/** Universal OBJECT IDENTIFIER. */
export const DER_OID = 0x06;
/** Universal OCTET STRING. */
export const DER_OCTET_STRING = 0x04;
/** Universal BOOLEAN. */
export const DER_BOOLEAN = 0x01;

/**
 * The element starting at `offset` and ending at or before `limit`, or
 * `undefined` when the header is malformed or the contents run past `limit`.
 * Only single-byte tags and definite lengths up to 4 length bytes are read:
 * that covers every certificate and key this library handles.
 */
export function readDerElement(bytes: Uint8Array, offset: number, limit: number = bytes.length): DerElement | undefined {
  if (offset + 2 > limit) return undefined;
  const tag = bytes[offset]!;
  // High tag numbers (low five bits all set) take more bytes; nothing here uses them.
  if ((tag & 0x1f) === 0x1f) return undefined;
  const first = bytes[offset + 1]!;
  let length: number;
  let start: number;
  if (first < 0x80) {
    length = first;
    start = offset + 2;
  } else {
    const count = first & 0x7f;
    // 0x80 is BER's indefinite length, never valid DER; more than 4 bytes is more than any credential.
    if (count === 0 || count > 4 || offset + 2 + count > limit) return undefined;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[offset + 2 + i]!;
    start = offset + 2 + count;
  }
  const end = start + length;
  if (end > limit) return undefined;
  return { tag, start, end };
}

/**
 * True when `bytes` is exactly one DER SEQUENCE (what a certificate, a
 * PKCS#8/PKCS#1/SEC1 key and a PKCS#12 bundle all are): the outer length
 * accounts for every byte, nothing missing, nothing after it. BER's
 * indefinite length, which some PKCS#12 exporters write, is accepted when the
 * buffer ends with its end-of-contents marker.
 */
export function isSingleDerSequence(bytes: Uint8Array): boolean {
  if (bytes.length < 2 || bytes[0] !== DER_SEQUENCE) return false;
  if (bytes[1] === 0x80) return bytes.length >= 4 && bytes[bytes.length - 1] === 0 && bytes[bytes.length - 2] === 0;
  const element = readDerElement(bytes, 0);
  return element !== undefined && element.end === bytes.length;
}

/** The children of a constructed element, in order; `undefined` if any is malformed or they do not fill it exactly. */
export function readDerChildren(bytes: Uint8Array, parent: DerElement): DerElement[] | undefined {
  const children: DerElement[] = [];
  let offset = parent.start;
  while (offset < parent.end) {
    const child = readDerElement(bytes, offset, parent.end);
    if (child === undefined) return undefined;
    children.push(child);
    offset = child.end;
  }
  return children;
}

/** The dotted form of an OBJECT IDENTIFIER's contents (`1.2.840.113635.100.6.3.1`); `undefined` if malformed. */
export function decodeDerOid(bytes: Uint8Array, element: DerElement): string | undefined {
  if (element.tag !== DER_OID || element.end <= element.start) return undefined;
  const arcs: number[] = [];
  let value = 0;
  for (let i = element.start; i < element.end; i++) {
    const byte = bytes[i]!;
    // A leading 0x80 pads an arc, which DER forbids; arcs past 2^31 are not OIDs anyone uses.
    if (value === 0 && byte === 0x80) return undefined;
    value = value * 128 + (byte & 0x7f);
    if (value > 0x7fffffff) return undefined;
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    }
  }
  if ((bytes[element.end - 1]! & 0x80) !== 0) return undefined;
  const first = arcs.shift()!;
  const top = first < 40 ? 0 : first < 80 ? 1 : 2;
  return [top, first - top * 40, ...arcs].join('.');
}
