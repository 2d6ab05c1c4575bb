// The gateway's own entry for the bulk of its traffic: a POST under /v1 to no path of Keygate's own
// (app.ts decides). It runs the steps Hono's chain runs for such
// a request, in the same order and with the same error answer, without Hono's router, context and
// middleware calls, which cost a measurable share of the runtime's CPU per call under load
// (docs/benchmarks.md). Every other request goes through the Hono app.
//
// request id -> authenticate (principal) -> body limit -> scope -> forward to the provider

import { assertScope } from '../auth/principal';
import { identifyCaller } from '../auth/identify-caller';
import { answerError } from '../http/answer-error';
import { presentedApiKey } from '../http/authenticate';
import { GATEWAY_BODY_LIMIT_BYTES, withBodyWithin } from '../http/body-limit';
import { forwardToProvider } from './routes';

export async function enterGateway(request: Request, url: URL, env: Env, context: ExecutionContext): Promise<Response> {
  const requestId = crypto.randomUUID();
  try {
    const principal = await identifyCaller(env, context, presentedApiKey(request.headers), request.headers.get('cf-connecting-ip'));
    const limited = await withBodyWithin(request, GATEWAY_BODY_LIMIT_BYTES);
    assertScope(principal, 'completions.write');
    // Inside the try, as in Hono, where the middleware's failure reaches onError too.
    return withRequestId(await forwardToProvider(limited, env, context, principal, url), requestId);
  } catch (error) {
    return withRequestId(answerError(error, requestId), requestId);
  }
}

/** What the request-id middleware does on every other route (http/request-id.ts). */
function withRequestId(response: Response, requestId: string): Response {
  response.headers.set('x-request-id', requestId);
  response.headers.set('x-portkey-request-id', requestId);
  return response;
}
