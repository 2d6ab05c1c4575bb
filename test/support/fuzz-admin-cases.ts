// Generated requests for every admin route (src/admin/*-routes.ts) and the reserved prefixes:
// each route's path shape, its own methods and bodies (right fields, wrong types, extra hostile
// entries), now and then any method, and ids that are real fixtures, plausible, or hostile.

import * as fc from 'fast-check';
import { SCOPES } from '../../src/auth/scopes';
import {
  bodyOf,
  headersWith,
  hostileJson,
  hostileString,
  methodOf,
  objectOf,
  query,
  segmentOf,
  type Field,
  type RequestCase,
} from './fuzz-inputs';
import { Obj, Ref, type Json, type Raw, type Str } from './fuzz-values';

const name = fc.oneof(fc.constantFrom('fuzz', 'Fuzz key', '  padded  '), fc.string({ minLength: 1, maxLength: 40 }));
const description = fc.oneof(fc.constant(null), fc.string({ maxLength: 60 }));
const expiresAt = fc.constantFrom<Json>('2999-01-01T00:00:00Z', '2999-01-01T00:00:00+02:00', '2000-01-01T00:00:00Z', null);
const workspaceId = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Json>(new Ref('workspaceId')) },
  { weight: 1, arbitrary: fc.constantFrom<Json>('', 'ws_default', 'ws-none-000000') },
);
const entries = (record: Record<string, Json>) => new Obj(Object.entries(record));

const rateLimits = fc.array(
  objectOf([
    { name: 'type', value: fc.constantFrom('requests', 'tokens'), required: true },
    { name: 'unit', value: fc.constantFrom('rpm', 'rph', 'rpd'), required: true },
    { name: 'value', value: fc.integer({ min: 1, max: 1_000_000_000 }), required: true },
  ]),
  { maxLength: 3 },
);

const usageLimits = objectOf([
  { name: 'credit_limit', value: fc.integer({ min: 1, max: 1_000_000 }), required: true },
  { name: 'type', value: fc.constantFrom('tokens', 'cost') },
  { name: 'alert_threshold', value: fc.integer({ min: 1, max: 1_000 }) },
  { name: 'periodic_reset', value: fc.constantFrom('weekly', 'monthly') },
  { name: 'periodic_reset_days', value: fc.integer({ min: 1, max: 365 }) },
  {
    name: 'model_prices',
    value: fc
      .tuple(fc.constantFrom('gpt-4o-mini', 'my-model'), fc.double({ min: 0, max: 100, noNaN: true }))
      .map(([model, price]) => entries({ [model]: entries({ input_per_million: price, output_per_million: price }) })),
  },
]);

const defaults = objectOf([
  {
    name: 'metadata',
    value: fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 3 }).map((record) => entries(record)),
  },
]);

const scopes = fc.subarray<string>([...SCOPES], { minLength: 1 });

const commonKeyFields: Field[] = [
  { name: 'workspace_id', value: workspaceId },
  { name: 'note', value: description },
  { name: 'expires_at', value: expiresAt },
  { name: 'rate_limits', value: rateLimits },
  { name: 'usage_limits', value: fc.oneof(usageLimits, fc.constant(null)) },
];

const deployments = fc.array(
  objectOf([
    { name: 'deployment_name', value: fc.constantFrom('gpt4o-prod', 'mini-east'), required: true },
    { name: 'api_version', value: fc.constantFrom('2024-10-21', '2024-08-01-preview'), required: true },
    { name: 'is_default', value: fc.boolean() },
    { name: 'alias', value: fc.constantFrom('gpt-4o-mini', 'fast') },
  ]),
  { minLength: 1, maxLength: 2 },
);

const providerFields: Record<string, Field[]> = {
  openai: [{ name: 'key', value: fc.constant('sk-fake-fuzz-0000000000000000000000'), required: true }],
  'azure-openai': [
    { name: 'key', value: fc.constant('azure-fake-key-fuzz-000000000001') },
    { name: 'resource_name', value: fc.constantFrom('my-resource', 'fuzz-resource'), required: true },
    { name: 'deployment_config', value: deployments, required: true },
  ],
  bedrock: [
    { name: 'aws_region', value: fc.constantFrom('us-east-1', 'eu-west-1'), required: true },
    { name: 'aws_auth_type', value: fc.constantFrom('accessKey', 'assumedRole') },
    { name: 'aws_access_key_id', value: fc.constant('FAKEACCESSKEY00001') },
    { name: 'aws_secret_access_key', value: fc.constant('secret-for-FAKEACCESSKEY00001') },
    { name: 'aws_role_arn', value: fc.constant('arn:aws:iam::123456789012:role/fuzz') },
    { name: 'key', value: fc.constant('bedrock-api-key-fuzz') },
  ],
};

const createVirtualKey = fc.oneof(
  ...Object.entries(providerFields).map(([provider, fields]) =>
    objectOf([
      { name: 'name', value: name, required: true },
      { name: 'provider', value: fc.constant(provider), required: true },
      ...fields,
      ...commonKeyFields,
    ]),
  ),
);

const updateVirtualKey = objectOf([
  { name: 'name', value: name },
  { name: 'status', value: fc.constantFrom('active', 'disabled') },
  ...commonKeyFields.filter((field) => field.name !== 'workspace_id'),
  ...Object.values(providerFields)
    .flat()
    .map((field) => ({ ...field, required: false })),
]);

const createApiKey = objectOf([
  { name: 'name', value: name, required: true },
  { name: 'description', value: description },
  { name: 'workspace_id', value: workspaceId },
  { name: 'user_id', value: fc.constantFrom('user-1', 'u@example.com') },
  { name: 'scopes', value: scopes, required: true },
  { name: 'expires_at', value: expiresAt },
  { name: 'defaults', value: defaults },
  { name: 'type', value: fc.constantFrom('organisation', 'workspace') },
  { name: 'sub-type', value: fc.constantFrom('service', 'user') },
  { name: 'organisation_id', value: hostileString },
]);

const updateApiKey = objectOf([
  { name: 'id', value: fc.constant(new Ref('workspaceKeyId')) },
  { name: 'name', value: name },
  { name: 'description', value: description },
  { name: 'scopes', value: scopes },
  { name: 'expires_at', value: expiresAt },
  { name: 'defaults', value: defaults },
  { name: 'workspace_id', value: workspaceId },
]);

const rotateApiKey = objectOf([{ name: 'key_transition_period_ms', value: fc.oneof(fc.integer({ min: 1_800_000, max: 7_776_000_000 }), fc.integer()) }]);

const workspaceFields: Field[] = [
  { name: 'name', value: name, required: true },
  { name: 'description', value: description },
  { name: 'defaults', value: defaults },
];
const createWorkspace = objectOf(workspaceFields);
const updateWorkspace = objectOf(workspaceFields.map((field) => ({ ...field, required: false })));

const slug = segmentOf(
  fc.oneof(
    { weight: 3, arbitrary: fc.constant<Str>(new Ref('slug')) },
    { weight: 1, arbitrary: fc.constant<Str>(new Ref('budgetSlug')) },
    { weight: 1, arbitrary: fc.constantFrom<Str>('openai-abcdefghij', 'vk-zzzzzzzzzz') },
  ),
);
const apiKeyId = segmentOf(
  fc.oneof(
    fc.constant<Str>(new Ref('workspaceKeyId')),
    fc.constant<Str>(new Ref('completionsKeyId')),
    fc.uuid().map((id): Str => id),
  ),
);
const workspace = segmentOf(fc.oneof({ weight: 3, arbitrary: fc.constant<Str>(new Ref('workspaceId')) }, { weight: 1, arbitrary: fc.constantFrom<Str>('ws_default', 'ws-none-000000') }));
const anySegment = segmentOf(hostileString);

interface Template {
  route: string;
  path: string;
  segments: fc.Arbitrary<Array<Str | Raw>>;
  methods: string[];
  /** The route's own body, for the methods that take one. */
  body?: { methods: string[]; object: fc.Arbitrary<Obj> };
  listed?: boolean;
}

const segments = (...parts: Array<fc.Arbitrary<Str | Raw>>) => fc.tuple(...parts).map((list) => [...list]);
const none = fc.constant<Array<Str | Raw>>([]);

const resealBody = objectOf([{ name: 'limit', value: fc.oneof(fc.integer({ min: -2, max: 1_002 }), fc.double({ min: 0, max: 10 })) }]);

const TEMPLATES: Template[] = [
  ...['/v1/virtual-keys', '/v1/virtual_keys'].flatMap((path): Template[] => [
    { route: path, path, segments: none, methods: ['POST', 'GET'], body: { methods: ['POST'], object: createVirtualKey }, listed: true },
    { route: `${path}/{slug}`, path, segments: segments(slug), methods: ['GET', 'PUT', 'DELETE'], body: { methods: ['PUT'], object: updateVirtualKey } },
    { route: `${path}/{slug}/{more}`, path, segments: segments(slug, anySegment), methods: ['GET', 'POST'] },
  ]),
  { route: '/v1/api-keys', path: '/v1/api-keys', segments: none, methods: ['GET'], listed: true },
  {
    route: '/v1/api-keys/{type}/{subType}',
    path: '/v1/api-keys',
    segments: segments(segmentOf(fc.constantFrom('organisation', 'workspace')), segmentOf(fc.constantFrom('service', 'user'))),
    methods: ['POST'],
    body: { methods: ['POST'], object: createApiKey },
  },
  { route: '/v1/api-keys/{id}', path: '/v1/api-keys', segments: segments(apiKeyId), methods: ['GET', 'PUT', 'DELETE'], body: { methods: ['PUT'], object: updateApiKey } },
  {
    route: '/v1/api-keys/{id}/rotate',
    path: '/v1/api-keys',
    segments: segments(apiKeyId, fc.constant('rotate')),
    methods: ['POST'],
    body: { methods: ['POST'], object: rotateApiKey },
  },
  { route: '/v1/admin/workspaces', path: '/v1/admin/workspaces', segments: none, methods: ['POST', 'GET'], body: { methods: ['POST'], object: createWorkspace }, listed: true },
  {
    route: '/v1/admin/workspaces/{id}',
    path: '/v1/admin/workspaces',
    segments: segments(workspace),
    methods: ['GET', 'PUT', 'DELETE'],
    body: { methods: ['PUT'], object: updateWorkspace },
  },
  { route: '/v1/admin/vault', path: '/v1/admin/vault', segments: none, methods: ['GET'] },
  {
    route: '/v1/admin/vault/reseal',
    path: '/v1/admin/vault',
    segments: segments(fc.constant('reseal')),
    methods: ['POST'],
    body: { methods: ['POST'], object: resealBody },
  },
  { route: '/v1/admin/{any}', path: '/v1/admin', segments: segments(anySegment), methods: ['GET', 'POST'] },
  { route: '/v1/admin/users/{any}', path: '/v1/admin/users', segments: segments(anySegment), methods: ['GET', 'DELETE'] },
  { route: '/v1/audit-logs', path: '/v1/audit-logs', segments: none, methods: ['GET'], listed: true },
  { route: '/v1/audit-logs/verify', path: '/v1/audit-logs', segments: segments(fc.constant('verify')), methods: ['GET'], listed: true },
  { route: '/v1/audit-logs/{any}', path: '/v1/audit-logs', segments: segments(anySegment), methods: ['GET', 'POST'] },
  { route: '/v1/analytics/{any}', path: '/v1/analytics', segments: segments(anySegment), methods: ['GET'] },
];

const anyBody = bodyOf(hostileJson.map((json) => new Obj([['value', json]])));

function caseOf(template: Template): fc.Arbitrary<RequestCase> {
  return fc
    .record({
      method: methodOf(...template.methods),
      segments: template.segments,
      query: template.listed ? query : fc.oneof({ weight: 5, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: query }),
      headers: headersWith(),
      ownBody: template.body ? bodyOf(template.body.object) : anyBody,
      otherBody: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: anyBody }),
    })
    .map(({ method, segments: parts, query: pairs, headers, ownBody, otherBody }) => {
      const upper = method.toUpperCase();
      const own = !template.body || template.body.methods.includes(upper);
      return {
        route: template.route,
        method,
        path: template.path,
        segments: parts,
        query: pairs,
        headers,
        body: upper === 'GET' || upper === 'HEAD' ? null : own ? ownBody : otherBody,
      };
    });
}

/** One generated request to some admin route. */
export const adminCase: fc.Arbitrary<RequestCase> = fc.oneof(...TEMPLATES.map(caseOf));
