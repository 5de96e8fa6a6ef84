// state.test.mjs - synchronised state over the wire (docs/protocol.md,
// "States"): copies per group, for everyone and per connection, their
// snapshots and flushed patches, coalescing, role-gated states, resume,
// and states the page owns. Each page keeps its copy with a small RFC
// 6902 applier of its own (below), so what the server sends is checked
// against what the server holds.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { Client, closeAll, ms, sleep, startServer, until } from './helpers.mjs';

let server;
let clients = [];
const open = async (opts) => {
  const c = await Client.open(server, opts);
  clients.push(c);
  return c;
};

before(async () => { server = await startServer(); });
afterEach(async () => { await closeAll(clients); clients = []; });
after(async () => { await server?.stop(); });

// ---- a page's copies: the test's own applier ----------------------------------------

const unescape = (t) => t.replace(/~1/g, '/').replace(/~0/g, '~');
const tokens = (p) => (p === '' ? [] : p.slice(1).split('/').map(unescape));

function apply(doc, ops) {
  let root = structuredClone(doc);
  const parent = (path) => {
    const t = tokens(path);
    let c = root;
    for (const k of t.slice(0, -1))
      c = c[Array.isArray(c) ? Number(k) : k];
    return [c, t[t.length - 1]];
  };
  for (const op of ops) {
    if (op.path === '') {
      assert.equal(op.op, 'replace', 'only a replace reaches the root');
      root = structuredClone(op.value);
      continue;
    }
    const [c, k] = parent(op.path);
    if (op.op === 'add' && Array.isArray(c))
      c.splice(k === '-' ? c.length : Number(k), 0, op.value);
    else if (op.op === 'add' || op.op === 'replace') {
      if (op.op === 'replace')
        assert.ok(Array.isArray(c) ? Number(k) < c.length : k in c, `replace of a missing ${op.path}`);
      c[Array.isArray(c) ? Number(k) : k] = op.value;
    } else if (op.op === 'remove') {
      if (Array.isArray(c))
        c.splice(Number(k), 1);
      else {
        assert.ok(k in c, `remove of a missing ${op.path}`);
        delete c[k];
      }
    } else if (op.op === 'move') {
      const [fc, fk] = parent(op.from);
      const [v] = fc.splice(Number(fk), 1);
      c.splice(Number(k), 0, v);
    } else {
      assert.fail(`unexpected op ${op.op}`);
    }
  }
  return root;
}

/** The page's copy of one state, from every state message it got. */
function copyOf(c, name, group) {
  let value;
  let rev = null;
  const revs = [];
  for (const m of c.all) {
    if (m.t !== 'state' || m.name !== name || (m.group ?? null) !== (group ?? null))
      continue;
    if (m.ops === null) {
      value = undefined;
      rev = null;
      continue;
    }
    const snapshot = m.ops.length === 1 && m.ops[0].path === '' && m.ops[0].op === 'replace';
    if (!snapshot)
      assert.equal(m.rev, rev + 1, `${name}: a patch for rev ${m.rev} after rev ${rev}`);
    value = apply(value, m.ops);
    rev = m.rev;
    revs.push(m.rev);
  }
  return { value, rev, revs };
}

const msgs = (c, name) => c.all.filter((m) => m.t === 'state' && m.name === name);
const op = (c, args) => c.value('state_op', args);
const serverValue = async (c, which, group) =>
  JSON.parse(await c.value('state_value', group ? { which, in_group: group } : { which }));

describe('a group state', () => {
  test('members get a snapshot, then one coalesced patch per flush, equal to the server', async () => {
    const a = await open();
    const b = await open();
    await a.value('join', { name: 'ga' });
    await b.value('join', { name: 'ga' });
    assert.equal(await op(a, { which: 'board', in_group: 'ga', op: 'get' }), 0);
    const snap = await b.next((m) => m.t === 'state' && m.name === 'board' && m.group === 'ga');
    assert.deepEqual(snap.ops, [{ op: 'replace', path: '', value: { cells: {}, log: [], title: '' } }]);
    // within one flush: the last write of a place wins, a map entry added and
    // removed is nothing
    await op(a, { which: 'board', in_group: 'ga', op: 'set', path: '/title', json: '"one"' });
    await op(a, { which: 'board', in_group: 'ga', op: 'set', path: '/title', json: '"two"' });
    await op(a, { which: 'board', in_group: 'ga', op: 'set', path: '/cells/tmp', json: '{"v":1,"by":"a"}' });
    await op(a, { which: 'board', in_group: 'ga', op: 'remove', path: '/cells/tmp' });
    await a.value('board_cell', { in_group: 'ga', key: 'k/1', v: 7, by: 'a' });
    const patch = await b.next((m) => m.t === 'state' && m.name === 'board' && m.rev === 1, ms(2000));
    assert.deepEqual(patch.ops, [
      { op: 'replace', path: '/title', value: 'two' },
      { op: 'add', path: '/cells/k~11', value: { v: 7, by: 'a' } },
      { op: 'add', path: '/log/0', value: 'a' },
    ]);
    const want = await serverValue(a, 'board', 'ga');
    for (const c of [a, b])
      await until(() => copyOf(c, 'board', 'ga').rev === 1);
    assert.deepEqual(copyOf(a, 'board', 'ga').value, want);
    assert.deepEqual(copyOf(b, 'board', 'ga').value, want);
  });

  test('a late joiner gets the value so far as a snapshot, and what follows as patches', async () => {
    const a = await open();
    await a.value('join', { name: 'gb' });
    for (let i = 0; i < 5; i++)
      await a.value('board_cell', { in_group: 'gb', key: `c${i}`, v: i, by: 'a' });
    await until(() => copyOf(a, 'board', 'gb').rev >= 1);
    const late = await open();
    await late.value('join', { name: 'gb' });
    await op(a, { which: 'board', in_group: 'gb', op: 'move', path: '/log', index: 0, to: 4 });
    await op(a, { which: 'board', in_group: 'gb', op: 'remove', path: '/cells/c2' });
    const want = await serverValue(a, 'board', 'gb');
    const rev = await op(a, { which: 'board', in_group: 'gb', op: 'get' });
    await until(() => copyOf(late, 'board', 'gb').rev === rev + 1, ms(2000), 'the late page in step');
    assert.deepEqual(copyOf(late, 'board', 'gb').value, want);
    assert.deepEqual(copyOf(a, 'board', 'gb').value, want);
    assert.equal(msgs(late, 'board')[0].ops[0].path, '', 'the first is a snapshot');
  });

  test('a page that leaves is told its copy is gone, and hears no more', async () => {
    const a = await open();
    await a.value('join', { name: 'gc' });
    await a.value('board_cell', { in_group: 'gc', key: 'x', v: 1, by: 'a' });
    await a.value('leave', { name: 'gc' });
    const gone = await a.next((m) => m.t === 'state' && m.group === 'gc' && m.ops === null);
    assert.equal(gone.name, 'board');
    const n = msgs(a, 'board').length;
    await a.value('board_cell', { in_group: 'gc', key: 'y', v: 2, by: 'a' });
    await sleep(ms(150));
    assert.equal(msgs(a, 'board').length, n);
  });
});

describe('global and connection states', () => {
  test('flush: 0ms sends once the handler returns; a new page starts from a snapshot', async () => {
    const a = await open();
    await op(a, { which: 'counter', op: 'set', path: '/hits', json: '1' });
    await op(a, { which: 'counter', op: 'set', path: '/hits', json: '2' });
    await until(() => copyOf(a, 'counter').value?.hits === 2);
    const b = await open();
    await until(() => copyOf(b, 'counter').value !== undefined);
    assert.deepEqual(copyOf(b, 'counter').value, await serverValue(a, 'counter'));
    await op(b, { which: 'counter', op: 'set', path: '/other', json: '5' });
    const want = await serverValue(a, 'counter');
    await until(() => copyOf(a, 'counter').value?.other === 5 && copyOf(b, 'counter').value?.other === 5);
    assert.deepEqual(copyOf(a, 'counter').value, want);
  });

  test('flush: manual sends nothing until asked; a connection state is its own', async () => {
    const a = await open();
    const b = await open();
    await op(a, { which: 'mine', op: 'set', path: '/title', json: '"a\'s"' });
    await op(b, { which: 'mine', op: 'set', path: '/title', json: '"b\'s"' });
    await sleep(ms(150));
    assert.deepEqual(msgs(a, 'mine').map((m) => m.rev), [0], 'only the snapshot of its making');
    const rev = await op(a, { which: 'mine', op: 'flush' });
    assert.equal(rev, 1);
    await until(() => copyOf(a, 'mine').rev === 1);
    assert.equal(copyOf(a, 'mine').value.title, "a's");
    assert.equal(copyOf(b, 'mine').value.title, '', 'b has only its own snapshot');
  });

  test('a role-gated state reaches only pages with the role, from the moment they have it', async () => {
    const admin = await open();
    const user = await open();
    await op(admin, { which: 'secrets', op: 'insert', path: '', json: '"s1"' });
    await sleep(ms(100));
    assert.equal(msgs(admin, 'secrets').length, 0);
    await admin.value('login', { name: 'ann', role: 'admin' });
    await until(() => copyOf(admin, 'secrets').value !== undefined, ms(2000), 'the snapshot at sign-in');
    assert.deepEqual(copyOf(admin, 'secrets').value, ['s1']);
    await op(user, { which: 'secrets', op: 'insert', path: '', json: '"s2"' });
    await until(() => copyOf(admin, 'secrets').value?.length === 2);
    assert.equal(msgs(user, 'secrets').length, 0, 'never to a page without the role');
    await admin.value('login', { name: '', role: '' });
    await admin.next((m) => m.t === 'state' && m.name === 'secrets' && m.ops === null);
  });

  test('a role-gated group state reaches only the members with the role', async () => {
    const member = await open();
    const outsider = await open();
    const user = await open();
    await member.value('login', { name: 'ann', role: 'admin' });
    await outsider.value('login', { name: 'bob', role: 'admin' });
    await member.value('join', { name: 'gv' });
    await outsider.value('join', { name: 'gv-other' });
    await user.value('join', { name: 'gv' });
    await op(member, { which: 'vault', in_group: 'gv', op: 'insert', path: '', json: '"v1"' });
    await op(member, { which: 'vault', in_group: 'gv', op: 'insert', path: '', json: '"v2"' });
    await until(() => copyOf(member, 'vault', 'gv').value?.length === 2);
    assert.deepEqual([...copyOf(member, 'vault', 'gv').value].sort(), ['v1', 'v2']);
    await sleep(ms(100));
    assert.equal(msgs(outsider, 'vault').length, 0, 'never to an admin outside the group');
    assert.equal(msgs(user, 'vault').length, 0, 'never to a member without the role');
  });

  test('changes that do not fit the declared type are refused, and nothing is sent', async () => {
    const a = await open();
    await a.value('join', { name: 'gd' });
    await a.value('board_cell', { in_group: 'gd', key: 'x', v: 1, by: 'a' });
    const bad = [
      { op: 'set', path: '/cells/x/v', json: '"text"' },
      { op: 'set', path: '/nosuch', json: '1' },
      { op: 'remove', path: '/title' },
      { op: 'insert', path: '/cells', json: '{}' },
      { op: 'set', path: '/cells/y', json: '{"v":1}' },
      { op: 'move', path: '/log', index: 3, to: 0 },
    ];
    const before = await serverValue(a, 'board', 'gd');
    for (const b of bad) {
      const r = await a.call('state_op', { which: 'board', in_group: 'gd', ...b });
      assert.equal(r.ok, false, JSON.stringify(b));
      assert.equal(r.error.code, 'invalid_argument');
    }
    assert.deepEqual(await serverValue(a, 'board', 'gd'), before);
    const r = await a.call('state_op', { which: 'nosuch', op: 'get' });
    assert.equal(r.error.code, 'not_found');
  });
});

describe('resume', () => {
  test('patches flushed while the page was away arrive once and in order on resume', async () => {
    const a = await open();
    await a.value('join', { name: 'ge' });
    await a.value('board_cell', { in_group: 'ge', key: 'x', v: 1, by: 'a' });
    await until(() => copyOf(a, 'board', 'ge').rev === 1);
    const w = await open();
    a.terminate();
    for (let i = 0; i < 3; i++) {
      await w.value('board_cell', { in_group: 'ge', key: `y${i}`, v: i, by: 'w' });
      await sleep(ms(80));    // one flush each
    }
    const a2 = await open({ resume: { session: a.welcome.session, last: a.lastSeq } });
    assert.equal(a2.welcome.resumed, true);
    const rev = await op(w, { which: 'board', in_group: 'ge', op: 'get' });
    await until(() => msgs(a2, 'board').some((m) => m.rev === rev), ms(2000));
    const all = { all: [...a.all, ...a2.all] };
    const copy = copyOf(all, 'board', 'ge');
    assert.deepEqual(copy.revs, [...new Set(copy.revs)], 'no revision twice');
    assert.deepEqual(copy.value, await serverValue(w, 'board', 'ge'));
  });

  test('state_sync asks for a snapshot', async () => {
    const a = await open();
    await a.value('join', { name: 'gf' });
    await a.value('board_cell', { in_group: 'gf', key: 'x', v: 1, by: 'a' });
    a.send({ t: 'state_sync', name: 'board', group: 'gf' });
    const snap = await a.next((m) => m.t === 'state' && m.name === 'board' && m.ops?.[0]?.path === '' && m.rev === 1, ms(2000));
    assert.deepEqual(snap.ops[0].value, await serverValue(a, 'board', 'gf'));
    a.send({ t: 'state_sync', name: 'board', group: 'not-mine' });
    const err = await a.next((m) => m.t === 'error');
    assert.equal(err.error.path, 'group');
  });
});

describe('a state the page owns', () => {
  test('the page sends numbered patches; the server reads the value; wrong ones are refused', async () => {
    const a = await open({ numbered: true });
    assert.equal(await a.value('prefs_read', {}), '{"sort":"name","tags":[]}', 'the zero value, with defaults');
    a.send({ t: 'state', name: 'prefs', rev: 1, ops: [{ op: 'add', path: '/tags/-', value: 'x' }] });
    a.send({ t: 'state', name: 'prefs', rev: 2, ops: [{ op: 'replace', path: '/sort', value: 'date' }] });
    await until(async () => (await a.value('prefs_read', {})) === '{"sort":"date","tags":["x"]}');
    const [calls, seen] = (await a.value('prefs_seen', {})).match(/^(\d+) (.*)$/).slice(1);
    assert.ok(Number(calls) >= 2, calls);
    assert.equal(seen, '1 date', 'the changed handler got the value decoded');
    const refuse = async (msg, code, words) => {
      a.send({ t: 'state', name: 'prefs', ...msg });
      const err = await a.next((m) => m.t === 'error', ms(2000), words);
      assert.equal(err.error.code, code, JSON.stringify(err));
      assert.match(err.error.message, words);
      const snap = await a.next((m) => m.t === 'state' && m.name === 'prefs');
      assert.deepEqual(snap.ops, [{ op: 'replace', path: '', value: { sort: 'date', tags: ['x'] } }]);
    };
    await refuse({ rev: 5, ops: [] }, 'invalid_argument', /revision 5 follows 2/);
    await refuse({ rev: 3, ops: [{ op: 'replace', path: '/sort', value: 1 }] }, 'invalid_argument', /sort: expected string/);
    await refuse({ rev: 3, ops: [{ op: 'remove', path: '/nope' }] }, 'invalid_argument', /operation 0/);
    await refuse({ rev: 3, ops: [{ op: 'add', path: '/tags/-', value: 'y'.repeat(3000) }] }, 'resource_exhausted', /larger/);
    assert.equal(await a.value('prefs_read', {}), '{"sort":"date","tags":["x"]}', 'nothing of them kept');
    assert.equal(await a.value('prefs_seen', {}), `${calls} 1 date`, 'no handler call for a refused change');
    a.send({ t: 'state', name: 'board', rev: 1, ops: [] });
    const err = await a.next((m) => m.t === 'error');
    assert.match(err.error.message, /no state 'board' that a page owns/);
  });
});
