// The API Keys tab: list, create with a scope picker grouped as in the README, rotate (the new key
// and when the old one stops), delete. A new key is shown once; Keygate keeps only its hash.

import { api, listAll } from './api.js';
import { confirmAction, copyButton, field, h, input, notice, select } from './dom.js';

const ACTIONS = ['create', 'read', 'update', 'delete', 'list'];
const SCOPE_GROUPS = [
  ['Gateway', ['completions.write']],
  ['Virtual keys', ACTIONS.map((action) => `virtual_keys.${action}`)],
  ['Workspaces', ACTIONS.map((action) => `workspaces.${action}`)],
  ...[
    ['Organisation service keys', 'organisation_service_api_keys'],
    ['Workspace service keys', 'workspace_service_api_keys'],
    ['Workspace user keys', 'workspace_user_api_keys'],
  ].map(([label, family]) => [label, [...ACTIONS, 'rotate'].map((action) => `${family}.${action}`)]),
  ['Analytics', ['analytics.view']],
  ['Audit log', ['audit_logs.list']],
  ['Vault', ['vault.manage']],
];

/**
 * A new key, shown this once, with a warning and a copy button, until "Done" removes it from the
 * page. The warning is announced; the key itself is not read aloud unasked.
 */
function shownOnce(key, extra) {
  const box = h(
    'section',
    { class: 'card once', 'aria-label': 'New API key shown once' },
    h('p', { role: 'alert' }, h('strong', {}, 'Copy this key now: it is shown this once. '), 'Keygate stores only its hash and cannot show it again.', extra ? ` ${extra}` : ''),
    h('p', {}, h('code', { 'aria-label': 'New API key' }, key), ' ', copyButton(key, 'Copy key')),
  );
  box.append(h('button', { type: 'button', onclick: () => box.remove() }, 'Done'));
  return box;
}

export function apiKeysTab(panel) {
  const status = notice();
  const reveal = h('div', {});
  const table = h('table', {}, h('caption', {}, 'API keys'));
  const createArea = h('div', {});

  async function load() {
    try {
      const keys = await listAll('/v1/api-keys');
      table.replaceChildren(
        h('caption', {}, `API keys (${keys.length})`),
        h('thead', {}, h('tr', {}, ['Name', 'Type', 'Workspace', 'Key', 'Scopes', 'Status', 'Actions'].map((title) => h('th', { scope: 'col' }, title)))),
        h('tbody', {}, keys.map(row)),
      );
    } catch (error) {
      status.show(error.message, 'error');
    }
  }

  function row(key) {
    const rotate = async () => {
      if (!(await confirmAction(`Rotate API key ${key.name}? You get a new key; the old one keeps working for 30 minutes.`, 'Rotate'))) return;
      try {
        const rotated = await api('POST', `/v1/api-keys/${encodeURIComponent(key.id)}/rotate`, {});
        reveal.replaceChildren(shownOnce(rotated.key, `The old key keeps working until ${new Date(rotated.key_transition_expires_at).toUTCString()}; deploy the new one before then.`));
      } catch (error) {
        status.show(error.message, 'error');
      }
    };
    const remove = async () => {
      if (!(await confirmAction(`Delete API key ${key.name}? Everything using it is refused at once.`, 'Delete'))) return;
      try {
        await api('DELETE', `/v1/api-keys/${encodeURIComponent(key.id)}`);
        status.show(`Deleted ${key.name}.`);
        load();
      } catch (error) {
        status.show(error.message, 'error');
      }
    };
    return h(
      'tr',
      {},
      h('td', {}, key.name),
      h('td', {}, key.type),
      h('td', {}, key.workspace_id ?? 'every workspace'),
      h('td', {}, h('code', {}, key.key)),
      h('td', {}, key.scopes.join(', ')),
      h('td', {}, key.status),
      h('td', {}, h('button', { type: 'button', class: 'small', 'aria-label': `Rotate ${key.name}`, onclick: rotate }, 'Rotate'), h('button', { type: 'button', class: 'small danger', 'aria-label': `Delete ${key.name}`, onclick: remove }, 'Delete')),
    );
  }

  function createForm() {
    const name = input({ required: true });
    const type = select([
      ['workspace/service', 'Workspace service key'],
      ['workspace/user', 'Workspace user key'],
      ['organisation/service', 'Organisation service key'],
    ]);
    const workspace = input();
    const user = input();
    const scopes = SCOPE_GROUPS.map(([group, names]) =>
      h('fieldset', { class: 'scopes' }, h('legend', {}, group), names.map((scope) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'scope', value: scope }), scope))),
    );
    const formStatus = notice();
    const form = h(
      'form',
      { class: 'card', 'aria-label': 'New API key' },
      h('h2', {}, 'New API key'),
      field('Name', name),
      field('Type', type),
      field('Workspace ID', workspace, 'Workspace keys only.'),
      field('User ID', user, 'User keys only: the person’s id in your identity system.'),
      h('div', { class: 'scope-picker' }, scopes),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create API key'), h('button', { type: 'button', onclick: () => form.remove() }, 'Cancel')),
      formStatus.element,
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const chosen = [...form.querySelectorAll('input[name=scope]:checked')].map((box) => box.value);
      const body = { name: name.value.trim(), scopes: chosen };
      if (type.value.startsWith('workspace/')) body.workspace_id = workspace.value.trim();
      if (type.value === 'workspace/user') body.user_id = user.value.trim();
      try {
        const created = await api('POST', `/v1/api-keys/${type.value}`, body);
        form.remove();
        reveal.replaceChildren(shownOnce(created.key));
        load();
      } catch (error) {
        formStatus.show(error.message, 'error');
      }
    });
    return form;
  }

  panel.append(h('div', { class: 'toolbar' }, h('button', { type: 'button', onclick: () => createArea.replaceChildren(createForm()) }, 'New API key')), createArea, reveal, status.element, table);
  load();
}
