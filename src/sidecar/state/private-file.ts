/**
 * Write a file only its owner may read, atomically: readers see the old
 * content or the new, never half of it.
 */
import { chmod, rename, writeFile } from 'node:fs/promises';

export async function writePrivateFile(
  path: string,
  text: string
): Promise<void> {
  // Unique, so two sidecars sharing a folder never write the same temporary file.
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode: 0o600 });
  await chmod(temporary, 0o600); // an existing file would keep its old mode
  await rename(temporary, path);
}
