import { randomBytes } from 'node:crypto';
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FirehoseError } from '../kafka/errors.js';

/**
 * Writes a file whole or not at all: into a temporary file in the same directory, then renamed
 * over the target (atomic on one filesystem). An exit in the middle — the interrupt deadline —
 * leaves at worst a stray temporary file, never a truncated result.
 */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, data, { flag: 'wx' });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => {});
    throw error;
  }
}

/** Refuses (exit 2, before anything starts) to replace an existing result unless --force was given. */
export async function refuseOverwrite(file: string, force: boolean): Promise<void> {
  if (force) return;
  const exists = await access(file).then(
    () => true,
    () => false,
  );
  if (exists) throw new FirehoseError('BAD_OPTION', `${file} exists: pass --force to overwrite it, or choose another --out`);
}
