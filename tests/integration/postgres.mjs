// postgres.mjs - a real PostgreSQL server for the model tests: initdb and
// postgres from the installed package in a temporary folder, listening
// only on a Unix socket there (no TCP port, fsync off), run as the
// postgres user when the tests run as root; `psql` writes as another
// process would; stopped by its own pid, also when a test fails.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ms, sleep, within } from './helpers.mjs';

/** The folder of initdb and postgres, or an Error saying how to get them. */
function binDir() {
  const lib = '/usr/lib/postgresql';
  const versions = fs.existsSync(lib)
    ? fs.readdirSync(lib).filter((v) => fs.existsSync(path.join(lib, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length)
    return path.join(lib, versions[0], 'bin');
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    if (fs.existsSync(path.join(dir, 'initdb')))
      return dir;
  } catch { /* not installed: said below */ }
  throw new Error('the PostgreSQL tests need initdb, postgres and psql (Debian: apt-get install ' +
    'postgresql, in the test list of scripts/deps.sh); they were not found');
}

/** argv as the postgres user when this process is root (setpriv execs in place). */
function asOwner(argv) {
  if (process.getuid() !== 0)
    return argv;
  return ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups', '--', ...argv];
}

/**
 * Starts PostgreSQL in a new temporary folder; resolves once it answers.
 * `uri(db)` is a store URI for lv, `createdb(db)` makes a database,
 * `psql(db, sql)` runs SQL as a separate client and returns its output,
 * `stop()` ends the server and removes the folder.
 */
export async function startPostgres() {
  const bin = binDir();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-pg-'));
  const data = path.join(dir, 'data');
  const p = { dir, proc: null, log: '' };
  if (process.getuid() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
    fs.chownSync(dir, uid, gid);
  }

  p.psql = (db, sql) => execFileSync('psql', ['-h', dir, '-U', 'postgres', '-d', db, '-X', '-q',
    '-v', 'ON_ERROR_STOP=1', '-At', '-c', sql], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  p.createdb = (db) => p.psql('postgres', `CREATE DATABASE ${db}`);
  p.uri = (db) => `postgresql:///${db}?host=${encodeURIComponent(dir)}&user=postgres`;

  p.stop = async () => {
    const proc = p.proc;
    try {
      if (proc && proc.exitCode === null && proc.signalCode === null) {
        process.kill(proc.pid, 'SIGINT');   // fast shutdown
        try {
          await within(p.exited, ms(15000), 'postgres to exit');
        } catch (e) {
          process.kill(proc.pid, 'SIGKILL');
          await p.exited;
          throw e;
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };

  try {
    const [cmd, ...args] = asOwner([path.join(bin, 'initdb'), '-D', data, '-U', 'postgres',
      '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const [pcmd, ...pargs] = asOwner([path.join(bin, 'postgres'), '-D', data,
      '-c', 'listen_addresses=', '-c', `unix_socket_directories=${dir}`, '-c', 'fsync=off',
      '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=40']);
    const proc = spawn(pcmd, pargs, { stdio: ['ignore', 'pipe', 'pipe'] });
    p.proc = proc;
    p.exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    proc.stdout.on('data', (d) => { p.log += d; });
    proc.stderr.on('data', (d) => { p.log += d; });
    const ready = (async () => {
      for (;;) {
        if (proc.exitCode !== null || proc.signalCode !== null)
          throw new Error(`postgres exited before it was ready: ${p.log}`);
        try {
          if (p.psql('postgres', 'SELECT 1') === '1')
            return;
        } catch { /* not yet */ }
        await sleep(50);
      }
    })();
    await within(ready, ms(30000), 'postgres to answer');
    p.pid = proc.pid;
  } catch (e) {
    await p.stop().catch(() => {});
    throw e;
  }
  return p;
}
