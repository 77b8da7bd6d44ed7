/**
 * Image references as signers write them (distribution/reference grammar): `[host[:port]/]path[:tag][@digest]`.
 */

/** What a signed reference must name. */
export interface ReferenceExpectation {
  /** The repository the image is released from, e.g. `app/x`. */
  readonly repository: string;
  /** Registry host the repository lives on, e.g. `123456789012.dkr.ecr.eu-west-1.amazonaws.com`. */
  readonly registry?: string;
  /** Reference prefixes also accepted (policy.signature.allowedReferencePrefixes). */
  readonly allowedReferencePrefixes: readonly string[];
}

/** Drops `@sha256:…` and a `:tag` in the last path component. */
function stripTagAndDigest(reference: string): string {
  const at = reference.indexOf('@');
  const name = at >= 0 ? reference.slice(0, at) : reference;
  const lastSlash = name.lastIndexOf('/');
  const colon = name.indexOf(':', lastSlash + 1);
  return colon >= 0 ? name.slice(0, colon) : name;
}

/** distribution/reference: the first component is a host when it has a `.` or `:` or is `localhost`. */
function splitHost(name: string): { host?: string; path: string } {
  const slash = name.indexOf('/');
  if (slash < 0) return { path: name };
  const first = name.slice(0, slash);
  if (first.includes('.') || first.includes(':') || first === 'localhost') {
    return { host: first, path: name.slice(slash + 1) };
  }
  return { path: name };
}

/**
 * Whether an image reference a signer signed (cosign's `docker-reference`, the subject name of a
 * cosign v3 signature statement) names the repository under release: the repository itself
 * (its tag or digest suffix ignored), on this registry when it names a host, or under one of the
 * policy's allowed prefixes.
 */
export function referenceNamesRepository(reference: string, expected: ReferenceExpectation): boolean {
  const name = stripTagAndDigest(reference.trim());
  if (name.length === 0) return false;
  const { host, path } = splitHost(name);
  if (path === expected.repository) {
    // A bare repository name claims no registry. A named host must be this registry's: the same
    // repository name on `evil.example.com` is another image (red-team finding 16).
    if (host === undefined) return true;
    if (expected.registry !== undefined && host === expected.registry) return true;
  }
  return expected.allowedReferencePrefixes.some((prefix) => {
    if (prefix.length === 0) return false;
    // Prefixes end on a path boundary: `ci.example.com` must not admit `ci.example.com.evil.io/…`.
    const bounded = prefix.endsWith('/') ? prefix : `${prefix}/`;
    return name.startsWith(bounded);
  });
}
