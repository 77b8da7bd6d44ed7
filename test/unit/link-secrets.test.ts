import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type GetSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, it } from 'vitest';
import { FileLinkSecrets } from '../../lambdas/adapters/secrets/file-link-secrets.js';
import { SecretsManagerLinkSecrets } from '../../lambdas/adapters/secrets/secrets-manager-link-secrets.js';
import { FileSlackBotToken, SecretsManagerSlackBotToken } from '../../lambdas/adapters/secrets/slack-bot-token.js';
import {
  FileSlackSigningSecret,
  SecretsManagerSlackSigningSecret,
} from '../../lambdas/adapters/secrets/slack-signing-secret.js';
import { ConfigError } from '../../lambdas/domain/errors.js';
import { describeLinkSecretsContract } from '../support/contracts/link-secrets.contract.js';
import { stubSdkClient } from '../support/fakes.js';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:release-gate/approval-links-AbCdEf';

/**
 * A Secrets Manager client answering GetSecretValue as the API reference documents its response
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html): ARN,
 * Name, VersionId, SecretString, VersionStages, CreatedDate. Records the commands it was sent.
 */
const stubClient = (answer: () => unknown) => stubSdkClient<SecretsManagerClient, GetSecretValueCommand>(answer);

const smResponse = (secretString: string | undefined) => ({
  $metadata: { httpStatusCode: 200 },
  ARN: SECRET_ARN,
  Name: 'release-gate/approval-links',
  VersionId: 'EXAMPLE1-90ab-cdef-fedc-ba987SECRET1',
  ...(secretString === undefined ? { SecretBinary: new Uint8Array([1, 2, 3]) } : { SecretString: secretString }),
  VersionStages: ['AWSCURRENT'],
  CreatedDate: new Date('2026-11-01T00:00:00Z'),
});

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'rg-link-secrets-'));
  dirs.push(d);
  return d;
}

describeLinkSecretsContract('Secrets Manager, stubbed SDK client', {
  secrets: async (value) =>
    new SecretsManagerLinkSecrets({ client: stubClient(() => smResponse(value)).client, secretId: SECRET_ARN }),
});

describeLinkSecretsContract('local file', {
  secrets: async (value) => {
    const path = join(await tempDir(), 'link-secret.json');
    await writeFile(path, value, { mode: 0o600 });
    return new FileLinkSecrets(path);
  },
});

describe('Class: SecretsManagerLinkSecrets', () => {
  describe('when the secret is read', () => {
    it('asks GetSecretValue for the configured secret, once per cache period', async () => {
      // Prepare
      let now = 0;
      const stub = stubClient(() => smResponse(JSON.stringify({ current: 'k'.repeat(40) })));
      const secrets = new SecretsManagerLinkSecrets({ client: stub.client, secretId: SECRET_ARN, now: () => now });

      // Act
      await secrets.getLinkKeys();
      now += 299_000;
      await secrets.getLinkKeys();
      now += 2_000;
      await secrets.getLinkKeys();

      // Assess
      expect(stub.sent.map((c) => c.input)).toEqual([{ SecretId: SECRET_ARN }, { SecretId: SECRET_ARN }]);
    });
  });

  describe.each([
    [
      'the secret does not exist',
      () => {
        throw new ResourceNotFoundException({
          message: "Secrets Manager can't find the specified secret.",
          $metadata: {},
        });
      },
      'cannot read the link signing secret',
    ],
    ['the secret is binary (no SecretString)', () => smResponse(undefined), 'has no SecretString'],
  ])('when %s', (_label, answer, message) => {
    it('throws ConfigError: links fail closed', async () => {
      // Prepare
      const secrets = new SecretsManagerLinkSecrets({ client: stubClient(answer).client, secretId: SECRET_ARN });

      // Act
      const act = secrets.getLinkKeys();

      // Assess
      await expect(act).rejects.toThrowWithCode(ConfigError, 'CONFIG_ERROR', message);
    });
  });
});

describe('Class: FileLinkSecrets', () => {
  describe('when no secret file exists yet', () => {
    it('generates one 256-bit key into a 0600 file, and every later reader gets the same key', async () => {
      // Prepare
      const path = join(await tempDir(), 'nested', 'link-secret.json');

      // Act
      const [a, b] = await Promise.all([
        new FileLinkSecrets(path).getLinkKeys(),
        new FileLinkSecrets(path).getLinkKeys(),
      ]);
      const later = await new FileLinkSecrets(path).getLinkKeys();

      // Assess
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect(a).toEqual(b);
      expect(later).toEqual(a);
      expect(a.previous).toBeUndefined();
      const stored = JSON.parse(await readFile(path, 'utf8')) as { current: string };
      expect(Buffer.from(stored.current, 'base64url').byteLength).toBe(32);
    });
  });
});

describe('Class: FileSlackSigningSecret', () => {
  it('generates a Slack-style secret (mode 0600) on the first read and reuses it', async () => {
    // Prepare
    const path = join(await tempDir(), '.release-gate', 'slack-signing-secret');

    // Act
    const first = await new FileSlackSigningSecret(path).getSlackSigningSecret();
    const again = await new FileSlackSigningSecret(path).getSlackSigningSecret();

    // Assess
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    expect(again).toBe(first);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('refuses a file that holds no Slack signing secret', async () => {
    // Prepare
    const path = join(await tempDir(), 'slack-signing-secret');
    await writeFile(path, 'short\n', { mode: 0o600 });

    // Act & Assess
    await expect(new FileSlackSigningSecret(path).getSlackSigningSecret()).rejects.toThrow(ConfigError);
  });
});

describe('Class: SecretsManagerSlackSigningSecret', () => {
  it('reads the secret string of the configured secret, and fails closed on a malformed one', async () => {
    // Prepare
    const good = stubClient(() => smResponse('0123456789abcdef0123456789abcdef'));
    const bad = stubClient(() => smResponse('not-a-secret'));

    // Act
    const secret = await new SecretsManagerSlackSigningSecret({
      client: good.client,
      secretId: SECRET_ARN,
    }).getSlackSigningSecret();
    const refused = new SecretsManagerSlackSigningSecret({
      client: bad.client,
      secretId: SECRET_ARN,
    }).getSlackSigningSecret();

    // Assess
    expect(secret).toBe('0123456789abcdef0123456789abcdef');
    expect(good.sent.map((c) => c.input)).toEqual([{ SecretId: SECRET_ARN }]);
    await expect(refused).rejects.toThrow(ConfigError);
  });
});

describe('Class: FileSlackBotToken and SecretsManagerSlackBotToken', () => {
  it('generates a local bot token (mode 0600) on the first read, which both readers share', async () => {
    // Prepare
    const path = join(await tempDir(), '.release-gate', 'slack-bot-token');

    // Act
    const first = await new FileSlackBotToken(path).getSlackBotToken();
    const again = await new FileSlackBotToken(path).getSlackBotToken();

    // Assess
    expect(first).toMatch(/^xoxb-local-[0-9a-f]{32}$/);
    expect(again).toBe(first);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['the deployed random placeholder', 'Zx8qL2vN0pR4tY6uW1aB3cD5eF7gH9iJ0kL2mN4oP6qR8sT0uV2wX4yZ6aB8cD0e'],
    ['a user token', 'xoxp-1234567890-1234567890-abcdef'],
    ['a signing secret', '0123456789abcdef0123456789abcdef'],
    ['an empty secret', ''],
  ])('fails closed on %s, from a file or from Secrets Manager', async (_, value) => {
    // Prepare
    const path = join(await tempDir(), 'slack-bot-token');
    await writeFile(path, `${value}\n`, { mode: 0o600 });
    const sm = stubClient(() => smResponse(value));

    // Act
    const fromFile = new FileSlackBotToken(path).getSlackBotToken();
    const fromSm = new SecretsManagerSlackBotToken({ client: sm.client, secretId: SECRET_ARN }).getSlackBotToken();

    // Assess
    await Promise.all([
      expect(fromFile).rejects.toThrow(ConfigError),
      expect(fromSm).rejects.toThrow(/not a Slack bot token/),
    ]);
  });

  it('reads a bot token from the configured secret', async () => {
    // Prepare
    const sm = stubClient(() => smResponse('xoxb-17653-98765-AbCdEfGhIjKlMnOp\n'));

    // Act
    const token = await new SecretsManagerSlackBotToken({ client: sm.client, secretId: SECRET_ARN }).getSlackBotToken();

    // Assess
    expect(token).toBe('xoxb-17653-98765-AbCdEfGhIjKlMnOp');
    expect(sm.sent.map((c) => c.input)).toEqual([{ SecretId: SECRET_ARN }]);
  });
});
