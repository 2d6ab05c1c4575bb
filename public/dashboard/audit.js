// The Audit tab: the audit log as a filterable table, and whether its hash chain verifies.

import { api, query } from './api.js';
import { field, h, input, notice, select } from './dom.js';

const day = (offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

// Pages of the chain checked at most (1,000 records each), so a huge log still answers.
const MAX_VERIFY_CALLS = 20;

async function verification() {
  try {
    let checked = 0;
    let cursor = null;
    for (let call = 0; call < MAX_VERIFY_CALLS; call++) {
      const result = await api('GET', `/v1/audit-logs/verify?${query({ cursor })}`);
      checked += result.checked;
      if (!result.valid) return h('span', { class: 'badge disabled', role: 'status' }, 'Chain broken: a record was changed, removed or added');
      cursor = result.next_cursor;
      if (!cursor) return h('span', { class: 'badge active', role: 'status' }, `Chain verified (${checked} records)`);
    }
    return h('span', { class: 'badge active', role: 'status' }, `Chain verified for the first ${checked} records; more remain`);
  } catch (error) {
    return h('span', { class: 'badge expired', role: 'status' }, `Chain not verified: ${error.message}`);
  }
}

const PAGE_SIZE = 100;

export function auditTab(panel) {
  const from = input({ type: 'date', value: day(-7) });
  const to = input({ type: 'date', value: day(0) });
  const action = select([['', 'Any'], ...['create', 'update', 'delete', 'rotate', 'reseal', 'refused', 'exhausted', 'alert'].map((name) => [name, name])]);
  const resource = select([['', 'Any'], ...['virtual_key', 'api_key', 'workspace', 'vault', 'auth', 'budget'].map((name) => [name, name])]);
  const statusCode = input({ type: 'number', min: '100', max: '599' });
  const status = notice();
  const badge = h('p', {});
  const table = h('table', {});
  const pager = h('nav', { 'aria-label': 'Audit record pages', class: 'pager' });
  // null: the newest page, once the total is known. The log is kept oldest first.
  let pageIndex = null;

  async function load() {
    status.clear();
    const filters = { start_time: from.value, end_time: to.value, action: action.value, resource_type: resource.value, response_status_code: statusCode.value, page_size: PAGE_SIZE };
    try {
      let page = await api('GET', `/v1/audit-logs?${query({ ...filters, current_page: pageIndex ?? 0 })}`);
      const pages = Math.max(1, Math.ceil(page.total / PAGE_SIZE));
      if (pageIndex === null || pageIndex >= pages) {
        pageIndex = pages - 1;
        if (pageIndex > 0) page = await api('GET', `/v1/audit-logs?${query({ ...filters, current_page: pageIndex })}`);
      }
      pager.replaceChildren(
        h('button', { type: 'button', disabled: pageIndex + 1 >= pages, onclick: () => (pageIndex++, load()) }, 'Newer records'),
        h('span', {}, `Page ${pages - pageIndex} of ${pages}, newest first`),
        h('button', { type: 'button', disabled: pageIndex === 0, onclick: () => (pageIndex--, load()) }, 'Older records'),
      );
      table.replaceChildren(
        h('caption', {}, `Audit records (${page.total}), newest first`),
        h('thead', {}, h('tr', {}, ['Time', 'Action', 'Resource', 'Request', 'Status', 'By'].map((title) => h('th', { scope: 'col' }, title)))),
        h(
          'tbody',
          {},
          [...page.records].reverse().map((record) =>
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
    pageIndex = null;
    load();
  });
  panel.append(form, badge, status.element, table, pager);
  load();
}
