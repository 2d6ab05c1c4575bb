// The Audit tab: the audit log as a filterable table, and whether its hash chain verifies.

import { api, query } from './api.js';
import { field, h, input, notice, select } from './dom.js';

const day = (offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

async function verification() {
  try {
    const result = await api('GET', '/v1/audit-logs/verify');
    if (!result.valid) return h('span', { class: 'badge disabled', role: 'status' }, 'Chain broken: a record was changed, removed or added');
    const more = result.next_cursor ? ` (the first ${result.checked} records; more remain)` : ` (${result.checked} records)`;
    return h('span', { class: 'badge active', role: 'status' }, `Chain verified${more}`);
  } catch (error) {
    return h('span', { class: 'badge expired', role: 'status' }, `Chain not verified: ${error.message}`);
  }
}

export function auditTab(panel) {
  const from = input({ type: 'date', value: day(-7) });
  const to = input({ type: 'date', value: day(0) });
  const action = select([['', 'Any'], ...['create', 'update', 'delete', 'rotate', 'reseal', 'refused', 'exhausted', 'alert'].map((name) => [name, name])]);
  const resource = select([['', 'Any'], ...['virtual_key', 'api_key', 'workspace', 'vault', 'auth', 'budget'].map((name) => [name, name])]);
  const statusCode = input({ type: 'number', min: '100', max: '599' });
  const status = notice();
  const badge = h('p', {});
  const table = h('table', {});

  async function load() {
    status.clear();
    const params = query({
      start_time: from.value,
      end_time: to.value,
      action: action.value,
      resource_type: resource.value,
      response_status_code: statusCode.value,
      page_size: 100,
    });
    try {
      const page = await api('GET', `/v1/audit-logs?${params}`);
      table.replaceChildren(
        h('caption', {}, `Audit records (${page.total}${page.total > page.records.length ? `, the first ${page.records.length} shown` : ''})`),
        h('thead', {}, h('tr', {}, ['Time', 'Action', 'Resource', 'Request', 'Status', 'By'].map((title) => h('th', { scope: 'col' }, title)))),
        h(
          'tbody',
          {},
          page.records.map((record) =>
            h(
              'tr',
              {},
              h('td', {}, record.timestamp),
              h('td', {}, record.action),
              h('td', {}, `${record.resource_type} ${record.resource_id ?? ''}`),
              h('td', {}, `${record.method} ${record.uri}`),
              h('td', {}, record.response_status_code),
              h('td', {}, record.api_key_id ?? record.user_type ?? ''),
            ),
          ),
        ),
      );
    } catch (error) {
      status.show(error.message, 'error');
    }
    badge.replaceChildren(await verification());
  }

  const form = h('form', { class: 'toolbar', 'aria-label': 'Audit filters' }, field('From', from), field('To', to), field('Action', action), field('Resource type', resource), field('Status code', statusCode), h('button', { type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
  panel.append(form, badge, status.element, table);
  load();
}
