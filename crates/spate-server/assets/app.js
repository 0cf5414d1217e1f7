// The dashboard's shell: hash routes to pages, and a poll loop that refreshes the shown page
// every second while the tab is visible (a hidden tab asks the server for nothing).

import { h, fill } from './dom.js';
import * as overview from './overview.js';
import * as job from './job.js';
import * as sql from './sql.js';
import * as topics from './topics.js';
import * as schemas from './schemas.js';

const ROUTES = [
  [/^\/?$/, overview, 'overview'],
  [/^\/jobs\/([0-9a-f]{32})$/, job, 'overview'],
  [/^\/sql(?:\?preview=([0-9a-f]{32}))?$/, sql, 'sql'],
  [/^\/topics$/, topics, 'topics'],
  [/^\/topics\/(.+)$/, topics, 'topics'],
  [/^\/groups\/(.+)$/, (root, group) => topics.mount(root, null, group), 'topics'],
  [/^\/schemas$/, schemas, 'schemas'],
  [/^\/schemas\/(.+)$/, schemas, 'schemas'],
];

let current = null;
let timer = null;
let generation = 0;
let inflight = null;

function route() {
  const path = decodeURIComponent(location.hash.replace(/^#/, '')) || '/';
  for (const [re, page, nav] of ROUTES) {
    const m = path.match(re);
    if (m) return { page, nav, params: m.slice(1) };
  }
  return null;
}

async function tick(gen) {
  if (gen !== generation || !current || inflight === gen) return;
  clearTimeout(timer);
  const page = current;
  if (!document.hidden) {
    inflight = gen;
    try {
      await page.refresh();
      page.root.classList.remove('stale');
    } catch (e) {
      page.root.classList.add('stale');
      if (page.error) page.error(e);
    } finally {
      if (inflight === gen) inflight = null;
    }
  }
  if (gen === generation) timer = setTimeout(() => tick(gen), page.interval || 1000);
}

function show() {
  clearTimeout(timer);
  generation++;
  if (current && current.unmount) current.unmount();
  current = null;
  const root = document.getElementById('page');
  const r = route();
  for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('active', r && a.dataset.nav === r.nav);
  if (!r) {
    fill(root, h('section.card', h('h2', 'Not found'), h('p', 'No page at ', h('code', location.hash), '. ', h('a', { href: '#/' }, 'Back to the overview'))));
    return;
  }
  fill(root);
  const mount = typeof r.page === 'function' ? r.page : r.page.mount;
  current = mount(root, ...r.params);
  current.root = root;
  tick(generation);
}

window.addEventListener('hashchange', show);
document.addEventListener('visibilitychange', () => {
  if (!document.hidden && current) tick(generation);
});
show();
