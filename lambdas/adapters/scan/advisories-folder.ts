/**
 * Reads an OSV advisory database laid out as files (osv.dev's per-ecosystem exports, PyPA's
 * advisory-database, GitHub's advisory-database): every `*.json`, `*.yaml` and `*.yml` below a
 * folder. Fails closed: a file that does not parse throws with its path, and an empty folder
 * throws too, because a scanner with a broken or missing database must not report "no
 * vulnerabilities".
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, GateError, InvalidInputError, NotFoundError, TooLargeError } from '../../domain/errors.js';
import { Limits } from '../../domain/limits.js';
import type { AdvisorySource } from '../../domain/osv/advisory-index.js';
import { type OsvRecord, osvFormatOf, parseOsvRecord } from '../../domain/osv/schema.js';

export interface LoadAdvisoriesOptions {
  /** Accept a folder without any advisory file. @default false - an empty database throws */
  readonly allowEmpty?: boolean;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    // Symbolic links to folders are not followed (no cycles); links to files are read.
    if (entry.isDirectory()) files.push(...(await listFiles(path)));
    else if ((entry.isFile() || entry.isSymbolicLink()) && osvFormatOf(entry.name) !== null) files.push(path);
  }
  return files;
}

/**
 * One OSV record file: the size first (never read whole past `Limits.advisoryBytes`), then the
 * document door and the OSV schema. Throws InvalidInputError or TooLargeError naming `path` and
 * the reason (every invalid field).
 */
export async function loadAdvisoryFile(path: string): Promise<OsvRecord> {
  const format = osvFormatOf(path);
  if (format === null) throw new InvalidInputError(`advisory ${path}: not a .json, .yaml or .yml file`);
  let bytes: Uint8Array;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new InvalidInputError(`advisory ${path}: not a regular file`);
    if (info.size > Limits.advisoryBytes) throw new TooLargeError(`advisory ${path}`, info.size, Limits.advisoryBytes);
    bytes = await readFile(path);
  } catch (err) {
    if (err instanceof GateError) throw err;
    throw new InvalidInputError(`advisory ${path} cannot be read: ${describeError(err)}`, { cause: err });
  }
  return parseOsvRecord(bytes, format, path);
}

/** Every OSV record below `dir`, in path order. */
export async function loadAdvisories(dir: string, options: LoadAdvisoriesOptions = {}): Promise<OsvRecord[]> {
  let files: string[];
  try {
    files = await listFiles(dir);
  } catch (err) {
    throw new NotFoundError(`advisory folder ${dir} cannot be read`, { cause: err });
  }
  if (files.length === 0 && options.allowEmpty !== true) {
    throw new NotFoundError(`advisory folder ${dir} holds no .json/.yaml/.yml advisory`);
  }
  const records: OsvRecord[] = [];
  for (const path of files) {
    const format = osvFormatOf(path);
    if (format === null) continue;
    try {
      const info = await stat(path);
      if (!info.isFile()) continue;
      if (info.size > Limits.advisoryBytes) throw new TooLargeError(path, info.size, Limits.advisoryBytes);
      records.push(parseOsvRecord(await readFile(path), format, path));
    } catch (err) {
      if (err instanceof GateError && err.message.includes(path)) throw err;
      throw new InvalidInputError(`advisory ${path} cannot be loaded: ${describeError(err)}`, { cause: err });
    }
  }
  return records;
}

/**
 * The advisories folder as an advisory source (osv/advisory-index.ts `AdvisorySource`): every
 * record of the folder, read again per call (records added since count), whatever the components.
 * The embedded stack's; no index is needed for a folder on local disk.
 */
export function folderAdvisorySource(dir: string): AdvisorySource {
  return () => loadAdvisories(dir);
}
