/**
 * The LinkSecrets contract: one suite that every adapter runs (Secrets Manager with a stubbed SDK
 * client, the local file). An operator stores the secret as JSON `{"current", "previous"?}`; the
 * adapter returns its keys, and refuses (ConfigError) anything else, so links fail closed rather
 * than being signed with a missing or weak key.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signLink, verifyLink } from '../../../lambdas/domain/approval/link.js';
import { ConfigError } from '../../../lambdas/domain/errors.js';
import type { LinkSecrets } from '../../../lambdas/domain/ports.js';

export interface LinkSecretsFixture {
  /** An adapter reading the secret as an operator stored it (`value`, as the SecretString / file). */
  readonly secrets: (value: string) => Promise<LinkSecrets>;
}

const key = (): string => randomBytes(32).toString('base64url');
const encode = (s: string): Uint8Array => new TextEncoder().encode(s);

export function describeLinkSecretsContract(name: string, fixture: LinkSecretsFixture): void {
  describe(`Contract: LinkSecrets (${name})`, () => {
    describe('when the secret holds a current key', () => {
      it('returns it, and a link signed with it verifies', async () => {
        // Prepare
        const current = key();
        const secrets = await fixture.secrets(JSON.stringify({ current }));

        // Act
        const keys = await secrets.getLinkKeys();

        // Assess
        expect(keys).toEqual({ current: encode(current) });
        const token = signLink(keys, { aid: 'a'.repeat(32), sub: 'bob@example.com', esd: '', exp: 4_000_000_000 });
        expect(verifyLink(keys, token, { approvalId: 'a'.repeat(32), now: new Date(0) }).sub).toBe('bob@example.com');
      });
    });

    describe('when the secret is being rotated (current and previous)', () => {
      it('returns both keys: a link signed with the previous one still verifies', async () => {
        // Prepare
        const [current, previous] = [key(), key()];
        const secrets = await fixture.secrets(JSON.stringify({ current, previous }));
        const old = signLink(
          { current: encode(previous) },
          { aid: 'b'.repeat(32), sub: 'x@example.com', esd: '', exp: 4e9 },
        );

        // Act
        const keys = await secrets.getLinkKeys();

        // Assess
        expect(keys).toEqual({ current: encode(current), previous: encode(previous) });
        expect(verifyLink(keys, old, { approvalId: 'b'.repeat(32), now: new Date(0) }).sub).toBe('x@example.com');
      });
    });

    describe('when the secret is not a link signing secret', () => {
      it.each([
        ['not JSON', 'hunter2'],
        ['a key shorter than 32 characters', JSON.stringify({ current: 'short' })],
        ['no current key', JSON.stringify({ previous: key() })],
        ['an unknown field', JSON.stringify({ current: key(), next: key() })],
      ])('throws ConfigError for %s', async (_label, value) => {
        // Prepare
        const secrets = await fixture.secrets(value);

        // Act
        const act = secrets.getLinkKeys();

        // Assess
        await expect(act).rejects.toThrowWithCode(ConfigError, 'CONFIG_ERROR', 'not a link signing secret');
      });
    });
  });
}
