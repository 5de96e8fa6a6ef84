// redis.mjs - a real redis-server for the broker tests: in a temporary
// folder, on a Unix socket there (no TCP port), nothing saved; stopped by
// its own pid, also when a test fails.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
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
