// Settles a metered call when its answer has been delivered: at the end of the body (a stream
// included), or when the client goes away. Usage reported on the way is charged; a stream cut
// short without usage is charged its estimate.

import type { Metering } from '../usage/metering';

export function settledWhenDone(response: Response, metering: Metering): Response {
  const { status } = response;
  if (!response.body) {
    metering.finish(status);
    return response;
  }
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          metering.finish(status);
          controller.close();
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        metering.finish(status);
        controller.error(error);
      }
    },
    async cancel(reason) {
      metering.finish(status);
      await reader.cancel(reason);
    },
  });
  return new Response(body, response);
}
