/**
 * Every command of the CLI's own command table answers `--help` with its usage (exit 0, nothing on
 * stderr), and `release-gate --help` lists every command. The commands come from the table the
 * CLI dispatches by (cli/command-table.ts), so a command added there is checked here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS, type CommandName } from '../../cli/command-table.js';
import { runCli } from '../support/cli-process.js';

const NAMES = Object.keys(COMMANDS) as CommandName[];

describe('Command table: release-gate <command> --help', () => {
  it('lists every command in `release-gate --help` (exit 0)', async () => {
    // Act
    const res = await runCli(['--help']);

    // Assess
    expect(res.code).toBe(0);
    expect(res.stderr).toBe('');
    for (const name of NAMES) expect(res.stdout).toContain(`release-gate ${name} `);
    expect(res.stdout).toContain('NO_COLOR');
  });

  it.each(NAMES)('`%s --help` prints its usage naming the command and exits 0', async (name) => {
    // Act
    const res = await runCli([name, name === 'gate' ? '-h' : '--help'], { timeoutMs: 60_000 });

    // Assess
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(new RegExp(`^Usage:\\n {2}release-gate ${name}[ \\n]`));
    if (COMMANDS[name].json) expect(res.stdout).toContain('--json');
  });

  it('answers --help after a subcommand and with --aws, before anything is parsed or sent', async () => {
    // Act
    const confirm = await runCli(['break-glass', 'confirm', '--help']);
    const aws = await runCli(['rollback', 'demo/good', '--aws', '--help']);
    const afterId = await runCli(['approve', 'A'.repeat(22), '--help']);

    // Assess
    expect(confirm.code).toBe(0);
    expect(confirm.stdout).toContain('release-gate break-glass confirm <id>');
    expect(aws.code).toBe(0);
    expect(aws.stdout).toContain('release-gate rollback … --aws');
    expect(afterId.code).toBe(0);
    expect(afterId.stdout).toContain('release-gate approve <approval-id>');
  });

  it("is what README's CLI section lists: every command, --json where it takes it, NO_COLOR", () => {
    // Prepare
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(
      readme.indexOf('## The CLI'),
      readme.indexOf('\n## ', readme.indexOf('## The CLI') + 1),
    );
    const lines = section.split('\n').filter((l) => l.startsWith('release-gate '));

    // Assess
    for (const name of NAMES) {
      const own = lines.filter((l) => new RegExp(`^release-gate ([a-z-]+\\|)*${name}[ |]`).test(l));
      expect(own.length, name).toBeGreaterThan(0);
      if (COMMANDS[name].json)
        expect(own.some((l) => l.includes('--json')) || name === 'verify-bundle', name).toBe(true);
    }
    expect(section).toContain('NO_COLOR');
    expect(section).toContain('--json');
  });

  it('names the commands for an unknown one (exit 2, one line of error)', async () => {
    // Act
    const res = await runCli(['gat']);

    // Assess
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr.split('\n')[0]).toBe('usage error: unknown command "gat"');
    expect(res.stderr).toContain('the commands: demo, gate, approve');
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });
});
