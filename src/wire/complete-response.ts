// Answers whose whole body is already in memory (a JSON answer read and checked, an error).
// Nothing of them is left to stream, so metering settles such a call at once instead of wrapping
// the body in a stream only to learn when it ends: that wrapper was a measurable part of every
// request's cost (docs/benchmarks.md).

const completeResponses = new WeakSet<Response>();

export function completeResponse(body: string | null, init: ResponseInit): Response {
  const response = new Response(body, init);
  completeResponses.add(response);
  return response;
}

export function isComplete(response: Response): boolean {
  return completeResponses.has(response);
}
