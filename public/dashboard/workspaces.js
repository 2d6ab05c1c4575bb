// The Workspaces tab: list, create, rename, delete. A refused delete shows Keygate's reason.

import { api, listAll } from './api.js';
import { confirmAction, field, h, input, notice } from './dom.js';

export function workspacesTab(panel) {
  const status = notice();
  const table = h('table', {});

  async function load() {
    try {
      const workspaces = await listAll('/v1/admin/workspaces');
      table.replaceChildren(
        h('caption', {}, `Workspaces (${workspaces.length})`),
        h('thead', {}, h('tr', {}, ['Name', 'ID', 'Description', 'Actions'].map((title) => h('th', { scope: 'col' }, title)))),
        h('tbody', {}, workspaces.map(row)),
      );
    } catch (error) {
      status.show(error.message, 'error');
    }
  }

  function row(workspace) {
    const nameCell = h('td', {}, workspace.name);
    const rename = () => {
      const name = input({ value: workspace.name, required: true });
      const form = h(
        'form',
        { class: 'inline', 'aria-label': `Rename ${workspace.name}` },
        field('New name', name),
        h('button', { type: 'submit' }, 'Save name'),
        h('button', { type: 'button', onclick: () => nameCell.replaceChildren(workspace.name) }, 'Cancel'),
      );
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        try {
          await api('PUT', `/v1/admin/workspaces/${encodeURIComponent(workspace.id)}`, { name: name.value.trim() });
          status.show('Renamed.');
          load();
        } catch (error) {
          status.show(error.message, 'error');
        }
      });
      nameCell.replaceChildren(form);
      name.focus();
    };
    const remove = async () => {
      if (!(await confirmAction(`Delete workspace ${workspace.name}?`, 'Delete'))) return;
      try {
        await api('DELETE', `/v1/admin/workspaces/${encodeURIComponent(workspace.id)}`);
        status.show(`Deleted ${workspace.name}.`);
        load();
      } catch (error) {
        status.show(`Keygate refused to delete ${workspace.name}: ${error.message}`, 'error');
      }
    };
    return h(
      'tr',
      {},
      nameCell,
      h('td', {}, h('code', {}, workspace.id)),
      h('td', {}, workspace.description ?? ''),
      h('td', {}, h('button', { type: 'button', class: 'small', 'aria-label': `Rename ${workspace.name}`, onclick: rename }, 'Rename'), h('button', { type: 'button', class: 'small danger', 'aria-label': `Delete ${workspace.name}`, onclick: remove }, 'Delete')),
    );
  }

  const name = input({ required: true });
  const description = input();
  const form = h('form', { class: 'card', 'aria-label': 'New workspace' }, h('h2', {}, 'New workspace'), field('Name', name), field('Description', description), h('button', { type: 'submit' }, 'Create workspace'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('POST', '/v1/admin/workspaces', { name: name.value.trim(), description: description.value.trim() || undefined });
      status.show(`Created ${name.value.trim()}.`);
      form.reset();
      load();
    } catch (error) {
      status.show(error.message, 'error');
    }
  });
  panel.append(form, status.element, table);
  load();
}
