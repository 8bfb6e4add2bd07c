// A test's WebSocket client of the sidecar's live state: connects with the
// server secret, watches the given sites, and prints every decoded message
// as one JSON line until it is killed. Usage: node live_client.mjs URL SECRET SITE...
import WebSocket from 'ws';
import { Unpackr } from 'msgpackr';

const [url, secret, ...sites] = process.argv.slice(2);
// The same options the browser uses (src/protocol/live-encoding.ts).
const unpackr = new Unpackr({ useRecords: true, sequential: true, mapsAsObjects: true, moreTypes: false });
const ws = new WebSocket(url, { headers: { Authorization: `token ${secret}` } });
ws.on('open', () => ws.send(JSON.stringify({ type: 'watch', sites })));
ws.on('message', data => process.stdout.write(JSON.stringify(unpackr.unpack(data)) + '\n'));
ws.on('close', (code, reason) => {
  process.stderr.write(`closed ${code} ${reason}\n`);
  process.exit(code === 1000 ? 0 : 1);
});
ws.on('error', err => {
  process.stderr.write(`error ${err.message}\n`);
  process.exit(2);
});
