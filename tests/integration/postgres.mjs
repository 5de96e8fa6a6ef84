// postgres.mjs - a real PostgreSQL server for a test: initdb and pg_ctl
// from the installed package, in a new temporary folder, listening only
// on a Unix socket there (no TCP port), fsync off; run as the postgres
// user when the test runs as root (initdb refuses root); stopped by
// pg_ctl, or by its pid past a bound, and its folder removed.
//
//   const why = postgresMissing();          // null, or why there is none
//   const pg = await startPostgres();
//   await pg.createDatabase('t');           // psql -c 'CREATE DATABASE t'
//   pg.uri('t')                             // postgresql://postgres@/t?host=...
//   await pg.psql('t', 'SELECT 1');         // stdout, or a rejection
//   pg.psqlCommand('t')                     // {cmd, args, env} to run psql yourself
//   await stopPostgres(pg);                 // or pg.stop()
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ms, within } from './helpers.mjs';

/** The folder of initdb, pg_ctl and postgres, or null: Debian's newest
 * /usr/lib/postgresql/N/bin, else `pg_config --bindir`, else PATH. */
function binDir() {
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ?
    fs.readdirSync(base).filter((v) => fs.existsSync(path.join(base, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length)
    return path.join(base, versions[0], 'bin');
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim();
    if (fs.existsSync(path.join(dir, 'initdb')))
      return dir;
  } catch { /* not installed */ }
  for (const dir of (process.env.PATH || '').split(':'))
    if (dir && fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'pg_ctl')))
      return dir;
  return null;
}

/** null when PostgreSQL can be started here, else why not (to skip with). */
export function postgresMissing() {
  if (!binDir())
    return 'PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin, pg_config ' +
      '--bindir or PATH): apt-get install -y postgresql (in the test list of scripts/deps.sh)';
  return null;
}

/** Runs a program to its end (bounded), resolving with its stdout. */
function run(cmd, args, { input, timeout = ms(30000), what = cmd, env } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(env ? { env } : {}) });
    let out = '';
    let err = '';
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    proc.stdout.on('data', (d) => { out += d; });
    proc.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${what} took over ${timeout} ms: ${err}`));
    }, timeout);
    proc.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0)
        resolve(out);
      else
        reject(new Error(`${what} failed (${code ?? signal}): ${err.trim() || out.trim()}`));
    });
    proc.stdin.on('error', () => {});
    proc.stdin.end(input ?? '');
  });
}

/**
 * Starts a PostgreSQL server in a new folder under os.tmpdir(). Resolves
 * with {dir, pid, uri(db), createDatabase(db), psql(db, sql),
 * psqlCommand(db), stop()} once it accepts connections; rejects saying
 * why it could not start (after cleaning up), or when it is not
 * installed (see postgresMissing).
 */
export async function startPostgres() {
  const bin = binDir();
  if (!bin)
    throw new Error(postgresMissing());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-pg-'));
  const data = path.join(dir, 'data');
  const log = path.join(dir, 'server.log');
  // As root, the server's programs run as the postgres user, in a folder of its own.
  const asUser = process.getuid && process.getuid() === 0;
  const as = (prog, args) => asUser ?
    ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', path.join(bin, prog), ...args]] :
    [path.join(bin, prog), args];
  const pg = { dir, pid: null, log };
  pg.uri = (db = 'postgres') => `postgresql://postgres@/${encodeURIComponent(db)}?host=${encodeURIComponent(dir)}`;
  // psql of the same folder: Debian's /usr/bin/psql is a Perl wrapper that takes a quarter second to start.
  const psql = fs.existsSync(path.join(bin, 'psql')) ? path.join(bin, 'psql') : 'psql';
  pg.psqlCommand = (db = 'postgres') => ({
    cmd: psql, args: ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', pg.uri(db)],
    env: { ...process.env, PGCLIENTENCODING: 'UTF8' },
  });
  pg.psql = (db, sql, opts = {}) => {
    const { cmd, args, env } = pg.psqlCommand(db);
    return run(cmd, args, { input: sql, what: 'psql', env, ...opts });
  };
  pg.createDatabase = (db) => pg.psql('postgres', `CREATE DATABASE "${db.replace(/"/g, '""')}";`);
  pg.stop = () => stopPostgres(pg);
  pg.ctl = (args, timeout) => run(...as('pg_ctl', args), { timeout, what: 'pg_ctl' });

  try {
    if (asUser) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      fs.chownSync(dir, uid, gid);
    }
    await run(...as('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8',
      '--locale=C']), { timeout: ms(60000), what: 'initdb' });
    const opts = `-k ${dir} -c listen_addresses='' -c fsync=off -c synchronous_commit=off ` +
      '-c full_page_writes=off -c max_connections=40';
    await pg.ctl(['start', '-w', '-t', '60', '-D', data, '-l', log, '-o', opts], ms(70000));
    pg.pid = Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    // A test process that ends without stopping it (killed, crashed) takes it along.
    pg.onExit = () => {
      try {
        if (pg.pid)
          process.kill(pg.pid, 'SIGQUIT');
      } catch { /* gone already */ }
    };
    process.once('exit', pg.onExit);
  } catch (e) {
    let tail = '';
    try {
      tail = fs.readFileSync(log, 'utf8').slice(-600);
    } catch { /* no log yet */ }
    await stopPostgres(pg).catch(() => {});
    throw new Error(`PostgreSQL did not start: ${e.message}${tail ? `\n${tail}` : ''}`);
  }
  return pg;
}

/** Stops a server startPostgres started (pg_ctl stop -m fast; SIGKILL to
 * its pid past the bound) and removes its folder. */
export async function stopPostgres(pg) {
  if (!pg)
    return;
  if (pg.onExit)
    process.removeListener('exit', pg.onExit);
  try {
    if (pg.pid) {
      const pid = pg.pid;
      pg.pid = null;
      try {
        await within(pg.ctl(['stop', '-w', '-t', '20', '-m', 'fast', '-D', path.join(pg.dir, 'data')], ms(25000)),
          ms(30000), 'pg_ctl stop');
      } catch {
        try {
          process.kill(pid, 'SIGKILL');
        } catch { /* gone already */ }
      }
    }
  } finally {
    fs.rmSync(pg.dir, { recursive: true, force: true });
  }
}
