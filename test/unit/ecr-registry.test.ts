/**
 * EcrRegistry with a mocked `ECRClient.send` only. There is no ECR stand-in: the response and
 * error shapes below follow the ECR API reference and the botocore model as summarised in
 * /work/shared/notes/aws-facts.md §2 (BatchGetImage images/failures, PutImage exceptions,
 * ListImageReferrers referrers/nextToken, GetAuthorizationToken authorizationData). Blob calls go
 * to a fake `fetch` standing in for ECR's Distribution endpoint.
 */
import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  ImageAlreadyExistsException,
  ImageNotFoundException,
  ImageTagAlreadyExistsException,
  ListImageReferrersCommand,
  ListImagesCommand,
  PutImageCommand,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import { describe, expect, it, vi } from 'vitest';
import { EcrRegistry } from '../../lambdas/adapters/registry/ecr.js';
import { ConflictError, NotFoundError, RegistryError } from '../../lambdas/domain/errors.js';
import { MediaTypes, sha256Digest } from '../../lambdas/domain/oci.js';
import { oneFileImage } from '../support/images.js';

type Handler = (command: object) => unknown;

/**
 * A real ECRClient whose `send` is replaced: commands are still built by the SDK, so their input
 * shapes are the SDK's. The single cast is confined here: `send` is generic and overloaded.
 */
function ecrClient(handler: Handler) {
  const client = new ECRClient({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' } });
  const send = vi.fn(async (command: object) => handler(command));
  client.send = send as unknown as ECRClient['send'];
  return { client, send };
}

function inputOf(command: object): unknown {
  return 'input' in command ? command.input : undefined;
}

const REGISTRY_ID = '123456789012';
const image = oneFileImage('ecr').root;
const manifestText = new TextDecoder().decode(image.bytes);

function registryWith(handler: Handler, extra: { fetch?: typeof fetch; now?: () => Date } = {}) {
  const { client, send } = ecrClient(handler);
  const registry = new EcrRegistry({
    client,
    registryId: REGISTRY_ID,
    region: 'eu-west-1',
    ...(extra.fetch !== undefined ? { fetch: extra.fetch } : {}),
    ...(extra.now !== undefined ? { clock: { now: extra.now } } : {}),
  });
  return { registry, send };
}

describe('Class: EcrRegistry', () => {
  describe('Method: getManifest', () => {
    describe('when BatchGetImage returns the image', () => {
      it('asks for manifest and index types and returns the exact bytes', async () => {
        // Prepare
        const { registry, send } = registryWith((command) => {
          if (command instanceof BatchGetImageCommand) {
            return {
              images: [
                {
                  registryId: REGISTRY_ID,
                  repositoryName: 'app',
                  imageId: { imageDigest: image.digest, imageTag: 'v1' },
                  imageManifest: manifestText,
                  imageManifestMediaType: MediaTypes.ociManifest,
                },
              ],
              failures: [],
            };
          }
          throw new Error('unexpected command');
        });

        // Act
        const fetched = await registry.getManifest('app', 'v1');

        // Assess
        expect(fetched.digest).toBe(image.digest);
        expect(Buffer.from(fetched.bytes).equals(Buffer.from(image.bytes))).toBe(true);
        expect(fetched.mediaType).toBe(MediaTypes.ociManifest);
        expect(inputOf(send.mock.calls[0]?.[0] ?? {})).toEqual({
          registryId: REGISTRY_ID,
          repositoryName: 'app',
          imageIds: [{ imageTag: 'v1' }],
          acceptedMediaTypes: [
            MediaTypes.ociManifest,
            MediaTypes.dockerManifest,
            MediaTypes.ociIndex,
            MediaTypes.dockerManifestList,
          ],
        });
      });
    });

    describe('when BatchGetImage reports ImageNotFound in failures[]', () => {
      it('throws NotFoundError', async () => {
        // Prepare
        const { registry } = registryWith(() => ({
          images: [],
          failures: [
            { imageId: { imageTag: 'v9' }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' },
          ],
        }));

        // Act
        const act = registry.getManifest('app', 'v9');

        // Assess
        await expect(act).rejects.toBeInstanceOf(NotFoundError);
      });
    });

    describe('when BatchGetImage reports another failure code', () => {
      it('throws RegistryError naming the code', async () => {
        // Prepare
        const { registry } = registryWith(() => ({
          images: [],
          failures: [{ imageId: { imageDigest: image.digest }, failureCode: 'KmsError', failureReason: 'denied' }],
        }));

        // Act
        const act = registry.getManifest('app', image.digest);

        // Assess
        await expect(act).rejects.toBeInstanceOf(RegistryError);
        await expect(act).rejects.toThrow(/KmsError/);
      });
    });

    describe('when the returned manifest does not hash to the requested digest', () => {
      it('throws DIGEST_MISMATCH', async () => {
        // Prepare
        const { registry } = registryWith(() => ({
          images: [
            {
              imageId: { imageDigest: image.digest },
              imageManifest: `${manifestText} `,
              imageManifestMediaType: MediaTypes.ociManifest,
            },
          ],
        }));

        // Act
        const act = registry.getManifest('app', image.digest);

        // Assess
        await expect(act).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
      });
    });

    describe('when the repository does not exist', () => {
      it('throws NotFoundError', async () => {
        // Prepare
        const { registry } = registryWith(() => {
          throw new RepositoryNotFoundException({ message: 'The repository does not exist', $metadata: {} });
        });

        // Act
        const act = registry.getManifest('nope', 'v1');

        // Assess
        await expect(act).rejects.toBeInstanceOf(NotFoundError);
      });
    });
  });

  describe('Method: listReferrers', () => {
    describe('when ListImageReferrers answers in two pages', () => {
      it('returns every referrer as a descriptor', async () => {
        // Prepare
        const referrer = (n: number) => ({
          digest: sha256Digest(`referrer-${n}`),
          mediaType: MediaTypes.ociManifest,
          artifactType: MediaTypes.sigstoreBundleV03,
          size: 888,
          annotations: { 'dev.sigstore.bundle.content': 'dsse-envelope' },
          artifactStatus: 'ACTIVE',
        });
        const { registry, send } = registryWith((command) => {
          if (!(command instanceof ListImageReferrersCommand)) {
            throw new Error('unexpected command');
          }
          return command.input.nextToken === undefined
            ? { referrers: [referrer(1)], nextToken: 'page-2' }
            : { referrers: [referrer(2)] };
        });

        // Act
        const referrers = await registry.listReferrers('app', image.digest);

        // Assess
        expect(referrers.map((r) => r.digest)).toEqual([sha256Digest('referrer-1'), sha256Digest('referrer-2')]);
        expect(referrers[0]).toEqual({
          digest: sha256Digest('referrer-1'),
          mediaType: MediaTypes.ociManifest,
          artifactType: MediaTypes.sigstoreBundleV03,
          size: 888,
          annotations: { 'dev.sigstore.bundle.content': 'dsse-envelope' },
        });
        expect(send).toHaveBeenCalledTimes(2);
        expect(inputOf(send.mock.calls[0]?.[0] ?? {})).toEqual({
          registryId: REGISTRY_ID,
          repositoryName: 'app',
          subjectId: { imageDigest: image.digest },
          maxResults: 50,
        });
      });
    });

    describe('when a referrer has a malformed digest', () => {
      it('throws RegistryError instead of passing it on', async () => {
        // Prepare
        const { registry } = registryWith(() => ({
          referrers: [{ digest: 'sha256:short', mediaType: MediaTypes.ociManifest, size: 1 }],
        }));

        // Act
        const act = registry.listReferrers('app', image.digest);

        // Assess
        await expect(act).rejects.toBeInstanceOf(RegistryError);
      });
    });
  });

  describe('Method: putManifest', () => {
    describe('when the tag is new', () => {
      it('calls PutImage with the exact manifest, media type, digest and tag', async () => {
        // Prepare
        const { registry, send } = registryWith((command) => {
          if (command instanceof DescribeImagesCommand) {
            throw new ImageNotFoundException({ message: 'not found', $metadata: {} });
          }
          if (command instanceof PutImageCommand) {
            return { image: { imageId: { imageDigest: image.digest, imageTag: 'v1' } } };
          }
          throw new Error('unexpected command');
        });

        // Act
        const digest = await registry.putManifest('app', image.bytes, MediaTypes.ociManifest, 'v1');

        // Assess
        expect(digest).toBe(image.digest);
        const put = send.mock.calls.map((c) => c[0]).find((c) => c instanceof PutImageCommand);
        expect(inputOf(put ?? {})).toEqual({
          registryId: REGISTRY_ID,
          repositoryName: 'app',
          imageManifest: manifestText,
          imageManifestMediaType: MediaTypes.ociManifest,
          imageDigest: image.digest,
          imageTag: 'v1',
        });
      });
    });

    describe('when PutImage answers ImageAlreadyExistsException', () => {
      it('treats it as success (idempotent re-push)', async () => {
        // Prepare
        const { registry } = registryWith((command) => {
          if (command instanceof PutImageCommand) {
            throw new ImageAlreadyExistsException({ message: 'already pushed', $metadata: {} });
          }
          throw new Error('unexpected command');
        });

        // Act
        const digest = await registry.putManifest('app', image.bytes, MediaTypes.ociManifest);

        // Assess
        expect(digest).toBe(image.digest);
      });
    });

    describe('when the tag already points at another digest', () => {
      it('throws ConflictError without calling PutImage', async () => {
        // Prepare
        const { registry, send } = registryWith((command) => {
          if (command instanceof DescribeImagesCommand) {
            return { imageDetails: [{ imageDigest: sha256Digest('other'), imageTags: ['v1'] }] };
          }
          throw new Error('unexpected command');
        });

        // Act
        const act = registry.putManifest('app', image.bytes, MediaTypes.ociManifest, 'v1');

        // Assess
        await expect(act).rejects.toBeInstanceOf(ConflictError);
        expect(send.mock.calls.some((c) => c[0] instanceof PutImageCommand)).toBe(false);
      });
    });

    describe('when PutImage answers ImageTagAlreadyExistsException (immutable repository)', () => {
      it('succeeds if the tag is on the same digest', async () => {
        // Prepare
        let describeCalls = 0;
        const { registry } = registryWith((command) => {
          if (command instanceof DescribeImagesCommand) {
            describeCalls++;
            if (describeCalls === 1) {
              throw new ImageNotFoundException({ message: 'not found', $metadata: {} });
            }
            return { imageDetails: [{ imageDigest: image.digest, imageTags: ['v1'] }] };
          }
          if (command instanceof PutImageCommand) {
            throw new ImageTagAlreadyExistsException({ message: 'tag exists', $metadata: {} });
          }
          throw new Error('unexpected command');
        });

        // Act
        const digest = await registry.putManifest('app', image.bytes, MediaTypes.ociManifest, 'v1');

        // Assess
        expect(digest).toBe(image.digest);
      });

      it('throws ConflictError if another client put the tag on other content meanwhile', async () => {
        // Prepare
        let describeCalls = 0;
        const { registry } = registryWith((command) => {
          if (command instanceof DescribeImagesCommand) {
            describeCalls++;
            if (describeCalls === 1) {
              throw new ImageNotFoundException({ message: 'not found', $metadata: {} });
            }
            return { imageDetails: [{ imageDigest: sha256Digest('raced'), imageTags: ['v1'] }] };
          }
          if (command instanceof PutImageCommand) {
            throw new ImageTagAlreadyExistsException({ message: 'tag exists', $metadata: {} });
          }
          throw new Error('unexpected command');
        });

        // Act
        const act = registry.putManifest('app', image.bytes, MediaTypes.ociManifest, 'v1');

        // Assess
        await expect(act).rejects.toBeInstanceOf(ConflictError);
      });
    });

    describe.each([
      ['LayersNotFoundException', 'layers not found'],
      ['ReferencedImagesNotFoundException', 'manifest list is referencing an image that does not exist'],
    ])('when PutImage fails with %s', (name, message) => {
      it('throws NotFoundError keeping the cause (the port refuses dangling references so)', async () => {
        // Prepare
        const missing = Object.assign(new Error(message), { name });
        const { registry } = registryWith(() => {
          throw missing;
        });

        // Act
        const act = registry.putManifest('app', image.bytes, MediaTypes.ociManifest);

        // Assess
        await expect(act).rejects.toThrowWithCode(NotFoundError, 'NOT_FOUND');
        await expect(act).rejects.toMatchObject({ cause: missing });
      });
    });

    describe('when PutImage fails with LimitExceededException', () => {
      it('throws RegistryError keeping the cause', async () => {
        // Prepare
        const limited = Object.assign(new Error('limit exceeded'), { name: 'LimitExceededException' });
        const { registry } = registryWith(() => {
          throw limited;
        });

        // Act
        const act = registry.putManifest('app', image.bytes, MediaTypes.ociManifest);

        // Assess
        await expect(act).rejects.toBeInstanceOf(RegistryError);
        await expect(act).rejects.toMatchObject({ cause: limited });
      });
    });
  });

  describe('Method: moveTag', () => {
    const batchGet = (command: object) =>
      command instanceof BatchGetImageCommand
        ? {
            images: [
              {
                imageId: { imageDigest: image.digest },
                imageManifest: manifestText,
                imageManifestMediaType: MediaTypes.ociManifest,
              },
            ],
            failures: [],
          }
        : undefined;

    describe('when the repository excludes the channel tag from immutability', () => {
      it('puts the manifest of the digest again under the tag, without checking the tag is free', async () => {
        // Prepare
        const { registry, send } = registryWith((command) => {
          if (command instanceof PutImageCommand) return { image: { imageId: { imageDigest: image.digest } } };
          const got = batchGet(command);
          if (got !== undefined) return got;
          throw new Error('unexpected command');
        });

        // Act
        await registry.moveTag('prod/app', 'live', image.digest);

        // Assess
        expect(send.mock.calls.some((c) => c[0] instanceof DescribeImagesCommand)).toBe(false);
        const put = send.mock.calls.map((c) => c[0]).find((c) => c instanceof PutImageCommand);
        expect(inputOf(put ?? {})).toEqual({
          registryId: REGISTRY_ID,
          repositoryName: 'prod/app',
          imageManifest: manifestText,
          imageManifestMediaType: MediaTypes.ociManifest,
          imageDigest: image.digest,
          imageTag: 'live',
        });
      });
    });

    describe('when ECR keeps the tag immutable (ImageTagAlreadyExistsException)', () => {
      it('throws ConflictError naming the tag', async () => {
        // Prepare
        const { registry } = registryWith((command) => {
          if (command instanceof PutImageCommand) {
            throw new ImageTagAlreadyExistsException({ message: 'tag exists', $metadata: {} });
          }
          const got = batchGet(command);
          if (got !== undefined) return got;
          throw new Error('unexpected command');
        });

        // Act
        const act = registry.moveTag('prod/app', 'live', image.digest);

        // Assess
        await expect(act).rejects.toThrow(ConflictError);
        await expect(act).rejects.toThrow(/prod\/app:live is immutable/);
      });
    });
  });

  describe('Method: listTags', () => {
    describe('when ListImages answers in pages', () => {
      it('returns every tag once, sorted', async () => {
        // Prepare
        const { registry } = registryWith((command) => {
          if (!(command instanceof ListImagesCommand)) {
            throw new Error('unexpected command');
          }
          return command.input.nextToken === undefined
            ? { imageIds: [{ imageDigest: image.digest, imageTag: 'v2' }], nextToken: 't' }
            : {
                imageIds: [
                  { imageDigest: image.digest, imageTag: 'v1' },
                  { imageDigest: image.digest, imageTag: 'v2' },
                ],
              };
        });

        // Act
        const tags = await registry.listTags('app');

        // Assess
        expect(tags).toEqual(['v1', 'v2']);
      });
    });
  });

  describe('Method: hasBlob (Distribution endpoint)', () => {
    describe('when called twice within the token lifetime', () => {
      it('sends Basic <token> to the ECR endpoint and fetches the token once', async () => {
        // Prepare
        const now = new Date('2026-01-01T00:00:00Z');
        const token = Buffer.from('AWS:secret').toString('base64');
        const requests: { url: string; authorization: string | null }[] = [];
        const fakeFetch: typeof fetch = async (input, init) => {
          requests.push({ url: String(input), authorization: new Headers(init?.headers).get('authorization') });
          return new Response(null, { status: 200 });
        };
        const { registry, send } = registryWith(
          (command) => {
            if (command instanceof GetAuthorizationTokenCommand) {
              return {
                authorizationData: [
                  {
                    authorizationToken: token,
                    expiresAt: new Date(now.getTime() + 12 * 3600_000),
                    proxyEndpoint: `https://${REGISTRY_ID}.dkr.ecr.eu-west-1.amazonaws.com`,
                  },
                ],
              };
            }
            throw new Error('unexpected command');
          },
          { fetch: fakeFetch, now: () => now },
        );

        // Act
        await registry.hasBlob('app', image.digest);
        await registry.hasBlob('app', image.digest);

        // Assess
        expect(send).toHaveBeenCalledTimes(1);
        expect(requests).toEqual([
          {
            url: `https://${REGISTRY_ID}.dkr.ecr.eu-west-1.amazonaws.com/v2/app/blobs/${image.digest}`,
            authorization: `Basic ${token}`,
          },
          {
            url: `https://${REGISTRY_ID}.dkr.ecr.eu-west-1.amazonaws.com/v2/app/blobs/${image.digest}`,
            authorization: `Basic ${token}`,
          },
        ]);
      });
    });

    describe('when the token is within 5 minutes of expiry', () => {
      it('fetches a new token', async () => {
        // Prepare
        let now = new Date('2026-01-01T00:00:00Z');
        const expiresAt = new Date(now.getTime() + 3600_000);
        const fakeFetch: typeof fetch = async () => new Response(null, { status: 404 });
        const { registry, send } = registryWith(
          () => ({ authorizationData: [{ authorizationToken: 'dG9rZW4=', expiresAt }] }),
          { fetch: fakeFetch, now: () => now },
        );
        await registry.hasBlob('app', image.digest);

        // Act
        now = new Date(expiresAt.getTime() - 4 * 60_000);
        const present = await registry.hasBlob('app', image.digest);

        // Assess
        expect(present).toBe(false);
        expect(send).toHaveBeenCalledTimes(2);
      });
    });
  });
});
