#!/usr/bin/env node
/**
 * Bundle the Node.js programs of Dask Sites into single-file ESM scripts
 * under jupyter_ext_server/bundled/, which the Python package ships and runs
 * with `node` (no node_modules needed at run time).
 *
 *   node scripts/bundle.mjs            bundle every entry; fail if one is missing
 *   node scripts/bundle.mjs sidecar    bundle only the named entries
 */
import { existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = 'jupyter_ext_server/bundled';

/** Every program the Python package expects to find in outDir. */
const ENTRIES = [
  { name: 'sidecar', entry: 'src/sidecar/main.ts', minify: true },
  { name: 'testbed-issuer', entry: 'src/testbed-issuer/main.ts', minify: false }
];

// ESM output has no require(), __filename or __dirname; CommonJS
// dependencies inside the bundle need them. The imports are renamed so they
// cannot clash with bundled code. `require` may be `const`: esbuild renames
// any top-level `require` of bundled code (checked with esbuild 0.28).
// __filename/__dirname are `var` because esbuild does not rename them and an
// ESM dependency may declare its own top-level `__dirname` (emitted as `var`;
// a repeated `var` is legal where `const` + `var` is a SyntaxError).
const BANNER = [
  "import { createRequire as __dsCreateRequire } from 'node:module';",
  "import { fileURLToPath as __dsFileURLToPath } from 'node:url';",
  "import { dirname as __dsDirname } from 'node:path';",
  'const require = __dsCreateRequire(import.meta.url);',
  'var __filename = __dsFileURLToPath(import.meta.url);',
  'var __dirname = __dsDirname(__filename);'
].join('\n');

const builtins = new Set([
  ...builtinModules,
  ...builtinModules.map(m => `node:${m}`)
]);

// Native speed-ups that `ws` loads inside try/catch when installed and does
// without otherwise: left out of the bundle on purpose.
const optionalAddons = new Set(['bufferutil', 'utf-8-validate']);

async function bundle({ name, entry, minify }) {
  const outfile = `${outDir}/${name}.mjs`;
  const started = Date.now();
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    mainFields: ['module', 'main'],
    banner: { js: BANNER },
    // Less source for V8 to hold (the sidecar's resident memory, issue 15);
    // names are kept, so stack traces still say which function failed. Not
    // the testbed issuer: oidc-provider minified answers the device
    // authorization request with a response openid-client refuses.
    minifyWhitespace: minify,
    minifySyntax: minify,
    legalComments: 'eof',
    metafile: true,
    logLevel: 'warning'
  });
  // Anything left external must be a Node.js builtin, never a package.
  const output = result.metafile.outputs[outfile];
  const external = output.imports
    .filter(
      i => i.external && !builtins.has(i.path) && !optionalAddons.has(i.path)
    )
    .map(i => i.path);
  if (external.length) {
    throw new Error(
      `${outfile} imports packages at run time: ${external.join(', ')}`
    );
  }
  const kb = (output.bytes / 1024).toFixed(0);
  console.log(
    `bundled ${entry} -> ${outfile} (${kb} kB, ${Date.now() - started} ms)`
  );
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter(w => !ENTRIES.some(e => e.name === w));
if (unknown.length) {
  console.error(
    `bundle: unknown entry ${unknown.join(', ')}; known: ${ENTRIES.map(e => e.name).join(', ')}`
  );
  process.exit(2);
}
const selected = wanted.length
  ? ENTRIES.filter(e => wanted.includes(e.name))
  : ENTRIES;

const missing = [];
let failed = false;
for (const entry of selected) {
  if (!existsSync(resolve(root, entry.entry))) {
    missing.push(entry);
    continue;
  }
  try {
    await bundle(entry);
  } catch (err) {
    failed = true;
    console.error(`bundle: ${entry.name} failed: ${err.message}`);
  }
}
for (const { name, entry } of missing) {
  console.error(
    `bundle: ${name}: entry point ${relative(process.cwd(), resolve(root, entry))} does not exist`
  );
}
if (missing.length || failed) {
  process.exit(1);
}
