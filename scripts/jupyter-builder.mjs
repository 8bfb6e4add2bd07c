#!/usr/bin/env node
/**
 * Run `jupyter-builder` (Python package jupyter-builder) with the given
 * arguments: the one on PATH (an active virtualenv, or hatch's build
 * environment), else the project's own .venv.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const name =
  process.platform === 'win32' ? 'jupyter-builder.exe' : 'jupyter-builder';
const venvBin = join(
  root,
  '.venv',
  process.platform === 'win32' ? 'Scripts' : 'bin'
);

const candidates = [
  ...(process.env.PATH ?? '').split(delimiter).filter(Boolean),
  venvBin
].map(dir => join(dir, name));
const builder = candidates.find(file => existsSync(file));
if (!builder) {
  console.error(
    "jupyter-builder not found on PATH or in .venv: activate the project's " +
      'virtualenv or `pip install jupyter-builder`.'
  );
  process.exit(127);
}

const result = spawnSync(builder, process.argv.slice(2), {
  cwd: root,
  stdio: 'inherit'
});
if (result.error) {
  console.error(`cannot run ${builder}: ${result.error.message}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
