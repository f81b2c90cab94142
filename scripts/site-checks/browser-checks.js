#!/usr/bin/env node
// Checks every HTML page of a built site in Debian's Chromium (never a
// browser that a tool downloads itself): axe-core with the WCAG 2.0, 2.1
// and 2.2 A and AA rules and axe's best practices (redirect stubs: the
// WCAG rules only), at 1280 and at 320 CSS pixels; no horizontal
// scrolling at 320 pixels; no failed request for a page's own assets and
// no script error. One browser (a fresh --user-data-dir) for all pages;
// the site is served by a small static server on 127.0.0.1 and every
// request to another host is refused.
//
//   node browser-checks.js SITE_DIR                 the checks; exit 1 on any finding
//   node browser-checks.js --screenshots OUT_DIR SITE_DIR PATH...
//                                                   phone (390x844) and desktop
//                                                   (1366x900) full-page PNGs
//
// Environment: CHROMIUM (default /usr/bin/chromium), SITE_CHECKS_TABS (tabs
// checking pages side by side, default 2), SITE_CHECKS_SEARCH_QUERY (pages
// with a search form are checked again at ?q=QUERY; default "data").

'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const http = require('http');
const { chromium } = require('playwright-core');

const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
// The WCAG 2.0/2.1/2.2 A and AA rules, and axe's best practices
// (landmarks, one h1, heading order, unique landmark names).
const AXE_TAGS = [...WCAG_TAGS, 'best-practice'];
const TABS = Number(process.env.SITE_CHECKS_TABS || 2);
// Pages with a search form are checked once more showing the results for this.
const SEARCH_QUERY = process.env.SITE_CHECKS_SEARCH_QUERY || 'data';
const DESKTOP = { width: 1280, height: 900 };
const NARROW = { width: 320, height: 640 };
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.xml': 'application/xml',
  '.json': 'application/json',
  '.csv': 'text/csv; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
};

function htmlFiles(dir, prefix = '') {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix + entry.name;
    if (entry.isDirectory()) found.push(...htmlFiles(path.join(dir, entry.name), rel + '/'));
    else if (entry.name.endsWith('.html')) found.push(rel);
  }
  return found.sort();
}

// The URL path a reader would use for a file: `program/index.html` is `/program/`.
function urlPathOf(rel) {
  return '/' + (rel === 'index.html' ? '' : rel.endsWith('/index.html') ? rel.slice(0, -'index.html'.length) : rel);
}

function serve(root) {
  const server = http.createServer((request, response) => {
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(request.url, 'http://x').pathname);
    } catch {
      response.writeHead(400).end();
      return;
    }
    let file = path.join(root, pathname);
    if (!file.startsWith(root)) {
      response.writeHead(403).end();
      return;
    }
    if (pathname.endsWith('/')) file = path.join(file, 'index.html');
    fs.readFile(file, (error, body) => {
      if (error) {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      response.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
      response.end(body);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function launch() {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'site-checks-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: DESKTOP,
  });
  const close = async () => {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  };
  return { context, close };
}

// Only the page asked for may load as a document: a redirect page's
// `<meta http-equiv="refresh">` is stopped so that the redirect page
// itself is checked. Requests to other hosts are refused.
function guard(page, origin, state) {
  return page.route('**/*', (route) => {
    const request = route.request();
    const url = request.url();
    if (!url.startsWith(origin + '/')) {
      state.external.add(url);
      return route.abort('blockedbyclient');
    }
    if (request.isNavigationRequest() && request.frame() === page.mainFrame() && url !== state.target) {
      return route.abort('aborted');
    }
    return route.continue();
  });
}

async function runAxe(page, tags) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    await page.evaluate(AXE_SOURCE);
  }
  return page.evaluate(async (tags) => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), html: n.html, summary: n.failureSummary })),
    }));
  }, tags);
}

// At the current width: does the page scroll sideways, and which
// elements stick out of the viewport (outside any scrolling container)?
async function overflow(page) {
  return page.evaluate(() => {
    const root = document.scrollingElement;
    if (root.scrollWidth <= root.clientWidth) return null;
    const width = root.clientWidth;
    const culprits = [];
    for (const element of document.body.querySelectorAll('*')) {
      const box = element.getBoundingClientRect();
      if (box.right <= width + 0.5 || box.width === 0) continue;
      let clipped = false;
      for (let up = element.parentElement; up && up !== document.body; up = up.parentElement) {
        const style = getComputedStyle(up);
        if (style.overflowX !== 'visible' && up.getBoundingClientRect().right <= width + 0.5) {
          clipped = true;
          break;
        }
      }
      // Report the outermost element that sticks out, not all its children.
      if (!clipped && !culprits.some((c) => c.element.contains(element))) {
        culprits.push({ element, right: Math.round(box.right) });
      }
    }
    // Text too wide for its box (a long word) makes no element stick out:
    // name the innermost boxes whose content overflows them instead.
    if (culprits.length === 0) {
      for (const element of document.body.querySelectorAll('*')) {
        if (element.scrollWidth <= element.clientWidth + 0.5) continue;
        if (getComputedStyle(element).overflowX !== 'visible') continue;
        const inner = [...element.children].some(
          (child) => child.scrollWidth > child.clientWidth + 0.5 && getComputedStyle(child).overflowX === 'visible',
        );
        if (!inner) culprits.push({ element, right: Math.round(element.getBoundingClientRect().left + element.scrollWidth) });
      }
    }
    return {
      scrollWidth: root.scrollWidth,
      clientWidth: width,
      culprits: culprits.slice(0, 5).map(({ element, right }) => {
        const html = element.outerHTML;
        return { right, html: html.length > 160 ? html.slice(0, 160) + '…' : html };
      }),
    };
  });
}

// Checks one page at desktop width and at 320 pixels; returns findings.
async function checkPage(tab, state, origin, { rel, urlPath, dynamic }) {
  const findings = [];
  state.target = origin + urlPath;
  state.failed = [];
  await tab.setViewportSize(DESKTOP);
  // A page that fills itself in with a script (search results) is
  // checked once the network has gone quiet.
  const response = await tab.goto(state.target, { waitUntil: dynamic ? 'networkidle' : 'load' });
  if (dynamic) await tab.waitForTimeout(300);
  if (!response || (response.status() >= 400 && rel !== '404.html')) {
    return { findings: [`browser: ${urlPath}: the page answered ${response ? response.status() : 'nothing'}`] };
  }
  // A redirect stub (an alias or `page/1/`) is checked for the WCAG rules
  // only: best-practice rules about landmarks and headings say nothing
  // about a page that a reader never sees.
  const redirect = (await tab.$('meta[http-equiv="refresh" i]')) !== null;
  const tags = redirect ? WCAG_TAGS : AXE_TAGS;
  for (const [label, size] of [['desktop', DESKTOP], ['320px', NARROW]]) {
    if (label !== 'desktop') {
      await tab.setViewportSize(size);
      await tab.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    }
    for (const violation of await runAxe(tab, tags)) {
      for (const node of violation.nodes) {
        findings.push(
          `axe: ${urlPath} [${label}] ${violation.id} (${violation.impact}): ${violation.help}\n` +
            `    at ${node.target}: ${node.html}\n` +
            `    ${node.summary.replace(/\n/g, '\n    ')}`,
        );
      }
    }
    if (label === '320px') {
      const wide = await overflow(tab);
      if (wide) {
        findings.push(
          `overflow: ${urlPath} [320px] scrolls sideways: scrollWidth ${wide.scrollWidth} > clientWidth ${wide.clientWidth}` +
            wide.culprits.map((c) => `\n    sticks out to ${c.right}px: ${c.html}`).join(''),
        );
      }
    }
  }
  for (const failure of state.failed) findings.push(`browser: ${urlPath}: ${failure}`);
  return { findings, redirect };
}

// The search page really searches, in its own language only, and the
// Indonesian index stems words: `melatih` appears in no page, but it shares
// its stem (latih) with `pelatihan`, which appears in many.
const SEARCHES = [
  { page: 'cari/index.html', query: 'melatih', english: false },
  { page: 'en/cari/index.html', query: 'training', english: true },
];

async function searchWorks(context, origin, root) {
  const findings = [];
  const tab = await context.newPage();
  for (const { page, query, english } of SEARCHES) {
    if (!fs.existsSync(path.join(root, page))) continue;
    const address = `${urlPathOf(page)}?q=${encodeURIComponent(query)}`;
    await tab.goto(origin + address, { waitUntil: 'networkidle' });
    let links = [];
    try {
      await tab.waitForSelector('.search-results li a', { timeout: 15000 });
      links = await tab.$$eval('.search-results li a', (as) => as.map((a) => new URL(a.href).pathname));
    } catch (error) {
      findings.push(`search: ${address} shows no result`);
      continue;
    }
    const wrong = links.filter((link) => link.startsWith('/en/') !== english);
    if (wrong.length) {
      findings.push(`search: ${address} shows pages of the other language: ${wrong.join(', ')}`);
    }
    console.log(`search: ${address}: ${links.length} result(s), e.g. ${links.slice(0, 3).join(', ')}`);
  }
  await tab.close();
  return findings;
}

async function check(siteDir) {
  const root = path.resolve(siteDir);
  const files = htmlFiles(root);
  if (files.length === 0) throw new Error(`no HTML files under ${root}`);
  // Every page, and each page with a search form once more with a query
  // in its address, as a reader arrives from another page's search box.
  const jobs = [];
  for (const rel of files) {
    jobs.push({ rel, urlPath: urlPathOf(rel), dynamic: false });
    const html = fs.readFileSync(path.join(root, rel), 'utf8');
    if (/role="search"/.test(html) && /name="q"/.test(html)) {
      jobs.push({ rel, urlPath: `${urlPathOf(rel)}?q=${encodeURIComponent(SEARCH_QUERY)}`, dynamic: true });
    }
  }
  const server = await serve(root);
  const origin = `http://127.0.0.1:${server.address().port}`;
  const { context, close } = await launch();
  const external = new Set();
  const started = Date.now();
  const results = new Array(jobs.length);
  let next = 0;
  // A few tabs in the one browser: the machine has two cores.
  const worker = async () => {
    const tab = await context.newPage();
    const state = { target: null, external, failed: [] };
    await guard(tab, origin, state);
    tab.on('response', (response) => {
      if (response.status() >= 400 && response.url() !== state.target) {
        state.failed.push(`${response.status()} ${response.url().slice(origin.length)}`);
      }
    });
    tab.on('pageerror', (error) => state.failed.push(`script error: ${error.message}`));
    while (next < jobs.length) {
      const index = next++;
      results[index] = await checkPage(tab, state, origin, jobs[index]);
    }
    await tab.close();
  };
  await Promise.all(Array.from({ length: TABS }, worker));
  const searchFindings = await searchWorks(context, origin, root);
  await close();
  server.close();

  const findings = results.flatMap((r) => r.findings).concat(searchFindings);
  const redirects = results.filter((r) => r.redirect).length;
  for (const finding of findings) console.log(finding);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `browser checks: ${files.length} pages (${redirects} of them redirect stubs; ` +
      `${jobs.length - files.length} search page(s) also with ?q=${SEARCH_QUERY}), axe-core ` +
      `${require('axe-core/package.json').version} [${AXE_TAGS.join(', ')}] at ${DESKTOP.width}px and ` +
      `${NARROW.width}px, sideways scrolling at ${NARROW.width}px: ${findings.length} finding(s) in ${seconds} s`,
  );
  if (external.size) {
    console.log(`  (requests to other hosts refused: ${[...external].join(', ')})`);
  }
  return findings.length === 0;
}

async function screenshots(outDir, siteDir, paths) {
  const root = path.resolve(siteDir);
  fs.mkdirSync(outDir, { recursive: true });
  const server = await serve(root);
  const origin = `http://127.0.0.1:${server.address().port}`;
  const { context, close } = await launch();
  const page = context.pages()[0] || (await context.newPage());
  const state = { target: null, external: new Set() };
  await guard(page, origin, state);
  for (const urlPath of paths) {
    state.target = origin + urlPath;
    const name = urlPath.replace(/^\/|\/$/g, '').replace(/[^A-Za-z0-9-]+/g, '_') || 'home';
    for (const [label, size] of [['phone', { width: 390, height: 844 }], ['desktop', { width: 1366, height: 900 }]]) {
      await page.setViewportSize(size);
      await page.goto(state.target, { waitUntil: 'networkidle' });
      const file = path.join(outDir, `${name}.${label}.png`);
      await page.screenshot({ path: file, fullPage: true });
      console.log(file);
    }
  }
  await close();
  server.close();
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--screenshots' && args.length >= 4) {
    await screenshots(args[1], args[2], args.slice(3));
    return 0;
  }
  if (args.length !== 1) {
    console.error('usage: browser-checks.js SITE_DIR | --screenshots OUT_DIR SITE_DIR PATH...');
    return 2;
  }
  return (await check(args[0])) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
