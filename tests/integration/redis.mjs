// redis.mjs - a real redis-server for the broker tests: in a temporary
// folder, on a Unix socket there (no TCP port), nothing saved; stopped by
// its own pid, also when a test fails. `command()` sends it one command.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ms, sleep, within } from './helpers.mjs';

/** The redis-server binary, or an Error saying how to get one. */
function redisBinary() {
  const bin = process.env.LV_TEST_REDIS_SERVER || 'redis-server';
  try {
    execFileSync(bin, ['--version'], { stdio: 'ignore' });
    return bin;
  } catch {
    throw new Error(`the broker tests need ${bin} (Debian: apt-get install redis-server, ` +
      'in the test list of scripts/deps.sh); it was not found');
  }
}

/* One RESP reply from buf at i: [value, next index], or null when it is
 * not all there yet. An error reply is an Error value. */
function parseReply(buf, i) {
  const eol = buf.indexOf('\r\n', i);
  if (eol < 0)
    return null;
  const type = String.fromCharCode(buf[i]);
  const line = buf.toString('utf8', i + 1, eol);
  const next = eol + 2;
  switch (type) {
  case '+': return [line, next];
  case '-': return [new Error(line), next];
  case ':': return [Number(line), next];
  case '$': {
    const n = Number(line);
    if (n < 0)
      return [null, next];
    if (buf.length < next + n + 2)
      return null;
    return [buf.toString('utf8', next, next + n), next + n + 2];
  }
  case '*': {
    const n = Number(line);
    if (n < 0)
      return [null, next];
    const out = [];
    let at = next;
    for (let k = 0; k < n; k++) {
      const r = parseReply(buf, at);
      if (!r)
        return null;
      out.push(r[0]);
      at = r[1];
    }
    return [out, at];
  }
  default:
    throw new Error(`redis: a reply of unknown type ${JSON.stringify(type)}`);
  }
}

/** Sends one command over the Unix socket; resolves with its reply. */
export function redisCommand(socket, args, timeout = ms(5000)) {
  return within(new Promise((resolve, reject) => {
    const c = net.createConnection(socket);
    let buf = Buffer.alloc(0);
    c.on('connect', () => {
      let out = `*${args.length}\r\n`;
      for (const a of args) {
        const b = Buffer.from(String(a));
        out += `$${b.length}\r\n${b.toString()}\r\n`;
      }
      c.write(out);
    });
    c.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const r = parseReply(buf, 0);
      if (!r)
        return;
      c.end();
      if (r[0] instanceof Error)
        reject(r[0]);
      else
        resolve(r[0]);
    });
    c.on('error', reject);
  }), timeout, `redis ${args[0]}`);
}

/**
 * Starts redis-server in a new temporary folder; resolves once it accepts
 * connections on `socket`. `kill()` ends it at once (SIGKILL, as a crash);
 * `start()` starts it again on the same socket; `stop()` ends it and
 * removes the folder.
 */
export async function startRedis() {
  const bin = redisBinary();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-redis-'));
  const r = { dir, socket: path.join(dir, 'redis.sock'), proc: null, log: '' };

  r.start = async () => {
    fs.rmSync(r.socket, { force: true });
    const proc = spawn(bin, ['--port', '0', '--unixsocket', r.socket, '--unixsocketperm', '700',
      '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    r.proc = proc;
    r.exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    proc.stdout.on('data', (d) => { r.log += d; });
    proc.stderr.on('data', (d) => { r.log += d; });
    const ready = (async () => {
      while (!/ready to accept connections/i.test(r.log) || !fs.existsSync(r.socket)) {
        if (proc.exitCode !== null || proc.signalCode !== null)
          throw new Error(`redis-server exited before it was ready: ${r.log}`);
        await sleep(20);
      }
    })();
    await within(ready, ms(10000), 'redis-server to accept connections');
    r.pid = proc.pid;
  };

  /** Ends this redis-server (its pid only) with signal; resolves on its exit. */
  r.end = async (signal) => {
    const proc = r.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null)
      return;
    process.kill(proc.pid, signal);
    try {
      await within(r.exited, ms(5000), 'redis-server to exit');
    } catch (e) {
      process.kill(proc.pid, 'SIGKILL');
      await r.exited;
      throw e;
    }
  };
  r.kill = () => r.end('SIGKILL');
  r.command = (...args) => redisCommand(r.socket, args);
  r.stop = async () => {
    try {
      await r.end('SIGTERM');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };

  try {
    await r.start();
  } catch (e) {
    await r.stop().catch(() => {});
    throw e;
  }
  return r;
}
