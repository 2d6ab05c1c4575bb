// The AWS event-stream decoder reads frames made by the AWS SDK's own encoder, however the body is
// split into reads, and refuses corrupt, truncated or absurd frames instead of waiting forever.

import { crc32 as referenceCrc32 } from '@aws-crypto/crc32';
import { EventStreamCodec, Int64, type MessageHeaders } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { describe, expect, it } from 'vitest';
import {
  crc32,
  eventStreamDecoder,
  EventStreamError,
  type EventStreamMessage,
} from '../src/providers/bedrock/event-stream';

const codec = new EventStreamCodec(toUtf8, fromUtf8);

function bedrockEvent(eventType: string, body: unknown): Uint8Array {
  return codec.encode({
    headers: {
      ':event-type': { type: 'string', value: eventType },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'event' },
    },
    body: fromUtf8(JSON.stringify(body)),
  });
}

const delta = (text: string) => bedrockEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text }, p: 'abcd' });
const hello = delta('Hello');
const world = delta(' world');
const stop = bedrockEvent('messageStop', { stopReason: 'end_turn', p: 'ab' });
const throttled = codec.encode({
  headers: {
    ':exception-type': { type: 'string', value: 'throttlingException' },
    ':content-type': { type: 'string', value: 'application/json' },
    ':message-type': { type: 'string', value: 'exception' },
  },
  body: fromUtf8(JSON.stringify({ message: 'Too many requests' })),
});

/** What a decoded Bedrock frame should read as: its event type and parsed JSON payload. */
function summary(message: EventStreamMessage) {
  return { headers: { ...message.headers }, payload: JSON.parse(toUtf8(message.payload)) as unknown };
}

const helloSummary = {
  headers: { ':event-type': 'contentBlockDelta', ':content-type': 'application/json', ':message-type': 'event' },
  payload: { contentBlockIndex: 0, delta: { text: 'Hello' }, p: 'abcd' },
};

async function decode(chunks: Uint8Array[]): Promise<EventStreamMessage[]> {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  const messages: EventStreamMessage[] = [];
  const reader = body.pipeThrough(eventStreamDecoder()).getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    messages.push(read.value);
  }
  return messages;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/** `bytes` cut at the given offsets. */
function splitAt(bytes: Uint8Array, ...cuts: number[]): Uint8Array[] {
  const bounds = [0, ...cuts, bytes.byteLength];
  return bounds.slice(1).map((end, index) => bytes.slice(bounds[index], end));
}

/** A copy of a real frame with its length fields replaced and its prelude CRC made valid again. */
function withPrelude(frame: Uint8Array, totalLength: number, headersLength: number): Uint8Array {
  const copy = frame.slice();
  const view = new DataView(copy.buffer);
  view.setUint32(0, totalLength);
  view.setUint32(4, headersLength);
  view.setUint32(8, referenceCrc32(copy.subarray(0, 8)));
  return copy;
}

/** Feeds bytes without ever closing the body, so only an early error can end the read. */
async function readWithoutEnd(bytes: Uint8Array): Promise<unknown> {
  const decoder = eventStreamDecoder();
  decoder.writable.getWriter().write(bytes).catch(() => {});
  return decoder.readable.getReader().read();
}

describe('crc32', () => {
  it('gives the standard check value', () => {
    expect(crc32(fromUtf8('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array())).toBe(0);
  });

  it('matches the AWS reference implementation', () => {
    for (let length = 0; length < 600; length += 7) {
      const bytes = crypto.getRandomValues(new Uint8Array(length));
      expect(crc32(bytes)).toBe(referenceCrc32(bytes));
    }
    expect(crc32(new Uint8Array(64).fill(0xff))).toBe(referenceCrc32(new Uint8Array(64).fill(0xff)));
  });
});

describe('eventStreamDecoder', () => {
  it('decodes one Bedrock event in one chunk', async () => {
    const messages = await decode([hello]);
    expect(messages.map(summary)).toEqual([helloSummary]);
  });

  it('decodes a Bedrock exception frame', async () => {
    const [message] = await decode([throttled]);
    expect(summary(message!)).toEqual({
      headers: {
        ':exception-type': 'throttlingException',
        ':content-type': 'application/json',
        ':message-type': 'exception',
      },
      payload: { message: 'Too many requests' },
    });
  });

  it('decodes a frame split at every possible byte boundary', async () => {
    for (let cut = 1; cut < hello.byteLength; cut++) {
      expect((await decode(splitAt(hello, cut))).map(summary)).toEqual([helloSummary]);
    }
    const byteByByte = Array.from(hello, (byte) => Uint8Array.of(byte));
    expect((await decode(byteByByte)).map(summary)).toEqual([helloSummary]);
  });

  it('decodes several frames that arrive in one read', async () => {
    const messages = await decode([concat(hello, world, throttled, stop)]);
    expect(messages.map((message) => message.headers[':event-type'] ?? message.headers[':exception-type'])).toEqual([
      'contentBlockDelta',
      'contentBlockDelta',
      'throttlingException',
      'messageStop',
    ]);
    expect(JSON.parse(toUtf8(messages[1]!.payload))).toEqual({ contentBlockIndex: 0, delta: { text: ' world' }, p: 'abcd' });
  });

  it('decodes a frame split across three reads, the last also starting the next frame', async () => {
    const body = concat(hello, world);
    const chunks = splitAt(body, 5, 30, hello.byteLength + 7);
    const messages = await decode([...chunks, new Uint8Array()]);
    expect(chunks.map((chunk) => chunk.byteLength)).toEqual([5, 25, hello.byteLength - 23, world.byteLength - 7]);
    expect(messages.map((message) => JSON.parse(toUtf8(message.payload)))).toEqual([
      helloSummary.payload,
      { contentBlockIndex: 0, delta: { text: ' world' }, p: 'abcd' },
    ]);
  });

  it('decodes many frames under many random splits', async () => {
    const frames = [hello, world, throttled, stop, delta('ünïcødé ✓'), hello];
    const body = concat(...frames);
    const expected = frames.map((frame) => codec.decode(frame).body);
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 200; round++) {
      const cuts: number[] = [];
      for (let at = 1 + Math.floor(random() * 40); at < body.byteLength; at += 1 + Math.floor(random() * 40)) cuts.push(at);
      const messages = await decode(splitAt(body, ...cuts));
      expect(messages.map((message) => message.payload)).toEqual(expected);
    }
  });

  it('reads every header value type the AWS encoder can write', async () => {
    const largestLong = new Int64(Uint8Array.of(0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
    const headers: MessageHeaders = {
      yes: { type: 'boolean', value: true },
      no: { type: 'boolean', value: false },
      byte: { type: 'byte', value: -128 },
      short: { type: 'short', value: -32768 },
      integer: { type: 'integer', value: 2147483647 },
      long: { type: 'long', value: Int64.fromNumber(-123456789012345) },
      largestLong: { type: 'long', value: largestLong },
      binary: { type: 'binary', value: Uint8Array.of(0, 1, 254, 255) },
      string: { type: 'string', value: 'héllo ✓' },
      emptyString: { type: 'string', value: '' },
      timestamp: { type: 'timestamp', value: new Date('2026-11-17T12:34:56.789Z') },
      uuid: { type: 'uuid', value: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0' },
    };
    const frame = codec.encode({ headers, body: Uint8Array.of(1, 2, 3) });
    const [message] = await decode([frame]);
    expect({ ...message!.headers }).toEqual({
      yes: true,
      no: false,
      byte: -128,
      short: -32768,
      integer: 2147483647,
      long: -123456789012345n,
      largestLong: 9223372036854775807n,
      binary: Uint8Array.of(0, 1, 254, 255),
      string: 'héllo ✓',
      emptyString: '',
      timestamp: new Date('2026-11-17T12:34:56.789Z'),
      uuid: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
    });
    expect(message!.payload).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('delivers nothing and no error for an empty body', async () => {
    expect(await decode([])).toEqual([]);
  });
});

describe('eventStreamDecoder refuses bad frames', () => {
  it('errors on a bad message CRC, after delivering the good frame before it', async () => {
    const corrupt = hello.slice();
    corrupt[corrupt.byteLength - 10]! ^= 0x01; // a payload byte
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(concat(world, corrupt));
        controller.close();
      },
    });
    const reader = body.pipeThrough(eventStreamDecoder()).getReader();
    const first = await reader.read();
    expect(toUtf8(first.value!.payload)).toContain(' world');
    await expect(reader.read()).rejects.toThrow(EventStreamError);
  });

  it('errors on a bad prelude CRC as soon as the prelude arrives', async () => {
    const corrupt = hello.slice();
    corrupt[9]! ^= 0x80; // inside the prelude CRC
    await expect(readWithoutEnd(corrupt.subarray(0, 12))).rejects.toThrow(/prelude checksum/);
    await expect(decode([corrupt])).rejects.toBeInstanceOf(EventStreamError);
  });

  it('errors when the body ends inside a frame', async () => {
    await expect(decode([hello.subarray(0, hello.byteLength - 1)])).rejects.toThrow(/stream ended inside a message/);
    await expect(decode([hello, world.subarray(0, 5)])).rejects.toBeInstanceOf(EventStreamError);
  });

  it('errors on an absurd length without waiting for the bytes it claims', async () => {
    const huge = withPrelude(hello, 0xffffffff, 0);
    await expect(readWithoutEnd(huge)).rejects.toThrow(/impossible message length 4294967295/);
    const justOverLimit = withPrelude(hello, 16 * 1024 * 1024 + 1, 0);
    await expect(readWithoutEnd(justOverLimit)).rejects.toThrow(EventStreamError);
    const tooShort = withPrelude(hello, 15, 0);
    await expect(readWithoutEnd(tooShort)).rejects.toThrow(/impossible message length 15/);
  });

  it('errors when the headers length does not fit the message', async () => {
    const overlong = withPrelude(hello, hello.byteLength, hello.byteLength - 15);
    await expect(readWithoutEnd(overlong)).rejects.toThrow(/does not fit/);
  });
});
