// The TextMate grammar, tokenized by the engine VS Code uses (vscode-textmate with
// vscode-oniguruma), checked against Fence's own lexer: every token of every example gets the
// scope its kind calls for, no example has an `invalid` scope, the fixture's constructs get
// their exact scopes, and the grammar's keywords (and Vim's) are the lexer's.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

const EXTENSION = path.resolve(__dirname, '..');
const ROOT = path.resolve(EXTENSION, '../..');
const GRAMMAR = path.join(EXTENSION, 'syntaxes/fence.tmLanguage.json');
const FIXTURE = path.join(__dirname, 'fixture.fence');

// The lexer's view, from tests/tools/fence_lex (CTest passes its path).
function lexer(files) {
  const tool = process.env.FENCE_LEX;
  assert.ok(tool, 'FENCE_LEX must name the fence_lex tool (CTest sets it)');
  return JSON.parse(execFileSync(tool, files, { maxBuffer: 1 << 28 }).toString());
}

function fenceFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...fenceFiles(p));
    else if (entry.name.endsWith('.fence')) out.push(p);
  }
  return out.sort();
}

let grammarPromise;
function grammar() {
  if (!grammarPromise) {
    const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
    const onigLib = oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength)).then(() => ({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }));
    const registry = new vsctm.Registry({
      onigLib,
      loadGrammar: async (scope) => (scope === 'source.fence' ? vsctm.parseRawGrammar(fs.readFileSync(GRAMMAR, 'utf8'), GRAMMAR) : null),
    });
    grammarPromise = registry.loadGrammar('source.fence');
  }
  return grammarPromise;
}

// Tokenizes a text line by line; lines are split as the lexer counts them (on \n).
async function tokenize(text) {
  const g = await grammar();
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  let rule = vsctm.INITIAL;
  const tokens = [];
  for (const line of lines) {
    const r = g.tokenizeLine(line, rule);
    tokens.push(r.tokens);
    rule = r.ruleStack;
  }
  return { lines, tokens };
}

function scopesAt(t, line, col) {
  const tok = t.tokens[line].find((x) => x.startIndex <= col && col < x.endIndex);
  return tok ? tok.scopes : [];
}

// Byte offset -> [line, UTF-16 column].
function positions(text) {
  const map = new Map();
  let byte = 0;
  let line = 0;
  let col = 0;
  for (const ch of text) {
    map.set(byte, [line, col]);
    byte += Buffer.byteLength(ch);
    if (ch === '\n') {
      line += 1;
      col = 0;
    } else {
      col += ch.length;
    }
  }
  map.set(byte, [line, col]);
  return map;
}

// The scopes a lexer token's kind allows.
function allowed(tok, scopes) {
  const has = (prefix) => scopes.some((s) => s.startsWith(prefix));
  const nameLike = () =>
    has('entity.name.') || has('variable.') || has('support.constant.entity') || has('constant.language.protocol');
  switch (tok.kind) {
    case 'keyword':
      return has('keyword.');
    case 'soft-keyword':
      return has('keyword.') || nameLike(); // cluster, http, host, header are names too
    case 'method':
      return has('support.constant.http-method');
    case 'name':
      return nameLike();
    case 'number':
      return has('constant.numeric.');
    case 'string':
      return has('string.quoted.');
    case 'address':
      return has('constant.numeric.cidr');
    case 'dns-name':
      return has('string.unquoted.dns-name');
    case 'selector-word':
      return has('entity.other.attribute-name.label-key') || has('string.unquoted.label-value');
    case 'selector-operator':
      return has('keyword.operator.selector');
    case 'comment':
      return has('comment.line');
    case 'punctuation':
      if (tok.symbol === 'PODS_OPEN' || tok.symbol === 'NS_OPEN') return has('keyword.other.selector');
      return has('punctuation.') || has('keyword.operator.') || has('constant.numeric.port.any');
    default:
      return has('invalid.');
  }
}

test('every example, the stdlib and the fixture tokenize as the lexer reads them, without invalid scopes', async () => {
  const files = [...fenceFiles(path.join(ROOT, 'examples')), path.join(ROOT, 'stdlib/std.fence'), FIXTURE];
  assert.ok(files.length >= 3);
  const lex = lexer(files);
  let checked = 0;
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const t = await tokenize(text);
    t.tokens.forEach((line, i) => {
      for (const tok of line) {
        const bad = tok.scopes.find((s) => s.includes('invalid'));
        assert.ok(!bad, `${file}:${i + 1}:${tok.startIndex + 1}: '${t.lines[i].slice(tok.startIndex, tok.endIndex)}' is ${bad}`);
      }
    });
    const pos = positions(text);
    for (const tok of lex.files[file]) {
      const [line, col] = pos.get(tok.begin);
      const scopes = scopesAt(t, line, col);
      const shown = text.slice(0, 0) + Buffer.from(text).subarray(tok.begin, tok.end).toString();
      assert.ok(allowed(tok, scopes), `${file}:${line + 1}:${col + 1}: the lexer's ${tok.symbol} '${shown}' got [${scopes.join(', ')}]`);
      checked += 1;
    }
  }
  assert.ok(checked > 300, `only ${checked} tokens checked`);
});

test('the fixture: each construct gets its scope', async () => {
  const text = fs.readFileSync(FIXTURE, 'utf8');
  const t = await tokenize(text);
  // [line text to find, the piece, which occurrence of it on that line, the scope it must have]
  const cases = [
    ['# Every construct', '#', 0, 'comment.line.number-sign.fence'],
    ['import std', 'import', 0, 'keyword.control.fence'],
    ['import std', 'std', 0, 'entity.name.module.fence'],
    ['import "lib', '"lib/common.fence"', 0, 'string.quoted.double.fence'],
    ['environments dev', 'staging', 0, 'entity.name.environment.fence'],
    ['targets k8s', 'targets', 0, 'keyword.control.fence'],
    ['targets k8s', 'cilium', 0, 'entity.name.environment.fence'],
    ['let payments in prod for', 'for', 0, 'keyword.operator.word.fence'],
    ['let payments in prod for', 'cilium', 0, 'entity.name.environment.fence'],
    ['when prod for cilium', 'for', 0, 'keyword.operator.word.fence'],
    ['when prod for cilium', 'cilium', 0, 'entity.name.environment.fence'],
    ['for k8s {', 'for', 0, 'keyword.other.fence'],
    ['set label-key', 'label-key', 0, 'variable.other.setting.fence'],
    ['set label-key', '"app.kubernetes.io/name"', 0, 'string.quoted.double.fence'],
    ['let stripe =', 'let', 0, 'keyword.control.fence'],
    ['let stripe =', 'stripe', 0, 'entity.name.constant.fence'],
    ['let stripe =', '203.0.113.0/24', 0, 'constant.numeric.cidr.ipv4.fence'],
    ['let stripe =', '443', 0, 'constant.numeric.port.fence'],
    ['let stripe in', 'in', 0, 'keyword.operator.word.fence'],
    ['let stripe in', 'dev', 0, 'entity.name.environment.fence'],
    ['let api-v6', '2001:db8::/32', 0, 'constant.numeric.cidr.ipv6.fence'],
    ['namespace production', 'namespace', 0, 'keyword.control.fence'],
    ['namespace production', 'production', 0, 'entity.name.namespace.fence'],
    ['default deny egress', 'deny', 0, 'keyword.control.fence'],
    ['default deny egress', 'egress', 0, 'keyword.other.fence'],
    ['postgres:5432, dns', 'web-api', 0, 'entity.name.workload.fence'],
    ['postgres:5432, dns', 'may', 0, 'keyword.other.verb.fence'],
    ['postgres:5432, dns', 'reach', 0, 'keyword.other.verb.fence'],
    ['postgres:5432, dns', 'postgres', 0, 'entity.name.workload.fence'],
    ['postgres:5432, dns', ':', 0, 'punctuation.separator.port.fence'],
    ['postgres:5432, dns', '5432', 0, 'constant.numeric.port.fence'],
    ['postgres:5432, dns', 'dns', 0, 'entity.name.workload.fence'],
    ['monitoring/prometheus', 'monitoring', 0, 'entity.name.namespace.fence'],
    ['monitoring/prometheus', 'prometheus', 0, 'entity.name.workload.fence'],
    ['pods[tier=db', 'pods', 0, 'keyword.other.selector.fence'],
    ['pods[tier=db', 'tier', 0, 'entity.other.attribute-name.label-key.fence'],
    ['pods[tier=db', 'db', 0, 'string.unquoted.label-value.fence'],
    ['pods[tier=db', 'env', 0, 'entity.other.attribute-name.label-key.fence'],
    ['pods[tier=db', ' in ', 0, 'keyword.operator.selector.fence'],
    ['pods[tier=db', 'stage', 0, 'string.unquoted.label-value.fence'],
    ['pods[tier=db', '!', 0, 'keyword.operator.selector.fence'],
    ['pods[tier=db', 'canary', 0, 'entity.other.attribute-name.label-key.fence'],
    ['pods[tier=db', '!=', 0, 'keyword.operator.selector.fence'],
    ['pods[tier=db', 'v1', 0, 'string.unquoted.label-value.fence'],
    ['pods[tier=db', 'ns', 0, 'keyword.other.selector.fence'],
    ['pods[tier=db', 'team', 0, 'entity.other.attribute-name.label-key.fence'],
    ['pods[tier=db', '53', 0, 'constant.numeric.port.fence'],
    ['pods[tier=db', 'udp', 0, 'constant.language.protocol.fence'],
    ['pods[tier=db', '8999', 0, 'constant.numeric.port.fence'],
    ['pods[tier=db', 'http', 0, 'variable.other.port-name.fence'],
    ['pods[tier=db', '*', 0, 'constant.numeric.port.any.fence'],
    ['pods[tier=db', 'sctp', 0, 'constant.language.protocol.fence'],
    ['all pods may reach 0.0.0.0/0', 'all', 0, 'keyword.other.fence'],
    ['all pods may reach 0.0.0.0/0', '0.0.0.0/0', 0, 'constant.numeric.cidr.ipv4.fence'],
    ['all pods may reach 0.0.0.0/0', 'except', 0, 'keyword.operator.word.fence'],
    ['all pods may reach 0.0.0.0/0', '169.254.169.254/32', 0, 'constant.numeric.cidr.ipv4.fence'],
    ['all pods may reach 0.0.0.0/0', '# trailing', 0, 'comment.line.number-sign.fence'],
    ['must not reach', 'must', 0, 'keyword.other.verb.fence'],
    ['must not reach', 'not', 0, 'keyword.other.verb.fence'],
    ['may be reached by', 'reached', 0, 'keyword.other.verb.fence'],
    ['may be reached by', 'by', 0, 'keyword.other.verb.fence'],
    ['api.stripe.com', 'api.stripe.com', 0, 'string.unquoted.dns-name.fence'],
    ['api.stripe.com', '*.stripe.com', 0, 'string.unquoted.dns-name.fence'],
    ['api.stripe.com', 'entity', 0, 'keyword.other.fence'],
    ['api.stripe.com', 'kube-apiserver', 0, 'support.constant.entity.fence'],
    ['payments:8080', 'http', 0, 'keyword.other.fence'],
    ['payments:8080', 'GET', 0, 'support.constant.http-method.fence'],
    ['payments:8080', '"/v1/charges/.*"', 0, 'string.quoted.double.fence'],
    ['payments:8080', 'header', 0, 'keyword.other.fence'],
    ['payments:8080', '"X-Trace', 0, 'string.quoted.double.fence'],
    ['when prod {', 'when', 0, 'keyword.control.fence'],
    ['when prod {', 'prod', 0, 'entity.name.environment.fence'],
    ['when prod {', 'namespaces', 0, 'keyword.other.fence'],
    ['when prod {', 'k8s-app', 0, 'entity.other.attribute-name.label-key.fence'],
    ['cluster {', 'cluster', 0, 'keyword.control.fence'],
  ];
  for (const [lineText, piece, nth, scope] of cases) {
    const line = t.lines.findIndex((l) => l.includes(lineText));
    assert.ok(line >= 0, `no line with '${lineText}'`);
    let col = -1;
    for (let k = 0; k <= nth; k += 1) col = t.lines[line].indexOf(piece, col + 1);
    assert.ok(col >= 0, `no '${piece}' on line ${line + 1}`);
    if (piece === ' in ') col += 1;
    const scopes = scopesAt(t, line, col);
    assert.ok(scopes.includes(scope), `'${piece}' on line ${line + 1} has [${scopes.join(', ')}], not ${scope}`);
  }
});

test('broken input is flagged as invalid', async () => {
  const t = await tokenize('web may reach db:80 ; 3scale "unclosed\nx ] y');
  const flagged = (line, piece) => scopesAt(t, line, t.lines[line].indexOf(piece)).some((s) => s.startsWith('invalid.illegal'));
  assert.ok(flagged(0, ';'));
  assert.ok(flagged(0, '3scale'));
  assert.ok(flagged(0, '"unclosed'));
  assert.ok(flagged(1, ']'));
  assert.ok(!flagged(0, 'web'));
});

// The keyword alternatives of a grammar rule's regular expression: (?:a|b|c).
function alternatives(regex) {
  const m = /\(\?:([a-z|]+)\)/.exec(regex);
  assert.ok(m, `no keyword group in ${regex}`);
  return m[1].split('|');
}

test('the grammar and the Vim syntax have exactly the lexer\'s keywords', () => {
  const lex = lexer([]);
  const expected = [...lex.keywords, ...lex.soft_keywords].sort();
  assert.ok(expected.includes('reach') && expected.includes('cluster'));

  const g = JSON.parse(fs.readFileSync(GRAMMAR, 'utf8'));
  const textmate = g.repository.keywords.patterns.flatMap((p) => alternatives(p.match)).sort();
  assert.deepStrictEqual(textmate, expected, 'syntaxes/fence.tmLanguage.json#keywords differs from grammar/FenceLexer.g4');

  const vimFile = fs.readFileSync(path.join(ROOT, 'editors/vim/syntax/fence.vim'), 'utf8');
  const block = vimFile.slice(vimFile.indexOf('" BEGIN keywords'), vimFile.indexOf('" END keywords'));
  const vim = block
    .split('\n')
    .filter((l) => l.startsWith('syn keyword '))
    .flatMap((l) => l.split(/\s+/).slice(3))
    .sort();
  assert.deepStrictEqual(vim, expected, 'editors/vim/syntax/fence.vim differs from grammar/FenceLexer.g4');
});
