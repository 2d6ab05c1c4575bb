// The Analytics tab: requests, cost, tokens, latency and errors over a chosen range, and the top
// models and virtual keys. It reads /v1/analytics and nothing else.

import { api, query } from './api.js';
import { barChart } from './charts.js';
import { field, h, notice, select } from './dom.js';

const RANGES = [
  ['3600000', 'Last hour'],
  ['86400000', 'Last 24 hours'],
  ['604800000', 'Last 7 days'],
  ['2592000000', 'Last 30 days'],
];

const GRAPHS = [
  ['requests', 'Requests', (summary) => `${summary.total} requests`, 'total'],
  ['cost', 'Cost (cents)', (summary) => `${summary.total} cents in all, ${summary.avg} per request`, 'total'],
  ['tokens', 'Tokens', (summary) => `${summary.total} tokens, ${summary.avg} per request`, 'total'],
  ['latency', 'Latency (ms)', (summary) => `average ${summary.avg} ms, p50 ${summary.p50}, p90 ${summary.p90}, p99 ${summary.p99}`, 'p90'],
  ['errors', 'Errors', (summary) => `${summary.total} error answers`, 'total'],
];

function groupTable(caption, rows, keyField, keyTitle) {
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, [keyTitle, 'Requests', 'Tokens', 'Cost (cents)', 'Average latency (ms)'].map((title) => h('th', { scope: 'col' }, title)))),
    h(
      'tbody',
      {},
      rows.length ? rows.map((row) => h('tr', {}, h('td', {}, String(row[keyField] ?? '—')), h('td', {}, row.requests), h('td', {}, row.tokens), h('td', {}, row.cost), h('td', {}, row.avg_latency))) : h('tr', {}, h('td', { colspan: '5' }, 'No calls in this range.')),
    ),
  );
}

export function analyticsTab(panel) {
  const range = select(RANGES);
  range.value = '86400000';
  const status = notice();
  const area = h('div', { class: 'analytics' });

  async function load() {
    status.show('Loading…');
    const now = Date.now();
    const params = query({ time_of_generation_min: new Date(now - Number(range.value)).toISOString(), time_of_generation_max: new Date(now + 1000).toISOString() });
    try {
      const [graphs, models, keys] = await Promise.all([
        Promise.all(GRAPHS.map(([path]) => api('GET', `/v1/analytics/graphs/${path}?${params}`))),
        api('GET', `/v1/analytics/groups/ai-models?${params}&page_size=10`),
        api('GET', `/v1/analytics/groups/virtual-keys?${params}&page_size=10`),
      ]);
      area.replaceChildren(
        ...GRAPHS.map(([, title, describe, fieldName], index) => {
          const text = describe(graphs[index].summary);
          return h('figure', { class: 'card' }, h('figcaption', {}, h('strong', {}, title), ': ', text), barChart(graphs[index].data_points, fieldName, `${title}: ${text}`));
        }),
        groupTable('Top models', models.data, 'ai_org_model', 'Model'),
        groupTable('Top virtual keys', keys.data, 'virtual_key', 'Virtual key'),
      );
      status.clear();
    } catch (error) {
      status.show(error.message, 'error');
    }
  }

  range.addEventListener('change', load);
  panel.append(h('div', { class: 'toolbar' }, field('Range', range)), status.element, area);
  load();
}
