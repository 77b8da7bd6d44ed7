import { QuarantineRequestSchema } from '../domain/workflow/inputs.js';
import { quarantineRelease } from '../domain/workflow/quarantine.js';
import { awsDeps, type HandlerDeps } from './aws-deps.js';
import { compactErrors } from './compact-errors.js';
import { parseEvent } from './parse.js';

export const makeHandler = (getDeps: () => Promise<HandlerDeps>) => async (event: unknown) => {
  const req = parseEvent(QuarantineRequestSchema, event, 'Quarantine input');
  return quarantineRelease((await getDeps()).gate, req);
};

export const handler = compactErrors(makeHandler(awsDeps));
