#!/usr/bin/env node
/**
 * Live WebSocket encoding: bytes and CPU of snapshots and diffs, JSON and
 * msgpack (plain, records, sequential records), for 50 clusters across 3
 * sites, one message a second for 60 simulated seconds, with a few
 * clusters' figures changing each second.
 *
 *   node benchmarks/live_encoding.mjs [--repeat N] [--seed S]
 *
 * The diff rows use the sidecar's real `LiveEncoder`
 * (src/sidecar/live/encoding.ts, bundled here with esbuild); the other rows
 * encode the same messages directly. CPU is measured over `--repeat` runs of
 * the 60 s simulation and given per simulated second; "decode" is what the
 * browser pays.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deflateRawSync } from 'node:zlib';

import * as esbuild from 'esbuild';
import { Packr, Unpackr } from 'msgpackr';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const REPEAT = option('--repeat', 30);
const SEED = option('--seed', 42);
const SECONDS = 60;
const SITES = [
  {
    name: 'central',
    label: 'Central (Warsaw)',
    colour: '#1f77b4',
    clusters: 20
  },
  { name: 'lumi', label: 'LUMI (Kajaani)', colour: '#ff7f0e', clusters: 18 },
  {
    name: 'leonardo',
    label: 'Leonardo (Bologna)',
    colour: '#2ca02c',
    clusters: 12
  }
];
const GiB = 2 ** 30;

async function loadEncoder() {
  const result = await esbuild.build({
    entryPoints: [join(root, 'src/sidecar/live/encoding.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    write: false,
    external: ['msgpackr-extract'],
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
    },
    logLevel: 'error'
  });
  const dir = mkdtempSync(join(tmpdir(), 'live-encoding-'));
  const file = join(dir, 'encoding.mjs');
  writeFileSync(file, result.outputFiles[0].text);
  try {
    return await import(pathToFileURL(file).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = random =>
  Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join(
    ''
  );

/** The initial state: realistic sites, logins and clusters. */
function initialState(random, t0) {
  return SITES.map(spec => ({
    name: spec.name,
    label: spec.label,
    colour: spec.colour,
    loginKey:
      spec.name === 'leonardo'
        ? 'https://login.leonardo.example'
        : 'https://login.dedl.example',
    login: {
      status: 'logged-in',
      user: 'alice',
      accessExpiresAt: t0 + 300_000,
      sessionExpiresAt: t0 + 8 * 3600_000
    },
    reachability: { status: 'up', version: '2026.3.0', checkedAt: t0 },
    clusters: Array.from({ length: spec.clusters }, (_, i) => {
      const name = hex(random);
      const workers = 1 + Math.floor(random() * 8);
      const status =
        i % 10 === 9 ? 'STOPPED' : i % 10 === 8 ? 'PENDING' : 'RUNNING';
      const cluster = {
        name,
        displayName: i % 3 === 0 ? `flood run ${i}` : name.slice(0, 8),
        status,
        startTime: t0 - Math.floor(random() * 3600_000),
        options: { worker_cores: 2, worker_memory: 4 }
      };
      if (status === 'RUNNING') {
        cluster.dashboardRoute = `/clusters/${name}/status`;
        if (i % 4 === 0) {
          cluster.adaptive = { minimum: 1, maximum: 10 };
        }
        cluster.live = {
          workers,
          threads: workers * 2,
          memory: Math.floor(workers * (0.3 + random()) * GiB),
          memoryLimit: workers * 4 * GiB,
          tasksProcessing: 0,
          updatedAt: t0
        };
      } else if (status === 'STOPPED') {
        cluster.stopTime = t0 - 60_000;
      }
      return cluster;
    }),
    chosenCluster: undefined
  })).map(site => {
    site.chosenCluster = site.clusters[0].name;
    return site;
  });
}

/**
 * One simulated second: 2-4 of the busy clusters change figures; every 15 s
 * one cluster scales; every 30 s the reachability checks of all sites run.
 * The state is updated immutably (changed sites are new objects).
 */
function tick(sites, second, random, t0) {
  const now = t0 + second * 1000;
  const running = [];
  sites.forEach((site, s) =>
    site.clusters.forEach((c, i) => {
      if (c.live) running.push([s, i]);
    })
  );
  // A handful of clusters compute; only they change from second to second.
  const busy = running.filter((_, k) => k % 6 === 0);
  const changes = 2 + Math.floor(random() * 3);
  const touched = new Map();
  for (let k = 0; k < changes; k++) {
    const [s, i] = busy[Math.floor(random() * busy.length)];
    touched.set(`${s}/${i}`, [s, i]);
  }
  if (second % 15 === 0) {
    const [s, i] = running[Math.floor(random() * running.length)];
    touched.set(`${s}/${i}/scale`, [s, i, 'scale']);
  }
  const next = sites.map(site => ({ ...site, clusters: [...site.clusters] }));
  const changedSites = new Set();
  for (const [s, i, scale] of touched.values()) {
    const c = next[s].clusters[i];
    const live = { ...c.live, updatedAt: now };
    if (scale) {
      live.workers = Math.max(1, live.workers + (random() < 0.5 ? -1 : 1));
      live.threads = live.workers * 2;
      live.memoryLimit = live.workers * 4 * GiB;
    } else {
      live.tasksProcessing = Math.floor(random() * live.threads * 4);
      live.memory = Math.floor(live.workers * (0.3 + random() * 2) * GiB);
    }
    next[s].clusters[i] = { ...c, live };
    changedSites.add(s);
  }
  if (second % 30 === 0) {
    next.forEach((site, s) => {
      site.reachability = { ...site.reachability, checkedAt: now };
      changedSites.add(s);
    });
  }
  return next.map((site, s) => (changedSites.has(s) ? site : sites[s]));
}

/** The 60 states the sidecar would send, one a second. */
function simulate(seed) {
  const random = rng(seed);
  const t0 = Date.UTC(2026, 10, 22, 9, 0, 0);
  const states = [initialState(random, t0)];
  for (let second = 1; second < SECONDS; second++) {
    states.push(tick(states[states.length - 1], second, random, t0));
  }
  return states;
}

/** Diff messages as the protocol had them before 2026-12-07: whole changed sites. */
function diffMessages(states) {
  const out = [];
  let previous;
  states.forEach((sites, k) => {
    const now = new Map(sites.map(s => [s.name, JSON.stringify(s)]));
    if (!previous) {
      out.push({ type: 'snapshot', seq: k + 1, sites });
    } else {
      const changed = sites.filter(
        s => previous.get(s.name) !== now.get(s.name)
      );
      out.push(
        changed.length
          ? { type: 'diff', seq: k + 1, sites: changed }
          : undefined
      );
    }
    previous = now;
  });
  return out;
}

/** Diff messages as the protocol has them: only what changed (the sidecar's `LiveEncoder`). */
function patchMessages(states, encoding) {
  const encoder = new encoding.LiveEncoder();
  return states.map(sites => encoder.nextMessage(sites));
}

const snapshotMessages = states =>
  states.map((sites, k) => ({ type: 'snapshot', seq: k + 1, sites }));

/** Variants: each gives a fresh {encode, decode} per connection. */
function variants(encoding) {
  const json = () => ({
    encode: m => Buffer.from(JSON.stringify(m)),
    decode: b => JSON.parse(Buffer.from(b).toString('utf8'))
  });
  const packr = options => () => {
    const p = new Packr(options());
    const u = new Unpackr(options());
    return { encode: m => p.pack(m), decode: b => u.unpack(b) };
  };
  const plain = () => ({ useRecords: false });
  const records = encoding.liveMsgpackOptions;
  const sequential = encoding.liveStreamMsgpackOptions;
  const stateless = () => {
    const codec = encoding.createLiveCodec();
    return { encode: m => codec.encode(m), decode: b => codec.decode(b) };
  };
  return [
    { name: 'JSON snapshot', messages: 'snapshot', codec: json },
    { name: 'msgpack snapshot', messages: 'snapshot', codec: packr(plain) },
    {
      name: 'msgpack records snapshot',
      messages: 'snapshot',
      codec: packr(records)
    },
    {
      name: 'msgpack seq. records snapshot',
      messages: 'snapshot',
      codec: packr(sequential)
    },
    { name: 'JSON whole-site diff (before)', messages: 'diff', codec: json },
    {
      name: 'msgpack seq. records whole-site diff (before)',
      messages: 'diff',
      codec: packr(sequential)
    },
    { name: 'JSON patch diff', messages: 'patch', codec: json },
    {
      name: 'msgpack records patch diff (createLiveCodec)',
      messages: 'patch',
      codec: stateless
    },
    {
      name: 'msgpack seq. records patch diff (LiveEncoder)',
      messages: 'encoder',
      codec: () => {
        const u = new Unpackr(sequential());
        return { encode: undefined, decode: b => u.unpack(b) };
      }
    }
  ];
}

/** JSON with keys sorted: the same state whatever order a patch left its keys in. */
function canonical(value) {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))
        )
      : v
  );
}

function cpuMs(fn) {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function run(variant, states, encoding) {
  let bytes = 0;
  let deflated = 0;
  let messages = 0;
  let encodeMs = 0;
  let decodeMs = 0;
  let deflateMs = 0;
  let check;
  for (let r = 0; r < REPEAT; r++) {
    const codec = variant.codec();
    const encoded = [];
    if (variant.messages === 'encoder') {
      encodeMs += cpuMs(() => {
        const encoder = new encoding.LiveEncoder();
        for (const sites of states) {
          const b = encoder.next(sites);
          if (b) encoded.push(b);
        }
      });
    } else {
      encodeMs += cpuMs(() => {
        const messages =
          variant.messages === 'diff'
            ? diffMessages(states)
            : variant.messages === 'patch'
              ? patchMessages(states, encoding)
              : snapshotMessages(states);
        for (const m of messages) {
          if (m) encoded.push(codec.encode(m));
        }
      });
    }
    decodeMs += cpuMs(() => {
      let sites = [];
      for (const b of encoded) {
        sites = encoding.applyLiveMessage(sites, codec.decode(b));
      }
      check = sites;
    });
    deflateMs += cpuMs(() => {
      for (const b of encoded) deflateRawSync(b);
    });
    if (r === 0) {
      for (const b of encoded) {
        bytes += b.length;
        deflated += deflateRawSync(b).length;
        messages += 1;
      }
    }
  }
  // Every variant of the protocol must arrive at the last state.
  if (canonical(check) !== canonical(states[states.length - 1])) {
    throw new Error(
      `${variant.name}: decoded state differs from the sent state`
    );
  }
  return {
    name: variant.name,
    messages,
    bytesPerSecond: bytes / SECONDS,
    deflatedPerSecond: deflated / SECONDS,
    encodeMsPerSecond: encodeMs / REPEAT / SECONDS,
    decodeMsPerSecond: decodeMs / REPEAT / SECONDS,
    deflateMsPerSecond: deflateMs / REPEAT / SECONDS
  };
}

const encoding = await loadEncoder();
const states = simulate(SEED);
const snapshotJson = JSON.stringify({
  type: 'snapshot',
  seq: 1,
  sites: states[0]
});
// Warm up the JIT on every path before measuring.
for (const variant of variants(encoding))
  run(variant, states.slice(0, 10), encoding);
const rows = variants(encoding).map(v => run(v, states, encoding));

const clusters = SITES.reduce((n, s) => n + s.clusters, 0);
console.log(
  `Live encoding: ${clusters} clusters on ${SITES.length} sites, 1 message/s for ` +
    `${SECONDS} s, 2-4 busy clusters change a second, one scales every 15 s, ` +
    `reachability checks every 30 s (node ${process.version}, ${REPEAT} runs, ` +
    `seed ${SEED}). One JSON snapshot: ${snapshotJson.length} bytes.`
);
console.log('');
const header = [
  'encoding',
  'msgs',
  'bytes/s',
  'encode ms/s',
  'decode ms/s',
  'deflated B/s',
  'deflate ms/s'
];
const lines = rows.map(r => [
  r.name,
  String(r.messages),
  r.bytesPerSecond.toFixed(0),
  r.encodeMsPerSecond.toFixed(3),
  r.decodeMsPerSecond.toFixed(3),
  r.deflatedPerSecond.toFixed(0),
  r.deflateMsPerSecond.toFixed(3)
]);
const widths = header.map((h, i) =>
  Math.max(h.length, ...lines.map(l => l[i].length))
);
const format = cells =>
  `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
console.log(format(header));
console.log(
  `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`
);
for (const line of lines) console.log(format(line));
console.log('');
console.log(
  '"deflated": each message compressed alone (like permessage-deflate without context ' +
    'takeover), for reference. "whole-site diff (before)": the protocol before 2026-12-07, ' +
    'which resent every changed site whole; "patch diff": the protocol now, only what ' +
    'changed (decode: decoding and applying, what the browser pays).'
);
