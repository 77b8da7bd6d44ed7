import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ASL_PATH, LOCAL_FUNCTIONS, taskStateNames } from '../../cli/local/step-functions.js';
import { HANDLER_NAMES } from '../../infra/constructs/gate-functions.js';

const asl: unknown = JSON.parse(readFileSync(ASL_PATH, 'utf8'));
const text = readFileSync(ASL_PATH, 'utf8');

/** Every `${XxxFunctionArn}` placeholder of the ASL. */
const placeholders = [...new Set([...text.matchAll(/\$\{([A-Za-z0-9]+FunctionArn)\}/g)].map((m) => m[1] ?? ''))].sort();

describe('ASL: every Task is routed to a handler on AWS and locally', () => {
  it('has Task states, and each names its function through a substitution', () => {
    const tasks = taskStateNames(asl);
    expect(tasks.length).toBeGreaterThan(10);
    const functionNames = JSON.stringify(asl);
    for (const p of placeholders) expect(functionNames).toContain(`\${${p}}`);
  });

  it('maps every placeholder to a local handler module (the same makeHandler the Lambda exports)', () => {
    expect(Object.keys(LOCAL_FUNCTIONS).sort()).toEqual(placeholders);
    for (const factory of Object.values(LOCAL_FUNCTIONS)) expect(typeof factory).toBe('function');
  });

  it('maps every placeholder to a deployed function (kebab-case handler name)', () => {
    const deployed = new Set<string>(HANDLER_NAMES);
    for (const p of placeholders) {
      const kebab = p
        .replace(/FunctionArn$/, '')
        .replace(/([a-z])([A-Z])/g, '$1-$2')
        .toLowerCase();
      expect(deployed.has(kebab), `${p} → ${kebab}`).toBe(true);
    }
  });
});
