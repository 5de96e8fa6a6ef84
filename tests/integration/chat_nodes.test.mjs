// chat_nodes.test.mjs - the chat example (examples/chat) on two nodes
// sharing a real Redis (LV_BROKER): a room's members are listed on both,
// a page on one hears, as the example's presence push, a page join the
// room on the other and go offline when that node is killed (SIGKILL);
// and the example alone, with no broker, lists and tells its own pages.
// The loop is the runtime's default.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Client, ROOT, closeAll, ms, until, within } from './helpers.mjs';
import { startRedis } from './redis.mjs';

const CHAT = path.join(ROOT, 'build', 'examples', 'chat', 'chat');
const SCHEMA = /hash: "([0-9a-f]+)"/.exec(
  fs.readFileSync(path.join(ROOT, 'build', 'examples', 'chat', 'chat.lv.js'), 'utf8'))[1];
let redis;
const servers = [];
let clients = [];

/** The chat server on a free port, with env; resolves once it serves. */
async function startChat(env) {
  const proc = spawn(CHAT, ['-1'], {
    cwd: path.join(ROOT, 'examples', 'chat'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const s = { proc, stdout: '', stderr: '', app: 'chat', schema: SCHEMA, host: '127.0.0.1' };
  servers.push(s);
  s.exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => { s.stderr += d; });
  await within(new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => {
      s.stdout += d;
      const m = /serving chat on http:\/\/127\.0\.0\.1:(\d+)\//.exec(s.stdout);
      if (m) {
        s.port = Number(m[1]);
        resolve();
      }
    });
    s.exited.then((e) => reject(new Error(`chat exited (${JSON.stringify(e)}): ${s.stderr}`)));
  }), ms(10000), 'the chat server to listen');
  s.wsUrl = `ws://127.0.0.1:${s.port}/lv/ws`;
  s.httpUrl = `http://127.0.0.1:${s.port}`;
  s.stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null)
      proc.kill('SIGTERM');
    return within(s.exited, ms(8000), 'the chat server to exit');
  };
  return s;
}

const open = async (server) => {
  const c = await Client.open(server);
  clients.push(c);
  return c;
};
const isPresence = (room, who, state) => (m) => m.t === 'push' && m.fn === 'presence' &&
  m.args.room === room && m.args.who === who && m.args.state === state;

before(async () => {
  if (!fs.existsSync(CHAT))
    throw new Error('no chat example: build it first (make build/examples/chat/chat)');
  redis = await startRedis();
});

after(async () => {
  await closeAll(clients);
  await Promise.allSettled(servers.map((s) => s.stop()));
  await redis?.stop();
});

test('two chat nodes: members and presence pushes across them, a killed node\'s pages offline', async () => {
  const env = { LV_BROKER: `unix:${redis.socket}` };
  const a = await startChat({ ...env, LV_NODE_ID: 'chat-a' });
  const b = await startChat({ ...env, LV_NODE_ID: 'chat-b' });
  const bob = await open(b);
  await bob.value('join', { room: 'lobby', name: 'bob' });
  const ann = await open(a);
  await ann.value('join', { room: 'lobby', name: 'ann' });
  // bob, on B, hears ann join on A
  await bob.next(isPresence('lobby', 'ann', 'online'), ms(5000), 'ann online on B');
  // both nodes list both
  await until(async () => {
    const onA = (await ann.value('members', { room: 'lobby' })).sort();
    const onB = (await bob.value('members', { room: 'lobby' })).sort();
    return JSON.stringify(onA) === '["ann","bob"]' && JSON.stringify(onB) === '["ann","bob"]';
  }, ms(3000), 'both members on both nodes');
  // a room with someone only on A is in B's list of rooms, after B's own
  const solo = await open(a);
  await solo.value('join', { room: 'a-only', name: 'sol' });
  await until(async () => JSON.stringify(await bob.value('rooms')) === '["lobby","a-only"]',
    ms(3000), 'B\'s rooms, then A\'s');
  // a message posted on A reaches bob on B
  await ann.value('post', { room: 'lobby', text: 'hi bob' });
  await bob.next((m) => m.fn === 'message' && m.args.msg.text === 'hi bob', ms(3000), 'the message');

  // A dies: bob hears ann go offline, and the list drops her
  a.proc.kill('SIGKILL');
  await a.exited;
  await bob.next(isPresence('lobby', 'ann', 'offline'), ms(15000), 'ann offline after A died');
  assert.deepEqual(await bob.value('members', { room: 'lobby' }), ['bob']);
  assert.deepEqual(await bob.value('rooms'), ['lobby']);
  assert.equal(bob.all.filter(isPresence('lobby', 'ann', 'offline')).length, 1, 'once');
  await bob.close();
  assert.deepEqual(await b.stop(), { code: 0, signal: null });
});

test('one chat node, no broker: its own members and presence', async () => {
  const s = await startChat({ LV_BROKER: '', LV_NODE_ID: '' });
  const p1 = await open(s);
  const p2 = await open(s);
  await p1.value('join', { room: 'r', name: 'one' });
  await p2.value('join', { room: 'r', name: 'two' });
  await p1.next(isPresence('r', 'two', 'online'), ms(3000), 'two online');
  assert.deepEqual((await p1.value('members', { room: 'r' })).sort(), ['one', 'two']);
  await p2.value('join', { room: 'elsewhere', name: 'two' });
  await p1.next(isPresence('r', 'two', 'offline'), ms(3000), 'two moved away');
  assert.deepEqual(await p1.value('members', { room: 'r' }), ['one']);
  await p2.close();
  await p1.close();
  assert.deepEqual(await s.stop(), { code: 0, signal: null });
});
