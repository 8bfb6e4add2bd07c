#!/usr/bin/env node
/**
 * Counts the bytes of the sidecar's live WebSocket, for
 * `benchmarks/sidecar_bench.py`. Connects like `tests/live_client.mjs`
 * (server secret, `watch` request), and prints one JSON line per message
 * received: `{"t": <ms since the socket opened>, "bytes": <payload bytes>,
 * "frame": <payload + WebSocket frame header bytes>, "type", "seq",
 * "sites": <whole sites in the message>, "clusters": <clusters in them>,
 * "patched": <sites patched>, "patchedClusters": <clusters changed or gone in
 * the patches>, "decodeMs": <time to decode it>}`. The payload is decoded with
 * the browser's options (msgpackr sequential records) to label the line and
 * time the decode; the sizes are those of the raw frames. Runs until
 * it is killed (or for `--seconds N`, then exits 0).
 *
 *   node benchmarks/live_bytes.mjs URL SECRET [--seconds N] SITE...
 */
import WebSocket from 'ws';
import { Unpackr } from 'msgpackr';

const args = process.argv.slice(2);
let seconds = 0;
const positional = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--seconds') {
    seconds = Number(args[++i]);
  } else {
    positional.push(args[i]);
  }
}
const [url, secret, ...sites] = positional;
if (!url || !secret) {
  process.stderr.write(
    'usage: node live_bytes.mjs URL SECRET [--seconds N] SITE...\n'
  );
  process.exit(2);
}

// The same options the browser uses (src/protocol/live-encoding.ts), as in tests/live_client.mjs.
const unpackr = new Unpackr({
  useRecords: true,
  sequential: true,
  mapsAsObjects: true,
  moreTypes: false
});
// Server-to-client frames are unmasked: 2 header bytes, +2 from 126 bytes, +8 from 64 KiB.
const frameHeader = n => (n < 126 ? 2 : n < 65536 ? 4 : 10);

let opened = 0;
const ws = new WebSocket(url, {
  headers: { Authorization: `token ${secret}` },
  perMessageDeflate: false
});
ws.on('open', () => {
  opened = performance.now();
  ws.send(JSON.stringify({ type: 'watch', sites }));
  if (seconds > 0) {
    setTimeout(() => ws.close(1000), seconds * 1000);
  }
});
ws.on('message', (data, isBinary) => {
  const bytes = data.length;
  let message = {};
  const decodeStarted = performance.now();
  try {
    message = isBinary
      ? unpackr.unpack(data)
      : JSON.parse(data.toString('utf8'));
  } catch (err) {
    message = { type: `undecodable: ${err.message}` };
  }
  const decodeMs = performance.now() - decodeStarted;
  const whole = Array.isArray(message.sites) ? message.sites : [];
  const patches = Array.isArray(message.patches) ? message.patches : [];
  const line = {
    t: Math.round((performance.now() - opened) * 10) / 10,
    bytes,
    frame: bytes + frameHeader(bytes),
    type: message.type,
    seq: message.seq,
    // Whole sites (a snapshot, or a site new or reordered) and patched ones.
    sites: whole.map(s => s.name),
    clusters: whole.reduce((n, s) => n + (s.clusters?.length ?? 0), 0),
    patched: patches.map(p => p.name),
    patchedClusters: patches.reduce(
      (n, p) => n + (p.clusters?.length ?? 0) + (p.removed?.length ?? 0),
      0
    ),
    decodeMs: Math.round(decodeMs * 1000) / 1000
  };
  process.stdout.write(JSON.stringify(line) + '\n');
});
ws.on('close', (code, reason) => {
  process.stderr.write(`closed ${code} ${reason}\n`);
  process.exit(code === 1000 || code === 1005 ? 0 : 1);
});
ws.on('error', err => {
  process.stderr.write(`error ${err.message}\n`);
  process.exit(2);
});
