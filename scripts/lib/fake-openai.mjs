// A local stand-in for the OpenAI API, for tests and benchmarks. It answers in OpenAI's
// documented shapes and records what it received, so tests can assert what went upstream.
// It also stands in for Azure OpenAI (under /azure/{resource}/openai/...), for Microsoft
// Entra ID's token endpoint (under /entra/{tenant}/oauth2/v2.0/token), and for AWS STS and the
// Bedrock runtime (under /sts/{region}/ and /bedrock/{region}/, see fake-aws.mjs), and for Google's
// token endpoint and Vertex AI (under /google/token and /vertex/{region}/, see fake-google.mjs).
//
// Tests steer it through the request itself:
// - header `x-test-id`: groups recorded requests; read them at GET /__fake/requests?test=<id>
// - `model` (JSON body) picks a behaviour: `fail-429`, `fail-500`, `fail-html` (502 HTML),
//   `html-200`, `garbage-json`, `garbage-http`, `reset`, `slow` (headers after 3 s), `split-stream`
//   (a stream in 7-byte pieces), `hold-stream`
//   (first SSE chunk, then waits for POST /__fake/release?test=<id>), `slow-stream` (a word every
//   100 ms for 20 s); anything else answers normally.
// - GET /__fake/closed?test=<id>: the requests whose client (Keygate) closed the connection before
//   the answer was complete, with the SSE frames each had been sent by then.

import { createServer } from 'node:http';
import { handleAws } from './fake-aws.mjs';
import { handleGoogle } from './fake-google.mjs';


/**
 * `usage-<n>` models answer with n tokens of usage (n - 3 prompt, 3 completion); others with 12.
 * A model naming `thinking` counts 10 more in its total than in prompt and completion, as Gemini
 * counts its thinking tokens on Vertex's OpenAI endpoint.
 */
function usageFor(model) {
  const total = Number(/^usage-(\d+)$/.exec(model)?.[1] ?? 12);
  return { prompt_tokens: total - 3, completion_tokens: 3, total_tokens: total + (model.includes('thinking') ? 10 : 0) };
}

function chatCompletion(model, content) {
  return {
    id: 'chatcmpl-fake123',
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: usageFor(model),
  };
}

function chunk(model, delta, finishReason = null) {
  return {
    id: 'chatcmpl-fake123',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  };
}

/**
 * The SSE frames a streamed chat answer of "Hello from fake" consists of, in order. With
 * `includeUsage` (the client sent `stream_options.include_usage`), a last chunk with no choices
 * carries the usage, as OpenAI documents; with `usageOnLastChoice` the chunk that finishes the
 * choice carries it instead, as Gemini on Vertex AI sends it.
 */
export function fakeStreamFrames(model, includeUsage = false, usageOnLastChoice = false) {
  // Models named `…-separators` stream U+2028 and U+2029 in their text: JSON leaves them as they
  // are, and SSE does not end a line at them.
  const firstWords = model.endsWith('-separators') ? 'Hello\u2028there\u2029' : 'Hello';
  if (usageOnLastChoice) {
    const frames = [chunk(model, { role: 'assistant', content: firstWords }), chunk(model, { content: ' from fake' })];
    frames.push({ ...chunk(model, {}, 'stop'), ...(includeUsage ? { usage: usageFor(model) } : {}) });
    return frames.map((frame) => `data: ${JSON.stringify(frame)}\n\n`).concat('data: [DONE]\n\n');
  }
  // As OpenAI does, a stream that asked for usage carries `"usage":null` on every other chunk.
  const frames = [
    chunk(model, { role: 'assistant', content: '' }),
    chunk(model, { content: firstWords }),
    chunk(model, { content: ' from fake' }),
    chunk(model, {}, 'stop'),
  ].map((frame) => (includeUsage ? { ...frame, usage: null } : frame));
  if (includeUsage) frames.push({ ...chunk(model, {}), choices: [], usage: usageFor(model) });
  return frames.map((frame) => `data: ${JSON.stringify(frame)}\n\n`).concat('data: [DONE]\n\n');
}

function sendJson(response, status, body, headers = {}) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'x-request-id': 'req_fake_upstream',
    'openai-organization': 'org-fake-upstream',
    ...headers,
  });
  response.end(text);
}

function openAiError(response, status, message, type, code) {
  sendJson(response, status, { error: { message, type, param: null, code } });
}

const AZURE_SCOPE = 'https://cognitiveservices.azure.com/.default';
const AZURE_PATH = /^\/azure\/([^/]+)\/openai(\/deployments\/([^/]+))?(\/.*)$/;
const ENTRA_PATH = /^\/entra\/([^/]+)\/oauth2\/v2\.0\/token$/;

function azureError(response, status, code, message) {
  sendJson(response, status, { error: { code, message } });
}

/**
 * Entra's client credentials grant. Secrets starting with `fake-entra-secret` are accepted; a
 * client id containing `short-lived` gets a token that lives 400 s. Answers after 50 ms, so
 * concurrent requests really overlap.
 */
async function answerTokenRequest(response, tenant, form, state) {
  await new Promise((resolve) => setTimeout(resolve, 50));
  const requests = state.tokenRequests.get(tenant) ?? [];
  requests.push({ client_id: form.get('client_id'), scope: form.get('scope'), grant_type: form.get('grant_type') });
  state.tokenRequests.set(tenant, requests);
  if (tenant === 'unavailable-tenant') {
    response.writeHead(503, { 'content-type': 'text/plain' });
    return response.end('Service Unavailable');
  }
  if (form.get('grant_type') !== 'client_credentials' || form.get('scope') !== AZURE_SCOPE) {
    return sendJson(response, 400, { error: 'invalid_request', error_description: 'AADSTS900144: The request body must contain grant_type and scope.' });
  }
  if (!String(form.get('client_secret') ?? '').startsWith('fake-entra-secret')) {
    return sendJson(response, 401, {
      error: 'invalid_client',
      error_description: `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent is the client secret value. Trace ID: ${form.get('client_secret')}`,
    });
  }
  const token = `fake-entra-token-${tenant}-${++state.tokenCounter}`;
  state.issuedTokens.add(token);
  return sendJson(response, 200, {
    token_type: 'Bearer',
    expires_in: String(form.get('client_id')).includes('short-lived') ? 400 : 3599,
    ext_expires_in: 3599,
    access_token: token,
  });
}

/** Azure checks its credential and the api-version before anything else. */
function azureRefusal(request, url, state, v1) {
  const apiKey = request.headers['api-key'];
  const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  if (!(apiKey?.startsWith('azure-fake-key') || (bearer && state.issuedTokens.has(bearer)))) {
    return [401, '401', 'Access denied due to invalid subscription key or wrong API endpoint.'];
  }
  if (!v1 && !/^\d{4}-\d{2}-\d{2}(-preview)?$/.test(url.searchParams.get('api-version') ?? '')) {
    return [404, '404', 'Resource not found'];
  }
  return null;
}

export async function startFakeOpenAI({ port = 0, host = '127.0.0.1' } = {}) {
  const recorded = new Map();
  const releases = new Map();
  const sockets = new Set();
  const state = { tokenRequests: new Map(), issuedTokens: new Set(), tokenCounter: 0, stsRequests: new Map(), stsCounter: 0, bedrockRequests: new Map() };

  // A request the fake can't handle answers 500 like a broken upstream would; it must never take
  // the test run down with an unhandled rejection.
  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) openAiError(response, 500, 'The fake upstream failed on this request.', 'server_error', null);
      else response.destroy();
    });
  });

  async function handle(request, response) {
    const url = new URL(request.url, 'http://fake');
    const chunks = [];
    for await (const part of request) chunks.push(part);
    const bodyText = Buffer.concat(chunks).toString('utf8');

    if (url.pathname === '/__fake/requests') {
      return sendJson(response, 200, recorded.get(url.searchParams.get('test')) ?? []);
    }
    if (url.pathname === '/__fake/closed') {
      return sendJson(response, 200, recorded.get(`closed:${url.searchParams.get('test')}`) ?? []);
    }
    if (url.pathname === '/__fake/release') {
      releases.get(url.searchParams.get('test'))?.();
      return sendJson(response, 200, { released: true });
    }
    if (url.pathname === '/__fake/webhook') {
      const hooks = recorded.get(`webhook:${url.searchParams.get('test')}`) ?? [];
      hooks.push(JSON.parse(bodyText || 'null'));
      recorded.set(`webhook:${url.searchParams.get('test')}`, hooks);
      return sendJson(response, 200, { received: true });
    }
    if (url.pathname === '/__fake/webhooks') {
      return sendJson(response, 200, recorded.get(`webhook:${url.searchParams.get('test')}`) ?? []);
    }
    if (url.pathname === '/__fake/token-requests') {
      return sendJson(response, 200, state.tokenRequests.get(url.searchParams.get('tenant')) ?? []);
    }
    if (url.pathname === '/__fake/sts-requests') {
      return sendJson(response, 200, state.stsRequests.get(url.searchParams.get('role')) ?? []);
    }
    if (url.pathname === '/__fake/bedrock-requests') {
      return sendJson(response, 200, state.bedrockRequests.get(url.searchParams.get('model')) ?? []);
    }
    if (await handleAws(request, url, bodyText, response, state)) return;
    const vertex = await handleGoogle(request, url, bodyText, response, state);
    if (vertex === true) return;
    const entra = ENTRA_PATH.exec(url.pathname);
    if (entra) return answerTokenRequest(response, decodeURIComponent(entra[1]), new URLSearchParams(bodyText), state);

    const testId = request.headers['x-test-id'];
    let framesSent = 0;
    if (testId) {
      const list = recorded.get(testId) ?? [];
      list.push({ method: request.method, path: url.pathname, search: url.search, headers: request.headers, body: bodyText });
      recorded.set(testId, list);
      response.on('close', () => {
        if (response.writableFinished) return;
        const closed = recorded.get(`closed:${testId}`) ?? [];
        closed.push({ path: url.pathname, framesSent, at: Date.now() });
        recorded.set(`closed:${testId}`, closed);
      });
    }

    // The OpenAI-shaped path below the provider's prefix, e.g. /chat/completions.
    let apiPath;
    const azure = AZURE_PATH.exec(url.pathname);
    if (vertex) {
      apiPath = vertex.apiPath;
    } else if (azure) {
      // Azure's v1 surface (/openai/v1/...) takes no api-version; the dated one requires it.
      const v1 = !azure[2] && azure[4].startsWith('/v1/');
      const refusal = azureRefusal(request, url, state, v1);
      if (refusal) return azureError(response, ...refusal);
      apiPath = v1 ? azure[4].slice(3) : azure[4];
    } else if (url.pathname.startsWith('/v1/')) {
      if (request.headers.authorization === undefined || !request.headers.authorization.startsWith('Bearer ')) {
        return openAiError(response, 401, 'You didn\'t provide an API key.', 'invalid_request_error', 'missing_api_key');
      }
      apiPath = url.pathname.slice(3);
    } else {
      return openAiError(response, 404, `Invalid URL (${request.method} ${url.pathname})`, 'invalid_request_error', null);
    }

    let body = {};
    try {
      body = bodyText ? JSON.parse(bodyText) : {};
    } catch {
      return openAiError(response, 400, 'We could not parse the JSON body of your request.', 'invalid_request_error', null);
    }
    // What OpenAI refuses with a 400 before it reads anything else.
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      return openAiError(response, 400, 'The request body must be a JSON object.', 'invalid_request_error', null);
    }
    if (body.model !== undefined && typeof body.model !== 'string') {
      return openAiError(response, 400, 'model must be a string.', 'invalid_request_error', null);
    }
    if (body.messages !== undefined && (!Array.isArray(body.messages) || body.messages.some((message) => message === null || typeof message !== 'object'))) {
      return openAiError(response, 400, 'messages must be a list of objects.', 'invalid_request_error', null);
    }
    const model = body.model ?? 'gpt-4o-mini';

    switch (model) {
      case 'fail-429':
        return openAiError(response, 429, 'Rate limit reached for requests', 'requests', 'rate_limit_exceeded');
      case 'fail-500':
        return openAiError(response, 500, 'The server had an error while processing your request.', 'server_error', null);
      case 'html-200':
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return response.end('<html><body>Welcome to the captive portal</body></html>');
      case 'fail-html':
        response.writeHead(502, { 'content-type': 'text/html' });
        return response.end('<html><body>Bad gateway</body></html>');
      case 'garbage-json':
        response.writeHead(200, { 'content-type': 'application/json' });
        return response.end('{"id": "chatcmpl-broken", "choices": [');
      case 'garbage-http':
        request.socket.end('THIS IS NOT HTTP\r\n\r\n');
        return;
      case 'reset':
        request.socket.destroy();
        return;
      case 'slow':
        await new Promise((resolve) => setTimeout(resolve, 3000));
        break;
      default:
    }

    if (apiPath === '/chat/completions' && body.stream) {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': 'req_fake_upstream' });
      const frames = fakeStreamFrames(model, body.stream_options?.include_usage === true, Boolean(vertex));
      response.write(frames[0]);
      // `hold-after-text` (and `hold-after-text-separators`) streams its first words before
      // holding, `hold-stream` only the role.
      const holdsAfterText = model.startsWith('hold-after-text');
      if (holdsAfterText) response.write(frames[1]);
      if (model === 'hold-stream' || holdsAfterText) {
        await new Promise((resolve) => {
          releases.set(testId, resolve);
          setTimeout(resolve, 10_000);
        });
      }
      framesSent = 1;
      if (model === 'slow-stream') {
        // A long generation: one word every 100 ms, until the client goes away or 20 s have passed.
        for (let word = 0; word < 200 && !response.destroyed; word++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          response.write(`data: ${JSON.stringify(chunk(model, { content: ' word' }))}\n\n`);
          framesSent++;
        }
      }
      const rest = frames.slice(holdsAfterText ? 2 : 1);
      if (model === 'split-stream') {
        // Events cut at awkward places (mid-JSON, mid-separator), each piece its own write.
        const text = rest.join('');
        for (let start = 0; start < text.length; start += 7) {
          response.write(text.slice(start, start + 7));
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
        return response.end();
      }
      for (const frame of rest) response.write(frame);
      return response.end();
    }

    switch (apiPath) {
      case '/chat/completions': {
        const lastUser = [...(body.messages ?? [])].reverse().find((message) => message.role === 'user');
        const said = typeof lastUser?.content === 'string' ? lastUser.content : '';
        return sendJson(response, 200, chatCompletion(model, `echo: ${said}`));
      }
      case '/completions':
        return sendJson(response, 200, {
          id: 'cmpl-fake123', object: 'text_completion', created: 1_700_000_000, model,
          choices: [{ text: ' completed', index: 0, logprobs: null, finish_reason: 'stop' }],
          usage: { prompt_tokens: 2, completion_tokens: 1, total_tokens: 3 },
        });
      case '/embeddings':
        return sendJson(response, 200, {
          object: 'list', model,
          data: [{ object: 'embedding', index: 0, embedding: [0.1, -0.2, 0.3] }],
          usage: { prompt_tokens: 2, total_tokens: 2 },
        });
      case '/responses':
        return sendJson(response, 200, {
          id: 'resp_fake123', object: 'response', created_at: 1_700_000_000, status: 'completed', model,
          output: [{ type: 'message', id: 'msg_fake', status: 'completed', role: 'assistant',
            content: [{ type: 'output_text', text: 'fake response', annotations: [] }] }],
          usage: { input_tokens: 2, output_tokens: 2, total_tokens: 4 },
        });
      case '/models':
        return sendJson(response, 200, { object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model', created: 1_700_000_000, owned_by: 'openai' }] });
      default:
        return openAiError(response, 404, `Invalid URL (${request.method} ${url.pathname})`, 'invalid_request_error', null);
    }
  }
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.keepAliveTimeout = 30_000;

  await new Promise((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  return {
    url: `http://${host}:${address.port}`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

