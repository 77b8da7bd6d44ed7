// The class lives with the rest of the error vocabulary (domain/errors.ts), where the ASL test ties
// its name to the state machine's Retry blocks.
export { NotificationError } from '../../domain/errors.js';
