// Settles a metered call when its answer has been delivered: at the end of the body (a stream
// included), or when the client goes away. The text a stream delivered is counted on the way, so
// a stream cut off before its usage arrived can be charged an estimate of what it streamed.

import type { Metering } from '../usage/metering';

// The `content` strings of OpenAI-shaped chunks (`delta.content`), escaped as they are on the wire.
const CONTENT = /"content":"((?:[^"\\]|\\.)*)"/g;

export function settledWhenDone(response: Response, metering: Metering): Response {
  const { status } = response;
  if (!response.body) {
    metering.finish(status);
    return response;
  }
  const isStream = response.headers.get('content-type')?.startsWith('text/event-stream') === true;
  const decoder = new TextDecoder();
  let streamedCharacters = 0;
  const finish = () => metering.finish(status, isStream ? { streamedCharacters } : undefined);
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          finish();
          controller.close();
          return;
        }
        if (isStream) for (const match of decoder.decode(value, { stream: true }).matchAll(CONTENT)) streamedCharacters += match[1]!.length;
        controller.enqueue(value);
      } catch (error) {
        finish();
        controller.error(error);
      }
    },
    async cancel(reason) {
      finish();
      await reader.cancel(reason);
    },
  });
  return new Response(body, response);
}
