// Starts the fake OpenAI server in Node for the workerd tests; they reach it over loopback,
// at the network edge, exactly as the Worker would reach the real API. Beside it, a webhook
// receiver that keeps each delivery exactly as it arrived (raw body and headers), so a test can
// check a signature over the bytes that were sent.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';
import { startFakeOpenAI } from '../../scripts/lib/fake-openai.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    fakeUpstreamUrl: string;
    webhookReceiverUrl: string;
  }
}

export interface WebhookDelivery {
  method: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** POST anything to record it under `?test=<id>`; GET /deliveries?test=<id> lists what came. */
async function startWebhookReceiver(): Promise<{ url: string; close: () => Promise<void> }> {
  const deliveries = new Map<string, WebhookDelivery[]>();
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://receiver');
    const test = url.searchParams.get('test') ?? '';
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (request.method === 'GET' && url.pathname === '/deliveries') {
      response.writeHead(200, { 'content-type': 'application/json' });
      return response.end(JSON.stringify(deliveries.get(test) ?? []));
    }
    deliveries.set(test, [...(deliveries.get(test) ?? []), { method: request.method ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') }]);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"received":true}');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((done) => server.close(() => done())) };
}

export default async function setup(project: TestProject) {
  const fake = await startFakeOpenAI();
  const receiver = await startWebhookReceiver();
  project.provide('fakeUpstreamUrl', fake.url);
  project.provide('webhookReceiverUrl', receiver.url);
  return async () => {
    await receiver.close();
    await fake.close();
  };
}
