// `fence graph --format mermaid` read back by Mermaid's own parser (the `mermaid` package, in
// Node under jsdom), for every example in every environment, at both levels: the text must
// parse as a flowchart, and the parsed diagram must hold exactly the nodes, edges and namespace
// boxes of the same graph written as DOT (`--format dot`), with the same edge labels.
//
//   FENCE=build/compiler/fence node --test tests/graph/mermaid/test/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JSDOM } from 'jsdom';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const FENCE = process.env.FENCE;

const dom = new JSDOM('<!DOCTYPE html><body></body>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });

function examples(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...examples(full));
    else if (name.endsWith('.fence') && !name.startsWith('_')) out.push(full);
  }
  return out;
}

function environments(file) {
  const m = readFileSync(file, 'utf8').match(/^\s*environments\s+([^#\n]*)/m);
  return m ? m[1].split(',').map((e) => e.trim()).filter(Boolean) : [null];
}

// A program with a `targets` line is drawn once per target: the graph answers for one.
function targets(file) {
  const m = readFileSync(file, 'utf8').match(/^\s*targets\s+([^#\n]*)/m);
  return m ? m[1].split(',').map((t) => t.trim()).filter(Boolean) : [null];
}

function fence(args) {
  return execFileSync(FENCE, ['graph', ...args], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

// The nodes, edges (with their labels) and namespace boxes of the DOT output.
function dotShape(dot) {
  const nodes = [...dot.matchAll(/^\s*"((?:[^"\\]|\\.)*)" \[label=/gm)].map((m) => m[1]);
  const edges = [...dot.matchAll(/^\s*"(?:[^"\\]|\\.)*" -> "(?:[^"\\]|\\.)*" \[label="((?:[^"\\]|\\.)*)"/gm)].map((m) => m[1].replace(/\\(.)/g, '$1'));
  const boxes = [...dot.matchAll(/^\s*subgraph "cluster_/gm)].length;
  return { nodes: nodes.filter((n) => !n.startsWith('empty:')), edges, boxes };
}

const cases = [];
for (const file of examples(path.join(ROOT, 'examples'))) {
  for (const env of environments(file)) {
    for (const target of targets(file)) {
      const base = [path.relative(ROOT, file), ...(env ? ['--env', env] : []), ...(target ? ['--target', target] : [])];
      cases.push(base, [...base, '--level', 'namespace']);
    }
  }
}
cases.push(['examples/shop', '--env', 'prod', '--workload', 'shop/api'], ['examples/shop', '--env', 'prod', '--namespace', 'data']);

test('fence graph writes Mermaid that Mermaid parses into the same graph', async () => {
  assert.ok(FENCE, 'set FENCE to the fence binary');
  assert.ok(cases.length >= 10, `too few examples found: ${cases.length}`);
  for (const args of cases) {
    const text = fence(args);
    const what = `fence graph ${args.join(' ')}`;
    const parsed = await mermaid.parse(text);
    assert.equal(parsed.diagramType, 'flowchart-v2', what);
    const { db } = await mermaid.mermaidAPI.getDiagramFromText(text);
    const want = dotShape(fence([...args, '--format', 'dot']));
    assert.equal(db.getVertices().size, want.nodes.length, `${what}: nodes`);
    const edges = db.getEdges();
    assert.equal(edges.length, want.edges.length, `${what}: edges`);
    edges.forEach((e, i) => {
      // Mermaid's label carries the places after ' · '; the ports come first, as in DOT.
      assert.equal(e.text.split(' · ')[0], want.edges[i], `${what}: edge ${i} label`);
    });
    assert.equal(db.getSubGraphs().length, want.boxes, `${what}: namespace boxes`);
  }
});

test('Mermaid rejects a broken flowchart (the parser is really checking)', async () => {
  await assert.rejects(mermaid.parse('flowchart LR\n  n0 -->|"a| n1\n'));
});
