// Local stand-ins for AWS STS (AssumeRole) and the Bedrock runtime (Converse, ConverseStream),
// for tests. Both recompute every SigV4 signature with AWS's own signer and refuse a bad one, as
// AWS does. Streams are framed with AWS's own event-stream encoder.
//
// Credentials the fakes know: any access key id whose secret is `secret-for-<access key id>`;
// session tokens starting with `fake-session-token`; Bedrock API keys starting with
// `fake-bedrock-api-key`. Model ids steer behaviour: they contain `throttled`, `missing`,
// `invalid`, `unavailable`, `tool`, `stream-exception` or `bad-crc` to fail or answer in those
// ways. Role ARNs containing `denied` or `sts-down` make STS refuse or fail.

import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { sigv4Problem } from './sigv4-check.mjs';

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const STS_PATH = /^\/sts\/([a-z0-9-]+)\/?$/;
const BEDROCK_PATH = /^\/bedrock\/([a-z0-9-]+)\/model\/([^/]+)\/(converse|converse-stream)$/;

const secretFor = (accessKeyId) => `secret-for-${accessKeyId}`;

function send(response, status, contentType, body, headers = {}) {
  response.writeHead(status, { 'content-type': contentType, 'x-amzn-requestid': 'fake-aws-request-id', ...headers });
  response.end(body);
}

function bedrockError(response, status, errorType, message) {
  send(response, status, 'application/json', JSON.stringify({ message }), { 'x-amzn-errortype': `${errorType}:http://internal.amazon.com/coral/com.amazon.bedrock/` });
}

function frame(eventType, body, messageType = 'event') {
  const typeHeader = messageType === 'event' ? ':event-type' : ':exception-type';
  return codec.encode({
    headers: {
      ':message-type': { type: 'string', value: messageType },
      [typeHeader]: { type: 'string', value: eventType },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: fromUtf8(JSON.stringify({ ...body, p: 'abcdefgh' })),
  });
}

function lastUserText(converse) {
  const user = [...(converse.messages ?? [])].reverse().find((message) => message.role === 'user');
  return (user?.content ?? []).map((block) => block.text ?? '').join('');
}

/** The frames of a streamed answer: text, or a tool call whose input arrives in two fragments. */
function streamFrames(modelId, converse) {
  const usage = { usage: { inputTokens: 9, outputTokens: 3, totalTokens: 12 }, metrics: { latencyMs: 12 } };
  const frames = [frame('messageStart', { role: 'assistant' })];
  if (modelId.includes('tool')) {
    const name = converse.toolConfig?.tools?.[0]?.toolSpec?.name ?? 'tool';
    frames.push(
      frame('contentBlockStart', { contentBlockIndex: 0, start: { toolUse: { toolUseId: 'tooluse_fake1', name } } }),
      frame('contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: '{"city":' } } }),
      frame('contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: '"Paris"}' } } }),
      frame('contentBlockStop', { contentBlockIndex: 0 }),
      frame('messageStop', { stopReason: 'tool_use' }),
    );
  } else {
    frames.push(
      frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hello' } }),
      frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: ' from fake' } }),
    );
    if (modelId.includes('stream-exception')) return [...frames, frame('throttlingException', { message: 'Too many tokens, slow down.' }, 'exception')];
    frames.push(frame('contentBlockStop', { contentBlockIndex: 0 }), frame('messageStop', { stopReason: 'end_turn' }));
  }
  frames.push(frame('metadata', usage));
  if (modelId.includes('bad-crc')) frames[1][frames[1].length - 5] ^= 0xff;
  return frames;
}

function converseAnswer(modelId, converse) {
  const usage = { inputTokens: 9, outputTokens: 3, totalTokens: 12 };
  if (modelId.includes('tool')) {
    const name = converse.toolConfig?.tools?.[0]?.toolSpec?.name ?? 'tool';
    return { output: { message: { role: 'assistant', content: [{ toolUse: { toolUseId: 'tooluse_fake1', name, input: { city: 'Paris' } } }] } }, stopReason: 'tool_use', usage, metrics: { latencyMs: 12 } };
  }
  return { output: { message: { role: 'assistant', content: [{ text: `echo: ${lastUserText(converse)}` }] } }, stopReason: 'end_turn', usage, metrics: { latencyMs: 12 } };
}

/** Handles STS and Bedrock paths; returns false for any other path. */
export async function handleAws(request, url, bodyText, response, state) {
  const fullUrl = `http://${request.headers.host}${request.url}`;
  const sts = STS_PATH.exec(url.pathname);
  if (sts) {
    const problem = await sigv4Problem({ method: request.method, url: fullUrl, headers: request.headers, body: bodyText }, { service: 'sts', region: sts[1], secretFor });
    const form = new URLSearchParams(bodyText);
    const role = form.get('RoleArn') ?? '';
    const calls = state.stsRequests.get(role) ?? [];
    calls.push({ sessionName: form.get('RoleSessionName'), externalId: form.get('ExternalId'), version: form.get('Version'), action: form.get('Action') });
    state.stsRequests.set(role, calls);
    const stsError = (code, message) =>
      send(response, 403, 'text/xml', `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error></ErrorResponse>`);
    if (problem) return stsError('SignatureDoesNotMatch', problem), true;
    if (form.get('Action') !== 'AssumeRole' || form.get('Version') !== '2011-06-15') return stsError('InvalidAction', 'Unsupported action'), true;
    if (role.includes('denied')) return stsError('AccessDenied', `User is not authorized to perform: sts:AssumeRole on resource: ${role}`), true;
    if (role.includes('sts-down')) return send(response, 503, 'text/xml', '<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code></Error></ErrorResponse>'), true;
    if (role.endsWith('needs-external-id') && form.get('ExternalId') !== 'expected-external-id') return stsError('AccessDenied', 'External id mismatch'), true;
    const serial = ++state.stsCounter;
    const seconds = role.includes('short-lived') ? 900 : Number(form.get('DurationSeconds') ?? 3600);
    const expiration = new Date(Date.now() + seconds * 1000).toISOString();
    send(response, 200, 'text/xml', `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>FAKESTS${serial}</AccessKeyId><SecretAccessKey>${secretFor(`FAKESTS${serial}`)}</SecretAccessKey><SessionToken>fake-session-token-${serial}</SessionToken><Expiration>${expiration}</Expiration></Credentials><AssumedRoleUser><Arn>${role}/x</Arn><AssumedRoleId>AROFAKE:x</AssumedRoleId></AssumedRoleUser></AssumeRoleResult></AssumeRoleResponse>`);
    return true;
  }

  const bedrock = BEDROCK_PATH.exec(url.pathname);
  if (!bedrock) return false;
  const [, region, encodedModel, operation] = bedrock;
  const modelId = decodeURIComponent(encodedModel);
  const converse = JSON.parse(bodyText || '{}');
  const calls = state.bedrockRequests.get(modelId) ?? [];
  calls.push({ path: url.pathname, headers: request.headers, body: converse });
  state.bedrockRequests.set(modelId, calls);

  const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  if (bearer) {
    if (!bearer.startsWith('fake-bedrock-api-key')) return bedrockError(response, 403, 'AccessDeniedException', 'Invalid API key.'), true;
  } else {
    const problem = await sigv4Problem({ method: request.method, url: fullUrl, headers: request.headers, body: bodyText }, { service: 'bedrock', region, secretFor });
    if (problem) {
      // Like AWS, the message goes on to show the canonical request, signed header values included.
      const signedValues = Object.entries(request.headers).filter(([name]) => name.startsWith('x-amz-')).map(([name, value]) => `${name}:${value}`).join('\n');
      const message = `The request signature we calculated does not match the signature you provided (${problem}). Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'POST\n${url.pathname}\n\n${signedValues}'\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n...'`;
      return bedrockError(response, 403, 'InvalidSignatureException', message), true;
    }
    const token = request.headers['x-amz-security-token'];
    if (token !== undefined && !token.startsWith('fake-session-token')) return bedrockError(response, 403, 'UnrecognizedClientException', 'The security token included in the request is invalid.'), true;
  }
  if (modelId.includes('throttled')) return bedrockError(response, 429, 'ThrottlingException', 'Too many requests, please wait before trying again.'), true;
  if (modelId.includes('missing')) return bedrockError(response, 404, 'ResourceNotFoundException', 'Could not resolve the foundation model from the provided model identifier.'), true;
  if (modelId.includes('invalid')) return bedrockError(response, 400, 'ValidationException', 'The provided request is not valid.'), true;
  if (modelId.includes('unavailable')) return bedrockError(response, 503, 'ServiceUnavailableException', 'Bedrock is unable to process your request.'), true;

  if (operation === 'converse') {
    send(response, 200, 'application/json', JSON.stringify(converseAnswer(modelId, converse)));
    return true;
  }
  response.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'fake-aws-request-id' });
  const frames = streamFrames(modelId, converse);
  // The first two frames go in one write, the rest one by one: decoders must handle both.
  response.write(Buffer.concat([Buffer.from(frames[0]), Buffer.from(frames[1])]));
  for (const each of frames.slice(2)) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    response.write(Buffer.from(each));
  }
  response.end();
  return true;
}
