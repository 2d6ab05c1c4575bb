// A decoder for the AWS event-stream framing (`application/vnd.amazon.eventstream`), the body that
// Bedrock's ConverseStream returns. The layout is the one in the AWS docs, "Event stream encoding":
//
//   [total length u32][headers length u32][prelude CRC u32] headers payload [message CRC u32]
//
// All integers are big-endian. The prelude CRC covers the first 8 bytes, the message CRC everything
// before it. Written by hand because the Workers runtime has Web Streams but no Node Buffer, and the
// format is small enough that a dependency would cost more than it saves.

export type EventStreamHeaderValue = string | number | boolean | bigint | Uint8Array | Date;

export interface EventStreamMessage {
  headers: Record<string, EventStreamHeaderValue>;
  payload: Uint8Array;
}

export class EventStreamError extends Error {
  override name = 'EventStreamError';
}

const PRELUDE_LENGTH = 12;
const CHECKSUM_LENGTH = 4;
const MINIMUM_MESSAGE_LENGTH = PRELUDE_LENGTH + CHECKSUM_LENGTH;
// The AWS limit for one message. Without a ceiling, a corrupt length field would make us buffer
// the rest of the body waiting for a frame that never completes.
const MAXIMUM_MESSAGE_LENGTH = 16 * 1024 * 1024;

/**
 * A TransformStream from raw body bytes (chunks split anywhere) to whole decoded messages. A frame
 * whose prelude or message CRC fails, an impossible length, or bytes left over at the end error the
 * stream with EventStreamError.
 */
export function eventStreamDecoder(): TransformStream<Uint8Array, EventStreamMessage> {
  const pending = new ByteQueue();
  // Set once the prelude of the next message has been read and checked, so a corrupt prelude fails
  // as soon as its 12 bytes arrive rather than after the length it claims.
  let messageLength: number | null = null;
  return new TransformStream<Uint8Array, EventStreamMessage>({
    transform(chunk, controller) {
      pending.push(chunk);
      for (;;) {
        if (messageLength === null) {
          if (pending.length < PRELUDE_LENGTH) return;
          messageLength = checkPrelude(pending.read(PRELUDE_LENGTH, false));
        }
        if (pending.length < messageLength) return;
        controller.enqueue(decodeMessage(pending.read(messageLength, true)));
        messageLength = null;
      }
    },
    flush() {
      if (pending.length > 0) {
        throw new EventStreamError(`stream ended inside a message, ${pending.length} bytes left over`);
      }
    },
  });
}

/** The total message length the prelude announces, once its CRC and lengths are known to be sane. */
function checkPrelude(prelude: Uint8Array): number {
  const view = new DataView(prelude.buffer, prelude.byteOffset, prelude.byteLength);
  if (crc32(prelude.subarray(0, 8)) !== view.getUint32(8)) {
    throw new EventStreamError('prelude checksum mismatch');
  }
  const totalLength = view.getUint32(0);
  const headersLength = view.getUint32(4);
  if (totalLength < MINIMUM_MESSAGE_LENGTH || totalLength > MAXIMUM_MESSAGE_LENGTH) {
    throw new EventStreamError(`impossible message length ${totalLength}`);
  }
  if (headersLength > totalLength - MINIMUM_MESSAGE_LENGTH) {
    throw new EventStreamError(`headers length ${headersLength} does not fit in a ${totalLength}-byte message`);
  }
  return totalLength;
}

/** One whole frame, already known to have a valid prelude, checked against its message CRC. */
function decodeMessage(message: Uint8Array): EventStreamMessage {
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const checksumAt = message.byteLength - CHECKSUM_LENGTH;
  if (crc32(message.subarray(0, checksumAt)) !== view.getUint32(checksumAt)) {
    throw new EventStreamError('message checksum mismatch');
  }
  const headersEnd = PRELUDE_LENGTH + view.getUint32(4);
  return {
    headers: parseHeaders(new HeaderCursor(message, PRELUDE_LENGTH, headersEnd)),
    payload: message.subarray(headersEnd, checksumAt),
  };
}

function parseHeaders(cursor: HeaderCursor): Record<string, EventStreamHeaderValue> {
  // No prototype, so a header named `__proto__` from upstream is just a header.
  const headers = Object.create(null) as Record<string, EventStreamHeaderValue>;
  while (!cursor.done) {
    const name = decodeUtf8(cursor.bytes(cursor.view.getUint8(cursor.take(1))));
    headers[name] = parseHeaderValue(cursor);
  }
  return headers;
}

function parseHeaderValue(cursor: HeaderCursor): EventStreamHeaderValue {
  const { view } = cursor;
  const type = view.getUint8(cursor.take(1));
  switch (type) {
    case 0: return true;
    case 1: return false;
    case 2: return view.getInt8(cursor.take(1));
    case 3: return view.getInt16(cursor.take(2));
    case 4: return view.getInt32(cursor.take(4));
    // A bigint, because the values that need 64 bits are past what a number holds exactly.
    case 5: return view.getBigInt64(cursor.take(8));
    case 6: return cursor.bytes(view.getUint16(cursor.take(2)));
    case 7: return decodeUtf8(cursor.bytes(view.getUint16(cursor.take(2))));
    case 8: return new Date(Number(view.getBigInt64(cursor.take(8))));
    // The canonical text form, as the AWS SDKs give it.
    case 9: return formatUuid(cursor.bytes(16));
    default: throw new EventStreamError(`unknown header value type ${type}`);
  }
}

/** Reads the header block of one message, refusing to run past its end. */
class HeaderCursor {
  readonly view: DataView;
  constructor(
    private readonly message: Uint8Array,
    private position: number,
    private readonly end: number,
  ) {
    this.view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  }

  get done(): boolean {
    return this.position >= this.end;
  }

  /** Where the next `count` bytes start; moves past them. */
  take(count: number): number {
    if (this.position + count > this.end) throw new EventStreamError('header runs past the header block');
    const start = this.position;
    this.position += count;
    return start;
  }

  bytes(count: number): Uint8Array {
    const start = this.take(count);
    return this.message.subarray(start, start + count);
  }
}

// `ignoreBOM` keeps a leading U+FEFF: in a header it is part of the value, not a byte-order mark.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new EventStreamError('header is not valid UTF-8');
  }
}

function formatUuid(bytes: Uint8Array): string {
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Bytes received but not decoded yet, kept as the chunks they arrived in. Each byte is copied once,
 * when its message is complete, so many small chunks do not cost quadratic concatenation.
 */
class ByteQueue {
  private chunks: Uint8Array[] = [];
  private offset = 0; // bytes of chunks[0] already consumed
  length = 0;

  push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.byteLength;
  }

  /** A copy of the first `count` bytes (at most `length`), removed from the queue when `consume`. */
  read(count: number, consume: boolean): Uint8Array {
    const out = new Uint8Array(count);
    let written = 0;
    let index = 0;
    let offset = this.offset;
    while (written < count) {
      const chunk = this.chunks[index]!;
      const part = chunk.subarray(offset, offset + count - written);
      out.set(part, written);
      written += part.byteLength;
      offset += part.byteLength;
      if (offset === chunk.byteLength) {
        index += 1;
        offset = 0;
      }
    }
    if (consume) {
      this.chunks.splice(0, index);
      this.offset = offset;
      this.length -= count;
    }
    return out;
  }
}

// The standard IEEE CRC-32 (reflected polynomial 0xEDB88320), the same as zlib's.
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let index = 0; index < 256; index++) {
    let value = index;
    for (let bit = 0; bit < 8; bit++) value = value & 1 ? 0xedb88320 ^ (value >>> 1) : value >>> 1;
    table[index] = value;
  }
  return table;
})();

/** The CRC-32 of `bytes`, unsigned. */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let index = 0; index < bytes.length; index++) {
    crc = CRC_TABLE[(crc ^ bytes[index]!) & 0xff]! ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}
