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
  const created = async (slug) => {
    createArea.replaceChildren();
    await load();
    (list.querySelector(`article[data-slug="${CSS.escape(slug)}"] h3`) ?? newButton).focus();
  };
  const newButton = h('button', { type: 'button', onclick: () => createArea.replaceChildren(createForm(created)) }, 'New virtual key');

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
      // A page emptied by a delete: show the last page there still is.
      if (keys.length === 0 && state.page > 0) {
        state.page = Math.max(0, Math.ceil(total / PAGE_SIZE) - 1);
        return load();
      }
      list.replaceChildren(...(keys.length ? keys.map((key) => keyCard(key, load, status)) : [h('p', {}, state.search ? 'No virtual key matches.' : 'No virtual keys yet.')]));
      renderPager(total);
    } catch (error) {
      if (mine === latest) status.show(error.message, 'error');
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
      done(created.data.slug);
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

/** A model the key can call, for its snippet: an Azure key's default deployment, a typical one otherwise. */
function exampleModel(key) {
  if (key.ai_provider_name === 'azure-openai') {
    const deployments = key.model_config?.deployment_config ?? [];
    const chosen = deployments.find((deployment) => deployment.is_default) ?? deployments[0];
    return chosen?.alias ?? chosen?.deployment_name ?? 'gpt-4o-mini';
  }
  return { bedrock: 'anthropic.claude-3-5-haiku-20241022-v1:0', 'vertex-ai': 'gemini-2.5-flash' }[key.ai_provider_name] ?? 'gpt-4o-mini';
}

function snippet(key) {
  return `import OpenAI from 'openai';\n\nconst client = new OpenAI({ apiKey: process.env.KEYGATE_API_KEY, baseURL: '${location.origin}/v1' });\nconst answer = await client.chat.completions.create({\n  model: '@${key.slug}/${exampleModel(key)}',\n  messages: [{ role: 'user', content: 'Hello' }],\n});`;
}

function keyCard(listed, reload, tabStatus) {
  const card = h('article', { class: 'card key', 'aria-label': `Virtual key ${listed.name}`, 'data-slug': listed.slug });
  const actions = h('div', { class: 'actions' });
  const area = h('div', {});
  const status = notice();
  const render = (key, focusOn) => {
    const state = statusOf(key);
    card.replaceChildren(
      h('h3', { tabindex: '-1' }, key.name, ' ', h('span', { class: `badge ${state}` }, state)),
      h('p', {}, h('code', {}, key.slug), ' ', copyButton(key.slug, 'Copy slug')),
      h('dl', {}, h('dt', {}, 'Provider'), h('dd', {}, key.ai_provider_name), h('dt', {}, 'Secret'), h('dd', {}, key.masked_api_key ?? '—'), key.note ? [h('dt', {}, 'Note'), h('dd', {}, key.note)] : null),
      budgetBar(key),
      h('details', {}, h('summary', {}, 'openai SDK snippet'), h('pre', {}, snippet(key)), copyButton(snippet(key), 'Copy snippet')),
      actions,
      area,
      status.element,
    );
    actions.replaceChildren(
      h('button', { type: 'button', onclick: () => area.replaceChildren(editForm(key, update)) }, 'Edit'),
      rotationFields(key) && h('button', { type: 'button', onclick: () => area.replaceChildren(rotateForm(key, update)) }, 'Rotate provider key'),
      h('button', { type: 'button', onclick: () => area.replaceChildren(limitsForm(key, update)) }, 'Limits'),
      h('button', { type: 'button', onclick: () => update({ status: key.status === 'disabled' ? 'active' : 'disabled' }, key.status === 'disabled' ? 'Disable' : 'Enable') }, key.status === 'disabled' ? 'Enable' : 'Disable'),
      h('button', { type: 'button', class: 'danger', onclick: remove }, 'Delete'),
    );
    // The control that was used is gone with the redraw: focus moves to its successor, or the heading.
    if (focusOn) ([...actions.querySelectorAll('button')].find((button) => button.textContent === focusOn) ?? card.querySelector('h3')).focus();
  };
  /** Saves a change; true when Keygate took it. */
  async function update(body, focusOn) {
    try {
      await api('PUT', `/v1/virtual-keys/${encodeURIComponent(listed.slug)}`, body);
      render(await api('GET', `/v1/virtual-keys/${encodeURIComponent(listed.slug)}`), focusOn ?? 'heading');
      status.show('Saved.');
      return true;
    } catch (error) {
      status.show(error.message, 'error');
      return false;
    }
  }
  async function remove() {
    if (!(await confirmAction(`Delete virtual key ${listed.name}? Apps using ${listed.slug} stop working at once.`, 'Delete'))) return;
    try {
      await api('DELETE', `/v1/virtual-keys/${encodeURIComponent(listed.slug)}`);
      await reload();
      tabStatus.show(`Deleted ${listed.name}.`);
      tabStatus.element.focus();
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
  // A refused change keeps the form, and what was typed, open beside Keygate's message.
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (await onSubmit()) form.remove();
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
