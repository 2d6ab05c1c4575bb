// The provider part of a virtual key's create form, one builder per provider. Each returns its
// fields and a function that reads them into the API's body fields (snake_case, as the SDK sends).

import { field, h, input, select } from './dom.js';

export const PROVIDERS = [
  ['openai', 'OpenAI'],
  ['azure-openai', 'Azure OpenAI'],
  ['bedrock', 'AWS Bedrock'],
  ['vertex-ai', 'Google Vertex AI'],
];

const secret = (props = {}) => input({ type: 'password', autocomplete: 'off', spellcheck: 'false', ...props });
const value = (control) => control.value.trim();
const optional = (control) => value(control) || undefined;

/** Fields shown for one choice of a mode select, the others hidden (and not sent). */
function modes(label, choices, build) {
  const chooser = select(choices.map(([id, text]) => [id, text]));
  const groups = new Map(choices.map(([id]) => [id, build(id)]));
  const area = h('div', { class: 'mode-fields' });
  const show = () => area.replaceChildren(groups.get(chooser.value).element);
  chooser.addEventListener('change', show);
  show();
  return { element: h('div', {}, field(label, chooser), area), read: () => ({ mode: chooser.value, ...groups.get(chooser.value).read() }) };
}

function openai() {
  const key = secret({ required: true });
  return { element: field('API key', key), read: () => ({ key: value(key) }) };
}

/** One deployment of the editor; its legend numbers it, so each row's controls can be told apart. */
function deploymentRow(rows, renumber) {
  const name = input({ required: true });
  const alias = input();
  const version = input({ value: '2024-10-21', required: true });
  const isDefault = h('input', { type: 'radio', name: 'default-deployment', checked: rows.length === 0 });
  const legend = h('legend', {});
  const remove = h('button', { type: 'button', class: 'small' });
  const row = h('fieldset', { class: 'deployment' }, legend, field('Deployment name', name), field('Alias', alias), field('API version', version), field('Default', isDefault), remove);
  const entry = {
    row,
    number(position) {
      legend.textContent = `Deployment ${position}`;
      remove.textContent = `Remove deployment ${position}`;
    },
    read: () => ({ deployment_name: value(name), alias: optional(alias), api_version: value(version), is_default: isDefault.checked }),
  };
  remove.addEventListener('click', () => {
    if (rows.length === 1) return;
    rows.splice(rows.indexOf(entry), 1);
    row.remove();
    // The default went with it: the first deployment left is the default now.
    if (isDefault.checked) rows[0].row.querySelector('input[type=radio]').checked = true;
    renumber();
  });
  return entry;
}

function azure() {
  const resource = input({ required: true });
  const rows = [];
  const list = h('div', {});
  const renumber = () => rows.forEach((entry, index) => entry.number(index + 1));
  const add = () => {
    const entry = deploymentRow(rows, renumber);
    rows.push(entry);
    list.append(entry.row);
    renumber();
  };
  add();
  const auth = modes(
    'Authentication',
    [
      ['api-key', 'API key'],
      ['entra', 'Microsoft Entra ID (service principal)'],
      ['managed', 'Keygate’s own identity'],
    ],
    (mode) => {
      if (mode === 'api-key') return openai();
      if (mode === 'managed') {
        const client = input();
        return { element: field('Managed client ID', client, 'Optional'), read: () => ({ azure_managed_client_id: optional(client) }) };
      }
      const [tenant, client, clientSecret] = [input({ required: true }), input({ required: true }), secret({ required: true })];
      return {
        element: h('div', {}, field('Tenant ID', tenant), field('Client ID', client), field('Client secret', clientSecret)),
        read: () => ({ azure_entra_tenant_id: value(tenant), azure_entra_client_id: value(client), azure_entra_client_secret: value(clientSecret) }),
      };
    },
  );
  return {
    element: h('div', {}, field('Resource name', resource), h('div', { class: 'deployments' }, list, h('button', { type: 'button', class: 'small', onclick: add }, 'Add deployment')), auth.element),
    read: () => {
      const { mode, ...credentials } = auth.read();
      return { resource_name: value(resource), deployment_config: rows.map((row) => row.read()), azure_auth_mode: mode, ...credentials };
    },
  };
}

function bedrock() {
  const region = input({ required: true, placeholder: 'us-east-1' });
  const auth = modes(
    'Authentication',
    [
      ['accessKey', 'Access key'],
      ['assumedRole', 'Assumed role'],
      ['apiKey', 'Bedrock API key'],
    ],
    (mode) => {
      if (mode === 'apiKey') return openai();
      if (mode === 'assumedRole') {
        const [role, external] = [input({ required: true, placeholder: 'arn:aws:iam::123456789012:role/bedrock' }), input()];
        return { element: h('div', {}, field('Role ARN', role), field('External ID', external, 'Optional')), read: () => ({ aws_role_arn: value(role), aws_external_id: optional(external) }) };
      }
      const [id, key, token] = [input({ required: true }), secret({ required: true }), secret()];
      return {
        element: h('div', {}, field('AWS access key ID', id), field('AWS secret access key', key), field('AWS session token', token, 'Optional')),
        read: () => ({ aws_access_key_id: value(id), aws_secret_access_key: value(key), aws_session_token: optional(token) }),
      };
    },
  );
  return {
    element: h('div', {}, field('AWS region', region), auth.element),
    read: () => {
      const { mode, ...credentials } = auth.read();
      return { aws_region: value(region), aws_auth_type: mode, ...credentials };
    },
  };
}

function vertex() {
  const region = input({ required: true, value: 'us-central1' });
  const project = input();
  const account = h('textarea', { required: true, rows: '6', spellcheck: 'false', autocomplete: 'off' });
  return {
    element: h('div', {}, field('Region', region), field('Project ID', project, 'Optional: the key file’s project_id otherwise'), field('Service account JSON', account, 'The key file Google Cloud gave you.')),
    read: () => ({ vertex_region: value(region), vertex_project_id: optional(project), vertex_service_account_json: account.value }),
  };
}

const BUILDERS = { openai, 'azure-openai': azure, bedrock, 'vertex-ai': vertex };

export function providerFields(provider) {
  return BUILDERS[provider]();
}

/** The fields that replace a key's stored secret (rotation), for the key's provider and mode. */
export function rotationFields(key) {
  const config = key.model_config ?? {};
  if (key.ai_provider_name === 'vertex-ai') {
    const account = h('textarea', { required: true, rows: '6', spellcheck: 'false', autocomplete: 'off' });
    return { element: field('Service account JSON', account), read: () => ({ vertex_service_account_json: account.value }) };
  }
  if (key.ai_provider_name === 'bedrock' && config.aws_auth_type === 'accessKey') {
    const [id, secretKey, token] = [input({ required: true }), secret({ required: true }), secret()];
    return {
      element: h('div', {}, field('AWS access key ID', id), field('AWS secret access key', secretKey), field('AWS session token', token, 'Optional: for temporary credentials')),
      read: () => ({ aws_access_key_id: value(id), aws_secret_access_key: value(secretKey), aws_session_token: optional(token) }),
    };
  }
  if (key.ai_provider_name === 'azure-openai' && config.azure_auth_mode === 'entra') {
    const clientSecret = secret({ required: true });
    return { element: field('Client secret', clientSecret), read: () => ({ azure_entra_client_secret: value(clientSecret) }) };
  }
  if (key.ai_provider_name === 'bedrock' && config.aws_auth_type === 'assumedRole') return null;
  if (key.ai_provider_name === 'azure-openai' && config.azure_auth_mode === 'managed') return null;
  return openai();
}
