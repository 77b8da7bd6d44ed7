import { ReleaseRefSchema } from '../domain/workflow/inputs.js';
import { promoteRelease } from '../domain/workflow/promote.js';
import { awsDeps, type HandlerDeps } from './aws-deps.js';
import { compactErrors } from './compact-errors.js';
import { parseEvent } from './parse.js';

export const makeHandler = (getDeps: () => Promise<HandlerDeps>) => async (event: unknown) => {
  const req = parseEvent(ReleaseRefSchema, event, 'Promote input');
  return promoteRelease((await getDeps()).gate, req);
};

export const handler = compactErrors(makeHandler(awsDeps));
