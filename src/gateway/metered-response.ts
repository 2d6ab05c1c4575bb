// Settles a metered call when its answer has been delivered: at the end of the body (a stream
// included), or when the client goes away. Usage reported on the way is charged; a stream cut
// short without usage is charged its estimate.

import type { Metering } from '../limits/ledger-client';

export function settledWhenDone(response: Response, metering: Metering): Response {
  const answered = response.ok;
  if (!response.body) {
    metering.finish(answered);
    return response;
  }
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          metering.finish(answered);
          controller.close();
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        metering.finish(answered);
        controller.error(error);
      }
    },
    async cancel(reason) {
      metering.finish(answered);
      await reader.cancel(reason);
    },
  });
  return new Response(body, response);
}
