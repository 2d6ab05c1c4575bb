// The Virtual Keys tab: list and search, create for every provider, and per key: edit, rotate the
// provider secret, limits, disable or enable, delete; with its masked secret, status, budget use
// and a ready openai SDK snippet.

import { api, listAll, query } from './api.js';
import { confirmAction, copyButton, field, h, input, notice, select } from './dom.js';
import { providerFields, PROVIDERS, rotationFields } from './provider-forms.js';

const PAGE_SIZE = 20;

export function virtualKeysTab(panel) {
  const state = { page: 0, search: '' };
  const status = notice();
  const list = h('div', { class: 'cards' });
  const pager = h('nav', { 'aria-label': 'Virtual key pages', class: 'pager' });
  const search = input({ type: 'search', placeholder: 'Name or slug' });
  search.addEventListener('input', () => {
    state.search = search.value.trim().toLowerCase();
    state.page = 0;
    load();
  });
  const createArea = h('div', {});
  const newButton = h('button', { type: 'button', onclick: () => createArea.replaceChildren(createForm(() => { createArea.replaceChildren(); load(); })) }, 'New virtual key');

  let latest = 0;
  async function load() {
    status.clear();
    // Typing starts a read per keystroke; only the newest may draw, whichever answers last.
    const mine = ++latest;
    try {
      let keys;
      let total;
      if (state.search) {
        // The API has no search: every key is read (up to 2,000) and filtered here.
        const all = (await listAll('/v1/virtual-keys')).filter((key) => key.name.toLowerCase().includes(state.search) || key.slug.toLowerCase().includes(state.search));
        total = all.length;
        keys = all.slice(state.page * PAGE_SIZE, (state.page + 1) * PAGE_SIZE);
      } else {
        const answer = await api('GET', `/v1/virtual-keys?${query({ current_page: state.page, page_size: PAGE_SIZE })}`);
        ({ total } = answer);
        keys = answer.data;
      }
      if (mine !== latest) return;
      list.replaceChildren(...(keys.length ? keys.map((key) => keyCard(key, load, status)) : [h('p', {}, state.search ? 'No virtual key matches.' : 'No virtual keys yet.')]));
      renderPager(total);
    } catch (error) {
      status.show(error.message, 'error');
    }
  }

  function renderPager(total) {
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    pager.replaceChildren(
      h('button', { type: 'button', disabled: state.page === 0, onclick: () => (state.page--, load()) }, 'Previous page'),
      h('span', {}, `Page ${state.page + 1} of ${pages} (${total} keys)`),
      h('button', { type: 'button', disabled: state.page + 1 >= pages, onclick: () => (state.page++, load()) }, 'Next page'),
    );
  }

  panel.append(h('div', { class: 'toolbar' }, field('Search', search), newButton), createArea, status.element, list, pager);
  load();
}

function createForm(done) {
  const name = input({ required: true, maxlength: '200' });
  const provider = select(PROVIDERS);
  const note = input({ maxlength: '2000' });
  const workspace = input();
  const providerArea = h('div', {});
  let fields = providerFields(provider.value);
  const showProvider = () => {
    fields = providerFields(provider.value);
    providerArea.replaceChildren(fields.element);
  };
  provider.addEventListener('change', showProvider);
  showProvider();
  const status = notice();
  const form = h(
    'form',
    { class: 'card', 'aria-label': 'New virtual key' },
    h('h2', {}, 'New virtual key'),
    field('Name', name),
    field('Provider', provider),
    providerArea,
    field('Note', note),
    field('Workspace ID', workspace, 'Organisation keys: where the key lives (default workspace when empty).'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create'), h('button', { type: 'button', onclick: () => form.remove() }, 'Cancel')),
    status.element,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const body = { name: name.value.trim(), provider: provider.value, note: note.value.trim() || undefined, workspace_id: workspace.value.trim() || undefined, ...fields.read() };
      const created = await api('POST', '/v1/virtual-keys', body);
      status.show(`Created ${created.data.slug}.`);
      done();
    } catch (error) {
      status.show(error.message, 'error');
    }
  });
  return form;
}

function statusOf(key) {
  if (key.status !== 'active') return key.status;
  if (key.expires_at && Date.parse(key.expires_at) <= Date.now()) return 'expired';
  return key.status;
}

function budgetBar(key) {
  const limits = key.usage_limits;
  if (!limits) return h('p', { class: 'muted' }, 'No budget');
  const spent = limits.spent;
  const unit = limits.type === 'tokens' ? 'tokens' : 'USD';
  if (spent === undefined) return h('p', { class: 'muted' }, `Budget: ${limits.credit_limit} ${unit}`);
  return h(
    'div',
    { class: 'budget' },
    h('progress', { max: String(limits.credit_limit), value: String(Math.min(spent, limits.credit_limit)), 'aria-label': `Budget used: ${spent} of ${limits.credit_limit} ${unit}` }),
    h('span', {}, `${spent} of ${limits.credit_limit} ${unit} used`),
  );
}

function snippet(slug) {
  return `import OpenAI from 'openai';\n\nconst client = new OpenAI({ apiKey: process.env.KEYGATE_API_KEY, baseURL: '${location.origin}/v1' });\nconst answer = await client.chat.completions.create({\n  model: '@${slug}/gpt-4o-mini',\n  messages: [{ role: 'user', content: 'Hello' }],\n});`;
}

function keyCard(listed, reload, tabStatus) {
  const card = h('article', { class: 'card key', 'aria-label': `Virtual key ${listed.name}` });
  const actions = h('div', { class: 'actions' });
  const area = h('div', {});
  const status = notice();
  const render = (key) => {
    const state = statusOf(key);
    card.replaceChildren(
      h('h3', {}, key.name, ' ', h('span', { class: `badge ${state}` }, state)),
      h('p', {}, h('code', {}, key.slug), ' ', copyButton(key.slug, 'Copy slug')),
      h('dl', {}, h('dt', {}, 'Provider'), h('dd', {}, key.ai_provider_name), h('dt', {}, 'Secret'), h('dd', {}, key.masked_api_key ?? '—'), key.note ? [h('dt', {}, 'Note'), h('dd', {}, key.note)] : null),
      budgetBar(key),
      h('details', {}, h('summary', {}, 'openai SDK snippet'), h('pre', {}, snippet(key.slug)), copyButton(snippet(key.slug), 'Copy snippet')),
      actions,
      area,
      status.element,
    );
    actions.replaceChildren(
      h('button', { type: 'button', onclick: () => area.replaceChildren(editForm(key, update)) }, 'Edit'),
      rotationFields(key) && h('button', { type: 'button', onclick: () => area.replaceChildren(rotateForm(key, update)) }, 'Rotate provider key'),
      h('button', { type: 'button', onclick: () => area.replaceChildren(limitsForm(key, update)) }, 'Limits'),
      h('button', { type: 'button', onclick: () => update({ status: key.status === 'disabled' ? 'active' : 'disabled' }) }, key.status === 'disabled' ? 'Enable' : 'Disable'),
      h('button', { type: 'button', class: 'danger', onclick: remove }, 'Delete'),
    );
  };
  async function update(body) {
    try {
      await api('PUT', `/v1/virtual-keys/${encodeURIComponent(listed.slug)}`, body);
      render(await api('GET', `/v1/virtual-keys/${encodeURIComponent(listed.slug)}`));
      status.show('Saved.');
    } catch (error) {
      status.show(error.message, 'error');
    }
  }
  async function remove() {
    if (!(await confirmAction(`Delete virtual key ${listed.name}? Apps using ${listed.slug} stop working at once.`, 'Delete'))) return;
    try {
      await api('DELETE', `/v1/virtual-keys/${encodeURIComponent(listed.slug)}`);
      tabStatus.show(`Deleted ${listed.name}.`);
      reload();
    } catch (error) {
      status.show(error.message, 'error');
    }
  }
  render(listed);
  // The list shows settings; a single read adds what the budget has spent.
  if (listed.usage_limits) api('GET', `/v1/virtual-keys/${encodeURIComponent(listed.slug)}`).then(render, () => {});
  return card;
}

function smallForm(label, fields, submitLabel, onSubmit) {
  const form = h('form', { class: 'inline', 'aria-label': label }, fields, h('div', { class: 'actions' }, h('button', { type: 'submit' }, submitLabel), h('button', { type: 'button', onclick: () => form.remove() }, 'Cancel')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    onSubmit().then(() => form.remove());
  });
  return form;
}

function editForm(key, update) {
  const name = input({ value: key.name, required: true });
  const note = input({ value: key.note ?? '' });
  return smallForm('Edit virtual key', [field('Name', name), field('Note', note)], 'Save', () => update({ name: name.value.trim(), note: note.value.trim() || null }));
}

function rotateForm(key, update) {
  const fields = rotationFields(key);
  return smallForm('Rotate provider key', [fields.element], 'Rotate', () => update(fields.read()));
}

/** What of a budget read back can be sent again: its settings, not its live state. */
function budgetSettings(limits) {
  if (!limits) return {};
  const { alert_threshold, periodic_reset, periodic_reset_days, model_prices } = limits;
  return Object.fromEntries(Object.entries({ alert_threshold, periodic_reset, periodic_reset_days, model_prices }).filter(([, value]) => value !== undefined && value !== null));
}

function limitsForm(key, update) {
  const rpm = key.rate_limits?.find((rule) => rule.type === 'requests' && rule.unit === 'rpm');
  const perMinute = input({ type: 'number', min: '1', value: rpm ? String(rpm.value) : '' });
  const budget = input({ type: 'number', min: '1', value: key.usage_limits ? String(key.usage_limits.credit_limit) : '' });
  const unit = select([['cost', 'USD'], ['tokens', 'Tokens']]);
  if (key.usage_limits) unit.value = key.usage_limits.type;
  return smallForm(
    'Limits',
    [field('Requests per minute', perMinute, 'Empty: no limit'), field('Budget', budget, 'Empty: no budget'), field('Budget unit', unit)],
    'Save limits',
    () =>
      update({
        // The key's other rules and budget settings stay as they are.
        rate_limits: [...(key.rate_limits ?? []).filter((rule) => rule !== rpm), ...(perMinute.value ? [{ type: 'requests', unit: 'rpm', value: Number(perMinute.value) }] : [])],
        usage_limits: budget.value ? { ...budgetSettings(key.usage_limits), credit_limit: Number(budget.value), type: unit.value } : null,
      }),
  );
}
