import { ConfigError } from '../../domain/errors.js';

/** A required environment variable; unset or empty is a ConfigError naming it. */
export function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new ConfigError(`environment variable ${name} is not set`);
  return value;
}

/** An optional environment variable: undefined when unset or empty (the feature it configures is off). */
export function optionalEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

export function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${name} must be a positive integer, got ${raw}`);
  return n;
}
