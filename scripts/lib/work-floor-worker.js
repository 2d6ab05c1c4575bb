// The benchmark's "work floor" (issue 16): a Worker that does only what any vault gateway must do
// for one chat call, and nothing else, so `npm run bench` can tell Keygate's necessary cost from
// the rest. Per request it:
// - hashes the presented API key (SHA-256) and compares it with the stored digest in constant time;
// - looks the virtual key up in a Map;
// - reads the body as text and JSON.parses it;
// - AES-GCM decrypts the key's sealed secret (bound to the key by AAD) and JSON.parses it;
// - builds fresh upstream headers;
// - forwards the body;
// - reads a JSON answer as text and JSON.parses it for `usage`, or passes a streamed (SSE) answer
//   through a reader that parses each event once;
// - answers with a new Response carrying `x-request-id`.
// Its setup (importing the vault key, sealing the one secret, hashing the one API key) runs once
// per isolate, as Keygate's caches do. Vars: UPSTREAM (the fake's origin), API_KEY, VAULT_KEY
// (base64 of 32 bytes), SLUG, PROVIDER_KEY (the secret to seal).

const encoder = new TextEncoder();
const decoder = new TextDecoder();
let isolate;

async function setUp(env) {
  const vaultKey = await crypto.subtle.importKey('raw', Uint8Array.from(atob(env.VAULT_KEY), (c) => c.charCodeAt(0)), 'AES-GCM', false, ['encrypt', 'decrypt']);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const additionalData = encoder.encode(`virtual-key:${env.SLUG}`);
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData }, vaultKey, encoder.encode(JSON.stringify({ apiKey: env.PROVIDER_KEY })));
  return {
    vaultKey,
    apiKeyDigest: await crypto.subtle.digest('SHA-256', encoder.encode(env.API_KEY)),
    virtualKeys: new Map([[env.SLUG, { iv, additionalData, sealed }]]),
  };
}

function refuse(status, message, requestId) {
  return new Response(JSON.stringify({ error: { message, type: 'invalid_request_error', code: null }, message }), {
    status,
    headers: { 'content-type': 'application/json', 'x-request-id': requestId },
  });
}

/** The SSE body, passed on chunk by chunk while each complete event's data is parsed once. */
function meteredStream(body) {
  const reader = body.getReader();
  let pending = '';
  let usage;
  return new ReadableStream({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) {
        controller.close();
        return;
      }
      pending += decoder.decode(value, { stream: true });
      let end;
      while ((end = pending.indexOf('\n\n')) !== -1) {
        const event = pending.slice(0, end);
        pending = pending.slice(end + 2);
        const data = event.startsWith('data: ') ? event.slice(6) : '';
        if (data !== '' && data !== '[DONE]') usage = JSON.parse(data).usage ?? usage;
      }
      controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

export default {
  async fetch(request, env) {
    isolate ??= await setUp(env);
    const requestId = crypto.randomUUID();
    const presented = request.headers.get('authorization')?.replace(/^Bearer /, '') ?? '';
    const digest = await crypto.subtle.digest('SHA-256', encoder.encode(presented));
    if (!crypto.subtle.timingSafeEqual(digest, isolate.apiKeyDigest)) return refuse(401, 'Invalid API key.', requestId);
    const record = isolate.virtualKeys.get(request.headers.get('x-portkey-virtual-key') ?? '');
    if (!record) return refuse(404, 'No such virtual key.', requestId);

    const body = await request.text();
    const call = JSON.parse(body);
    const secret = JSON.parse(
      decoder.decode(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: record.iv, additionalData: record.additionalData }, isolate.vaultKey, record.sealed)),
    );
    const url = new URL(request.url);
    const upstream = await fetch(env.UPSTREAM + url.pathname + url.search, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret.apiKey}`, 'content-type': 'application/json' },
      body,
    });
    const headers = { 'content-type': upstream.headers.get('content-type') ?? 'application/json', 'x-request-id': requestId };
    if (call.stream === true) return new Response(meteredStream(upstream.body), { status: upstream.status, headers });
    const answer = await upstream.text();
    const usage = JSON.parse(answer).usage;
    if (usage === undefined && upstream.ok) headers['x-usage-missing'] = '1';
    return new Response(answer, { status: upstream.status, headers });
  },
};
