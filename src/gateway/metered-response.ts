// Settles an admitted call when its answer has been delivered: at once for an answer already whole
// in memory, otherwise at the end of the body (a stream), or when the client goes away.
//
// When a client disconnects mid-stream, workerd calls neither the stream's cancel() nor another
// pull. The one notice is request.signal (the `enable_request_signal` compatibility flag): it
// stops the upstream (so its generation is no longer billed) and settles what was streamed.
//
// An SSE stream passes through one JS stage that reads each event once: the usage it reports, the
// text it streamed (so a stream cut off before its usage arrived can be charged an estimate of
// what it streamed), and, when Keygate asked for the usage chunk the client did not, that chunk,
// which is kept from the client. One stage instead of one per concern: each JS stream stage costs
// every chunk a round of promises (docs/benchmarks.md).

import { isComplete } from '../wire/complete-response';
import { sseEventFacts, sseEventSplitter, withoutNullUsage, withoutUsage } from '../wire/sse-usage';
import type { AdmittedCall } from '../usage/metering';

export interface SettleOptions {
  /** Keygate asked the stream for its usage chunk; the client did not, so it must not see it. */
  hideAddedUsage: boolean;
  /** The client's request.signal: aborted when the client disconnects. */
  clientGone: AbortSignal;
}

const encoder = new TextEncoder();

export function settleWhenDelivered(response: Response, call: AdmittedCall, { hideAddedUsage, clientGone }: SettleOptions): Response {
  const { status } = response;
  if (!response.body || isComplete(response)) {
    call.settle(status);
    return response;
  }
  const isSse = response.headers.get('content-type')?.toLowerCase().startsWith('text/event-stream') === true;
  const rewrite = isSse && hideAddedUsage && response.ok;
  const decoder = new TextDecoder();
  let streamedCharacters = 0;
  let outgoing: string[] = [];
  const readEvent = (event: string) => {
    const facts = sseEventFacts(event);
    if (facts.usage) call.onUsage(facts.usage);
    streamedCharacters += facts.textLength;
    if (rewrite && !facts.usageOnly) outgoing.push(facts.usage ? withoutUsage(event) : withoutNullUsage(event));
  };
  const events = sseEventSplitter(readEvent);
  const settle = () => call.settle(status, isSse ? { streamedCharacters } : undefined);
  const reader = response.body.getReader();
  const stop = (reason: unknown) => {
    settle();
    return reader.cancel(reason);
  };
  // A client already gone (a relay that awaited first) stops at once; one that goes later, then.
  if (clientGone.aborted) void stop(clientGone.reason).catch(() => {});
  else clientGone.addEventListener('abort', () => stop(clientGone.reason).catch(() => {}));

  const body = new ReadableStream<Uint8Array>({
    // Each pull passes on at least one chunk (or ends the stream): a pull that enqueues nothing
    // would not be called again.
    async pull(controller) {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) {
            if (isSse) {
              const rest = events.rest() + decoder.decode();
              if (rest) readEvent(rest);
              if (rewrite && outgoing.length > 0) controller.enqueue(encoder.encode(outgoing.join('')));
            }
            settle();
            controller.close();
            return;
          }
          if (isSse) events.push(decoder.decode(value, { stream: true }));
          if (!rewrite) {
            controller.enqueue(value);
            return;
          }
          if (outgoing.length > 0) {
            controller.enqueue(encoder.encode(outgoing.join('')));
            outgoing = [];
            return;
          }
        }
      } catch (error) {
        settle();
        controller.error(error);
      }
    },
    cancel: stop,
  });
  return new Response(body, response);
}
