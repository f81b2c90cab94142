#!/usr/bin/env node
// The Nu Html Checker (vnu.jar from the vnu-jar package, run with the
// machine's Java) over a built site, in one JVM: every HTML page, and the
// standalone SVG charts as well (vnu checks SVG against its SVG 1.1 + ARIA
// schema). Prints each error and warning with file, line, column and
// message; exits 1 on any. (Not --also-check-css: with it, vnu 26.9.27
// reports HTML line numbers one too low; the theme's CSS passes
// `--css` on its own.)
//
// Warnings fail too, unless listed in ALLOWED_WARNINGS below with the
// reason why it is right to keep them (none is listed today).
//
//   node vnu.js SITE_DIR

'use strict';

const path = require('path');
const { spawnSync } = require('child_process');

const VNU_JAR = require.resolve('vnu-jar/build/dist/vnu.jar');

// { pattern: /regex on the message/, reason: 'why this warning is fine' }
const ALLOWED_WARNINGS = [];

// What vnu says of files it was not asked to check (feeds, JSON, CSV...)
// when it walks the site folder: not a finding.
const NOT_CHECKED = /^File was not checked\./;

function main(argv) {
  if (argv.length !== 1) {
    console.error('usage: vnu.js SITE_DIR');
    return 2;
  }
  const site = path.resolve(argv[0]);
  const started = Date.now();
  const run = spawnSync(
    process.env.JAVA || 'java',
    ['-Xss4m', '-jar', VNU_JAR, '--format', 'json', '--skip-non-html', '--also-check-svg',
      '--exit-zero-always', '--verbose', site],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  if (run.error || run.status !== 0) {
    console.error(`vnu did not run: ${run.error || run.stderr}`);
    return 2;
  }
  const checked = run.stdout.split('\n').filter((line) => line.trim() !== '');
  let report;
  try {
    report = JSON.parse(run.stderr);
  } catch (error) {
    console.error(`vnu printed no JSON report: ${error}\n${run.stderr.slice(0, 2000)}`);
    return 2;
  }
  const findings = [];
  const allowed = [];
  for (const message of report.messages) {
    if (message.type === 'info' && message.subType !== 'warning') continue; // plain notes
    if (NOT_CHECKED.test(message.message)) continue;
    const file = message.url ? decodeURIComponent(message.url.replace(/^file:/, '')) : site;
    const where = `${path.relative(site, file) || '.'}:${message.firstLine || message.lastLine || 0}:${message.firstColumn || 0}`;
    const kind = message.type === 'info' ? 'warning' : message.type === 'non-document-error' ? 'error (not checked)' : message.type;
    const line = `vnu: /${where} ${kind}: ${message.message}` + (message.extract ? `\n    ${message.extract.replace(/\n/g, ' ')}` : '');
    const reason = kind === 'warning' && ALLOWED_WARNINGS.find((allow) => allow.pattern.test(message.message));
    if (reason) allowed.push(`${line}\n    allowed: ${reason.reason}`);
    else findings.push(line);
  }
  for (const line of findings) console.log(line);
  for (const line of allowed) console.log(line);
  const counts = {};
  for (const file of checked) {
    const ext = path.extname(file) || '(none)';
    counts[ext] = (counts[ext] || 0) + 1;
  }
  const summary = Object.entries(counts).map(([ext, n]) => `${n} ${ext}`).join(', ');
  const version = require('vnu-jar/package.json').version;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `vnu ${version}: checked ${summary}: ${findings.length} finding(s)` +
      (allowed.length ? `, ${allowed.length} allowed warning(s)` : '') + ` in ${seconds} s`,
  );
  if (checked.length === 0) {
    console.log('vnu checked no file');
    return 1;
  }
  return findings.length ? 1 : 0;
}

process.exit(main(process.argv.slice(2)));
