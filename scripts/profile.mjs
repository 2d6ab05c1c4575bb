#!/usr/bin/env node
// `npm run profile [-- --limits] [--stream] [--connections N] [--work-floor]`: where Keygate's time
// goes on the hot path. Runs the deployable bundle under Miniflare with V8's inspector open, drives chat completions
// at one connection (or N)
// against the fake upstream, records a CPU profile of the Worker's isolate, and prints the
// functions with the most self time. The profile is written to keygate.cpuprofile (open it in
// Chrome DevTools) unless --no-save is given.
//
// Gateway requests carry a workspace service key holding only `completions.write`
// (BENCH_API_KEY=workspace, the default) or the bootstrap admin key (BENCH_API_KEY=admin); the
// virtual key is created with the admin key. The summary line says which.
//
// Only JavaScript shows by name. Time in workerd's C++ (sockets, streams, crypto, storage)
// appears as "(program)"; time waiting for the upstream or the ledger appears as "(idle)".

import autocannon from 'autocannon';
import { writeFile } from 'node:fs/promises';
import { startFakeOpenAI } from './lib/fake-openai.mjs';
import { apiKeyKindFromEnv, createVirtualKey, gatewayApiKey, gatewayHeaders } from './lib/gateway-keys.mjs';
import { launchKeygate } from './lib/launch-worker.mjs';
import { launchWorkFloor } from './lib/work-floor.mjs';

const withLimits = process.argv.includes('--limits');
const stream = process.argv.includes('--stream');
const save = !process.argv.includes('--no-save');
const workFloorOnly = process.argv.includes('--work-floor');
// At 32 connections CPU per request decides throughput; at 1, latency. Profile both.
const connectionsAt = process.argv.indexOf('--connections');
const CONNECTIONS = connectionsAt === -1 ? 1 : Number(process.argv[connectionsAt + 1]);
if (!Number.isInteger(CONNECTIONS) || CONNECTIONS < 1) throw new Error('--connections takes a whole number of connections, at least 1');
const API_KEY_KIND = apiKeyKindFromEnv();
const SECONDS = Number(process.env.PROFILE_SECONDS ?? 5);
const INSPECTOR_PORT = Number(process.env.PROFILE_INSPECTOR_PORT ?? 9329);
const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }], max_tokens: 16, ...(stream ? { stream: true } : {}) });

/** A minimal Chrome DevTools Protocol client over Node's built-in WebSocket. */
async function connectInspector(port) {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
  // Miniflare runs its own entry Worker too; the user Worker's target carries its name (empty here).
  const target = targets.find((t) => !t.id.includes('miniflare') && !t.title?.includes('miniflare')) ?? targets[0];
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  let nextId = 1;
  const pending = new Map();
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.id && pending.has(message.id)) {
      const { resolve, reject } = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) reject(new Error(message.error.message));
      else resolve(message.result);
    }
  };
  return {
    title: target.title ?? target.id,
    send(method, params = {}) {
      const id = nextId++;
      socket.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
    },
    close: () => socket.close(),
  };
}

/** Self time per function (name, file line), as a share of the profile's samples. */
function summarize(profile, top = 30) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const counts = new Map();
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  const byFunction = new Map();
  for (const [id, count] of counts) {
    const { functionName, url, lineNumber } = nodes.get(id).callFrame;
    const file = url ? url.split('/').pop() : '';
    const key = `${functionName || '(anonymous)'}${file ? ` ${file}:${lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + count);
  }
  const total = profile.samples.length;
  return [...byFunction.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, count]) => ({ 'self %': ((100 * count) / total).toFixed(1), function: fn }));
}

const fake = await startFakeOpenAI();
// Built unminified, so the profile names our functions; otherwise the bundle that deploys.
// --work-floor profiles the benchmark's work floor instead (scripts/lib/work-floor-worker.js), to
// set its profile beside Keygate's.
const keygate = workFloorOnly
  ? await launchWorkFloor(fake.url, { inspectorPort: INSPECTOR_PORT })
  : await launchKeygate({ vars: { OPENAI_BASE_URL: `${fake.url}/v1` }, inspectorPort: INSPECTOR_PORT, minify: false });
try {
  const limits = withLimits
    ? { rate_limits: [{ type: 'requests', unit: 'rpm', value: 100_000_000 }], usage_limits: { credit_limit: 1e12, type: 'tokens' } }
    : {};
  const headers = workFloorOnly ? keygate.headers : gatewayHeaders(await gatewayApiKey(keygate, API_KEY_KIND), await createVirtualKey(keygate, 'profile', limits));
  const load = (duration) =>
    autocannon({
      url: `${keygate.url}/v1/chat/completions`,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      connections: CONNECTIONS,
      duration,
    });

  await load(1); // warm-up: JIT, caches
  const inspector = await connectInspector(INSPECTOR_PORT);
  await inspector.send('Profiler.enable');
  await inspector.send('Profiler.setSamplingInterval', { interval: 50 });
  await inspector.send('Profiler.start');
  const result = await load(SECONDS);
  const { profile } = await inspector.send('Profiler.stop');
  inspector.close();

  console.log(`\n${workFloorOnly ? 'work floor' : withLimits ? 'keygate+limits' : 'keygate'}${stream ? ', streamed' : ''}, ${API_KEY_KIND} key (BENCH_API_KEY=${API_KEY_KIND}): ${Math.round(result.requests.average)} req/s at ${CONNECTIONS} connection${CONNECTIONS === 1 ? '' : 's'}, profiled ${SECONDS} s of isolate "${inspector.title}"`);
  console.table(summarize(profile));
  if (save) {
    await writeFile('keygate.cpuprofile', JSON.stringify(profile));
    console.log('wrote keygate.cpuprofile');
  }
} finally {
  await keygate.close();
  await fake.close();
}
