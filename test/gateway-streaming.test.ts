// Streaming: SSE from the upstream reaches the client byte for byte, and as it arrives.

import { describe, expect, it } from 'vitest';
import { fakeStreamFrames } from '../scripts/lib/fake-openai.mjs';
import { env } from 'cloudflare:workers';
import { usageEventsOfKey } from '../src/usage/usage-events';
import { chat, createVirtualKey, fakeUpstreamUrl, keyObject } from './support/keygate';

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

describe('streaming chat completions', () => {
  it('passes the SSE stream through unchanged', async () => {
    const slug = await createVirtualKey();
    const response = await chat({ model: `@${slug}/gpt-4o-mini`, stream: true });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(await readAll(response.body!)).toBe(fakeStreamFrames('gpt-4o-mini').join(''));
  });

  it('delivers the first chunk before the upstream has sent the rest', async () => {
    const slug = await createVirtualKey();
    const testId = crypto.randomUUID();
    // The fake sends its first frame, then holds the stream open until it is released.
    const response = await chat({ model: `@${slug}/hold-stream`, stream: true }, { 'x-test-id': testId });
    const reader = response.body!.getReader();
    const first = await reader.read();
    const firstText = new TextDecoder().decode(first.value);
    expect(firstText).toBe(fakeStreamFrames('hold-stream')[0]);

    await fetch(`${fakeUpstreamUrl()}/__fake/release?test=${testId}`, { method: 'POST' });
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    expect(firstText + rest).toBe(fakeStreamFrames('hold-stream').join(''));
  });

  it('keeps the usage chunk it asked for from the client even when events arrive cut into pieces', async () => {
    const slug = await createVirtualKey();
    const response = await chat({ model: `@${slug}/split-stream`, stream: true });
    // What the client sees is the stream it asked for, without usage, however the bytes arrived.
    expect(await readAll(response.body!)).toBe(fakeStreamFrames('split-stream').join(''));
    const id = String((await keyObject(slug)).id);
    await expect.poll(() => usageEventsOfKey(env.DB, id)).toEqual([expect.objectContaining({ total_tokens: 12, estimated: 0 })]);
  });

  it('passes the usage chunk through, cut into pieces or not, to a client that asked for it', async () => {
    const slug = await createVirtualKey();
    const response = await chat({ model: `@${slug}/split-stream`, stream: true, stream_options: { include_usage: true } });
    expect(await readAll(response.body!)).toBe(fakeStreamFrames('split-stream', true).join(''));
  });
});
