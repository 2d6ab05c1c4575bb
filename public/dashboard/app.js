// The Keygate dashboard: sign in with an API key, then one tab per part of the admin API the
// key's scopes reach. It reads and writes through the same API as every other client.

import { api, ApiError, session } from './api.js';
import { h, field, input, notice } from './dom.js';
import { analyticsTab } from './analytics.js';
import { apiKeysTab } from './api-keys.js';
import { auditTab } from './audit.js';
import { virtualKeysTab } from './virtual-keys.js';
import { workspacesTab } from './workspaces.js';

const app = document.getElementById('app');
const sessionArea = document.getElementById('session');

const hourAgo = () => new Date(Date.now() - 3_600_000).toISOString();
const now = () => new Date().toISOString();

/**
 * Each tab, and the read that shows whether the key may see it: a tab whose read answers 403 is
 * not shown. (Each refused read is a 403 the audit log records, as any other would be.)
 */
const TABS = [
  { name: 'Virtual Keys', render: virtualKeysTab, probe: (key) => api('GET', '/v1/virtual-keys?page_size=1', undefined, key) },
  { name: 'API Keys', render: apiKeysTab, probe: (key) => api('GET', '/v1/api-keys?page_size=1', undefined, key) },
  { name: 'Workspaces', render: workspacesTab, probe: (key) => api('GET', '/v1/admin/workspaces?page_size=1', undefined, key) },
  { name: 'Analytics', render: analyticsTab, probe: (key) => api('GET', `/v1/analytics/graphs/requests?time_of_generation_min=${hourAgo()}&time_of_generation_max=${now()}`, undefined, key) },
  { name: 'Audit', render: auditTab, probe: (key) => api('GET', `/v1/audit-logs?start_time=${hourAgo()}&end_time=${now()}&page_size=1`, undefined, key) },
];

function showSignIn(message) {
  sessionArea.replaceChildren();
  const key = input({ type: 'password', name: 'api_key', autocomplete: 'off', required: true, spellcheck: 'false' });
  const status = notice();
  if (message) status.show(message, 'error');
  const form = h(
    'form',
    { class: 'card sign-in', 'aria-labelledby': 'sign-in-title' },
    h('h2', { id: 'sign-in-title' }, 'Sign in'),
    h('p', {}, 'Use a Keygate API key (or the ADMIN_API_KEY). It stays in this tab only, and is forgotten when you sign out or close the tab.'),
    field('API key', key),
    h('button', { type: 'submit' }, 'Sign in'),
    status.element,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    status.show('Checking the key…');
    const visible = await reachableTabs(key.value.trim());
    if (visible.error) return status.show(visible.error, 'error');
    session.signIn(key.value.trim());
    showTabs(visible.tabs);
  });
  app.replaceChildren(form);
  key.focus();
}

/** The tabs `key` may see; an error when Keygate refuses the key itself. */
async function reachableTabs(key) {
  const answers = await Promise.all(
    TABS.map((tab) =>
      tab.probe(key).then(
        () => ({ tab, ok: true }),
        (error) => ({ tab, ok: false, error }),
      ),
    ),
  );
  const refused = answers.find(({ error }) => error instanceof ApiError && (error.status === 401 || error.status === 429));
  if (refused) return { error: refused.error.message };
  const tabs = answers.filter(({ ok }) => ok).map(({ tab }) => tab);
  if (tabs.length === 0) {
    const reason = answers.find(({ error }) => error)?.error?.message ?? '';
    return { error: `This key holds no scope the dashboard can show. ${reason}` };
  }
  return { tabs };
}

function showTabs(tabs) {
  sessionArea.replaceChildren(h('button', { type: 'button', onclick: signOut }, 'Sign out'));
  const list = h('div', { role: 'tablist', 'aria-label': 'Dashboard sections' });
  const panel = h('section', { role: 'tabpanel', id: 'panel', tabindex: '0' });
  const buttons = tabs.map((tab, index) =>
    h('button', { type: 'button', role: 'tab', id: `tab-${index}`, 'aria-controls': 'panel', 'aria-selected': 'false', tabindex: '-1', onclick: () => select(index) }, tab.name),
  );
  const select = (index) => {
    buttons.forEach((button, other) => {
      button.setAttribute('aria-selected', String(other === index));
      button.tabIndex = other === index ? 0 : -1;
    });
    panel.setAttribute('aria-labelledby', buttons[index].id);
    panel.replaceChildren();
    tabs[index].render(panel);
  };
  // Arrow keys, Home and End move between tabs (the WAI-ARIA tabs pattern).
  list.addEventListener('keydown', (event) => {
    const current = buttons.indexOf(document.activeElement);
    if (current < 0) return;
    const next = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: buttons.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    const index = (next + buttons.length) % buttons.length;
    buttons[index].focus();
    select(index);
  });
  list.append(...buttons);
  app.replaceChildren(list, panel);
  select(0);
  // The sign-in form is gone: keyboard users start on the first tab.
  buttons[0].focus();
}

function signOut() {
  session.signOut();
  showSignIn();
}

async function start() {
  if (!session.key) return showSignIn();
  const visible = await reachableTabs(session.key);
  if (visible.error) {
    session.signOut();
    return showSignIn(visible.error);
  }
  showTabs(visible.tabs);
}

start();
