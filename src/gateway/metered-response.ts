// Settles a metered call when its answer has been delivered: at once for an answer already whole
// in memory, otherwise at the end of the body (a stream), or when the client goes away. The text a stream delivered is counted on the way, so
// a stream cut off before its usage arrived can be charged an estimate of what it streamed.

import { isComplete } from '../http/complete-response';
import { sseEventSplitter, streamedTextLength } from '../http/sse-usage';
import type { Metering } from '../usage/metering';


export function settledWhenDone(response: Response, metering: Metering): Response {
  const { status } = response;
  if (!response.body || isComplete(response)) {
    metering.finish(status);
    return response;
  }
  const isStream = response.headers.get('content-type')?.startsWith('text/event-stream') === true;
  const decoder = new TextDecoder();
  let streamedCharacters = 0;
  const splitEvents = sseEventSplitter((event) => (streamedCharacters += streamedTextLength(event)));
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
        if (isStream) splitEvents(decoder.decode(value, { stream: true }));
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
