import { basename, resolve } from 'node:path';
import { ECRClient } from '@aws-sdk/client-ecr';
import { DistributionRegistry } from '../lambdas/adapters/registry/distribution.js';
import { EcrRegistry } from '../lambdas/adapters/registry/ecr.js';
import { OciLayoutRegistry } from '../lambdas/adapters/registry/oci-layout.js';
import { InvalidInputError } from '../lambdas/domain/errors.js';
import type { RegistryWriter } from '../lambdas/domain/ports.js';

export interface ParsedRef {
  readonly kind: 'oci-layout' | 'distribution' | 'ecr';
  readonly registry: RegistryWriter;
  readonly repository: string;
  /** Tag or digest. */
  readonly reference: string;
  /** The AWS region of an ECR reference. */
  readonly region?: string;
}

const ECR_HOST = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Image references the CLI accepts:
 * - `oci-layout:DIR[:TAG|@DIGEST]` (repository = `--repository` or DIR's basename)
 * - `<account>.dkr.ecr.<region>.amazonaws.com/REPO[:TAG|@DIGEST]` (ECR APIs, AWS credentials)
 * - `HOST[:PORT]/REPO[:TAG|@DIGEST]` (OCI Distribution API over HTTPS; `insecure` allows plain HTTP
 *   to localhost only)
 */
export function parseImageRef(ref: string, opts: { insecure?: boolean; repository?: string } = {}): ParsedRef {
  if (ref.startsWith('oci-layout:')) {
    const rest = ref.slice('oci-layout:'.length);
    let dir = rest;
    let reference = 'latest';
    const at = rest.lastIndexOf('@');
    if (at > 0) {
      dir = rest.slice(0, at);
      reference = rest.slice(at + 1);
    } else {
      const colon = rest.lastIndexOf(':');
      if (colon > 0 && !rest.slice(colon + 1).includes('/')) {
        dir = rest.slice(0, colon);
        reference = rest.slice(colon + 1);
      }
    }
    if (dir === '') throw new InvalidInputError('oci-layout: needs a directory');
    const repository = opts.repository ?? basename(resolve(dir)).toLowerCase();
    return { kind: 'oci-layout', registry: OciLayoutRegistry.single(resolve(dir)), repository, reference };
  }
  const slash = ref.indexOf('/');
  if (slash <= 0)
    throw new InvalidInputError(
      `cannot parse image reference "${ref}": expected HOST/REPO[:TAG|@DIGEST] or oci-layout:DIR`,
    );
  const host = ref.slice(0, slash);
  const path = ref.slice(slash + 1);
  let repository = path;
  let reference = 'latest';
  const at = path.indexOf('@');
  if (at >= 0) {
    repository = path.slice(0, at);
    reference = path.slice(at + 1);
  } else {
    const colon = path.lastIndexOf(':');
    if (colon > 0) {
      repository = path.slice(0, colon);
      reference = path.slice(colon + 1);
    }
  }
  if (repository === '') throw new InvalidInputError(`no repository in "${ref}"`);
  const ecr = ECR_HOST.exec(host);
  if (ecr !== null) {
    const [, registryId = '', region = ''] = ecr;
    return {
      kind: 'ecr',
      registry: new EcrRegistry({ client: new ECRClient({ region }), registryId, region }),
      region,
      repository,
      reference,
    };
  }
  const hostname = host.replace(/:\d+$/, '');
  const plain = opts.insecure === true;
  if (plain && !LOCAL_HOSTS.has(hostname)) {
    throw new InvalidInputError(`--insecure (plain HTTP) is only allowed for localhost, not ${hostname}`);
  }
  return {
    kind: 'distribution',
    registry: new DistributionRegistry({ baseUrl: `${plain ? 'http' : 'https'}://${host}` }),
    repository,
    reference,
  };
}
