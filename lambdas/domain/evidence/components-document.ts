/**
 * The normalised SBOM document of sbom evidence (`components.json`): written by the sbom collector,
 * read back by the steps after it (lockfile, dependency-diff, the incident index, re-verification).
 * Apart from the collector (sbom.ts) so that a reader does not bundle the SBOM parsers and verifiers.
 */
import { locateRootArray, withEmptiedArray } from '../document.js';
import { describeError, GateError } from '../errors.js';
import { Limits } from '../limits.js';
import type { StoredEvidence } from '../ports.js';
import type { Component, NormalizedSbom } from '../sbom/component.js';
import type { EvidenceDocument } from '../types.js';
import type { CollectContext } from './context.js';

/** Name of the normalised SBOM document in the sbom evidence record. */
export const COMPONENTS_DOCUMENT = 'components.json';

/** Outcome of reading the stored `components.json` of an sbom evidence record. */
export type StoredComponents =
  | { readonly ok: true; readonly sbom: NormalizedSbom }
  | { readonly ok: false; readonly reason: string };

/** The verified bytes of the `components.json` of stored sbom evidence, or why there are none. */
async function readStoredDocument(
  documents: CollectContext['documents'],
  evidence: StoredEvidence,
): Promise<
  | { readonly ok: true; readonly digest: string; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly reason: string }
> {
  const ref = evidence.documents.find((d) => d.name === COMPONENTS_DOCUMENT);
  const at = `${evidence.repository}@${evidence.digest}`;
  if (ref === undefined) return { ok: false, reason: `sbom evidence of ${at} has no ${COMPONENTS_DOCUMENT}` };
  if (ref.size > Limits.sbomBytes) {
    return { ok: false, reason: `${COMPONENTS_DOCUMENT} of ${at} is ${ref.size} bytes, above ${Limits.sbomBytes}` };
  }
  let bytes: Uint8Array;
  try {
    bytes = await documents.get(ref.digest);
  } catch (err) {
    if (err instanceof GateError && (err.code === 'NOT_FOUND' || err.code === 'DIGEST_MISMATCH')) {
      return { ok: false, reason: `${COMPONENTS_DOCUMENT} of ${at} could not be read: ${describeError(err)}` };
    }
    throw err;
  }
  return { ok: true, digest: ref.digest, bytes };
}

/**
 * Load and validate the `components.json` document of stored sbom evidence. A missing, tampered
 * (DIGEST_MISMATCH) or malformed document is a reason, not an exception; store outages throw.
 */
export async function loadStoredComponents(
  documents: CollectContext['documents'],
  evidence: StoredEvidence,
): Promise<StoredComponents> {
  const read = await readStoredDocument(documents, evidence);
  if (!read.ok) return read;
  const sbom = readComponentsDocument(read.digest, read.bytes);
  return sbom === undefined ? { ok: false, reason: notAComponentsDocument(evidence) } : { ok: true, sbom };
}

/** The top level of a `components.json`: everything but its components. */
export type ComponentsHeader = Omit<NormalizedSbom, 'components'>;

/**
 * Up to this size a `components.json` is parsed whole even by a step that visits it one component
 * at a time: one JSON.parse is faster than one per component, and its tree (about 6× the text)
 * stays small. Above it (about 35,000 components) the memory of the tree matters more.
 */
export const WHOLE_COMPONENTS_BYTES = 4 * 1024 * 1024;

/** Outcome of reading the stored `components.json` one component at a time. */
export type VisitedComponents =
  | { readonly ok: true; readonly header: ComponentsHeader }
  | { readonly ok: false; readonly reason: string };

/**
 * `loadStoredComponents` for a step that only looks at each component once (lockfile): the
 * components are handed to `visit` one at a time, in document order, and the inventory as a whole
 * never exists. At 200,000 components the whole text and tree are about 100 MiB; here only the
 * verified bytes are held, and one component at a time is parsed from them. Same checks, same
 * reasons as `loadStoredComponents`.
 */
export async function visitStoredComponents(
  documents: CollectContext['documents'],
  evidence: StoredEvidence,
  visit: (component: Component) => void,
): Promise<VisitedComponents> {
  const read = await readStoredDocument(documents, evidence);
  if (!read.ok) return read;
  if (read.bytes.byteLength <= WHOLE_COMPONENTS_BYTES) {
    // Small enough to parse whole (faster, and shared with the step's other readers in this process).
    const whole = readComponentsDocument(read.digest, read.bytes);
    return whole === undefined
      ? { ok: false, reason: notAComponentsDocument(evidence) }
      : { ok: true, header: visitHeld(whole, visit) };
  }
  // An inventory another reader in this process still holds is not parsed again.
  const held = readDocuments.get(read.digest)?.deref();
  const header = held === undefined ? visitComponentsDocument(read.bytes, visit) : visitHeld(held, visit);
  return header === undefined ? { ok: false, reason: notAComponentsDocument(evidence) } : { ok: true, header };
}

function visitHeld(sbom: NormalizedSbom, visit: (component: Component) => void): ComponentsHeader {
  for (const c of sbom.components) visit(c);
  const { components: _, ...header } = sbom;
  return header;
}

function notAComponentsDocument(evidence: StoredEvidence): string {
  return `${COMPONENTS_DOCUMENT} of ${evidence.repository}@${evidence.digest} is not a normalised component document`;
}

/**
 * The components of a `components.json` our code wrote, parsed one at a time (the store verified
 * its bytes against their digest, as `readComponentsDocument` explains): the rest of the document
 * (its bytes with `components` emptied) is parsed and checked as `parseComponentsDocument` checks
 * a whole one, then each element of the array. Undefined when it is not shaped like one.
 */
export function visitComponentsDocument(
  bytes: Uint8Array,
  visit: (component: Component) => void,
): ComponentsHeader | undefined {
  const at = locateRootArray(bytes, 'components');
  if (at === undefined) {
    const whole = parseComponentsDocument(bytes);
    return whole === undefined ? undefined : visitHeld(whole, visit);
  }
  const top = parseComponentsDocument(withEmptiedArray(bytes, at));
  if (top === undefined || top.components.length > 0) return undefined;
  const decoder = new TextDecoder();
  const { elements } = at;
  try {
    for (let k = 0; k < elements.length; k += 2) {
      const value: unknown = JSON.parse(decoder.decode(bytes.subarray(elements[k], elements[k + 1])));
      if (typeof value !== 'object' || value === null) return undefined;
      // Our own writer's components, as the digest says (see readComponentsDocument).
      visit(value as Component);
    }
  } catch (err) {
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
  const { components: _, ...header } = top;
  return header;
}

/**
 * Component documents read, by digest, while someone still holds them: readers in one process (a
 * preflight, re-verification) share one parse. Weak, so a warm Lambda keeps no inventory between
 * invocations.
 */
const readDocuments = new Map<string, WeakRef<NormalizedSbom>>();

/**
 * A stored `components.json` whose bytes the document store verified against `digest`. Our code
 * wrote it (JSON.stringify of a NormalizedSbom) and the store keeps it under its sha256, so the
 * digest is the check: it is parsed with JSON.parse alone, not scanned for duplicates nor validated
 * with zod again (for 200,000 components that is seconds and hundreds of MiB). A document that is
 * not even shaped like one (written by something else) is undefined.
 */
function readComponentsDocument(digest: string, bytes: Uint8Array): NormalizedSbom | undefined {
  const cached = readDocuments.get(digest)?.deref();
  if (cached !== undefined) return cached;
  const sbom = parseComponentsDocument(bytes);
  if (sbom === undefined) return undefined;
  for (const [key, ref] of readDocuments) if (ref.deref() === undefined) readDocuments.delete(key);
  readDocuments.set(digest, new WeakRef(sbom));
  return sbom;
}

/**
 * The inventories behind the `components.json` bytes this process built (`componentsDocument`), by
 * those very bytes: the steps after the collector (the incident index, the platform merge, the
 * local scanner) read the inventory it already holds. Parsing the bytes again would hold a second
 * copy (the text and the tree: about 100 MiB at 200,000 components) next to the first. Weak, so
 * the entry goes when the evidence result does.
 */
const builtDocuments = new WeakMap<Uint8Array, NormalizedSbom>();

/** The `components.json` document of `sbom`, remembered for `parseComponentsDocument`. */
export function componentsDocument(sbom: NormalizedSbom): EvidenceDocument {
  const bytes = encodeComponentsDocument(sbom);
  builtDocuments.set(bytes, sbom);
  return { name: COMPONENTS_DOCUMENT, mediaType: 'application/json', bytes };
}

/**
 * Up to this many components `encodeComponentsDocument` writes the whole text at once (one
 * JSON.stringify, about half the time of one per component twice); the text is then at most a few
 * MiB (about 200 bytes a component), held only while it is encoded.
 */
export const WHOLE_ENCODE_COMPONENTS = 20_000;

/**
 * The UTF-8 bytes of `JSON.stringify(sbom)`. Above WHOLE_ENCODE_COMPONENTS, written one component
 * at a time into a buffer of the exact size: the whole text as one string (27 MiB at 200,000
 * components, next to its bytes) never exists. Each component is stringified twice (its size, then
 * its bytes), which costs less than that string does. Hand-written because JSON has no streaming
 * writer in the standard library.
 */
export function encodeComponentsDocument(sbom: NormalizedSbom): Uint8Array {
  if (sbom.components.length <= WHOLE_ENCODE_COMPONENTS) {
    const whole = Buffer.from(JSON.stringify(sbom), 'utf8');
    return new Uint8Array(whole.buffer, whole.byteOffset, whole.byteLength);
  }
  // The top level as JSON.stringify writes it, keys in their order, with the array left empty; its
  // `"components":[` cannot occur inside a string, where every `"` is escaped.
  const frame = JSON.stringify({ ...sbom, components: [] });
  const open = frame.indexOf('"components":[]') + '"components":['.length;
  const head = frame.slice(0, open);
  const tail = frame.slice(open);
  const { components } = sbom;
  let size = Buffer.byteLength(head) + Buffer.byteLength(tail) + Math.max(0, components.length - 1);
  for (const c of components) size += Buffer.byteLength(JSON.stringify(c));
  const out = Buffer.allocUnsafeSlow(size);
  let at = out.write(head, 0);
  for (const [i, c] of components.entries()) {
    if (i > 0) at = out.writeUInt8(0x2c, at);
    at += out.write(JSON.stringify(c), at);
  }
  out.write(tail, at);
  return new Uint8Array(out.buffer, out.byteOffset, size);
}

/**
 * JSON.parse of a component document our code wrote, with its top level checked; undefined when it
 * is not one. For the bytes of an EvidenceResult this process just built (the incident index, the
 * local scanner): nothing there to validate again, and when `componentsDocument` built them, nothing
 * to parse either.
 */
export function parseComponentsDocument(bytes: Uint8Array): NormalizedSbom | undefined {
  const built = builtDocuments.get(bytes);
  if (built !== undefined) return built;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    return undefined;
  }
  return isComponentsDocument(value) ? value : undefined;
}

/** The top level of a NormalizedSbom; the components are ours, as the digest says. */
function isComponentsDocument(value: unknown): value is NormalizedSbom {
  if (typeof value !== 'object' || value === null) return false;
  if (!('format' in value && 'specVersion' in value && 'components' in value)) return false;
  const lockfileDigest = 'lockfileDigest' in value ? value.lockfileDigest : undefined;
  return (
    (value.format === 'cyclonedx' || value.format === 'spdx') &&
    typeof value.specVersion === 'string' &&
    (lockfileDigest === undefined || typeof lockfileDigest === 'string') &&
    Array.isArray(value.components)
  );
}
