/* backends.h - the model layer's tests on both stores: BOTH(suite, name)
 * defines a test body once and runs it as suite/name on a SQLite file and
 * as suite_pg/name on a PostgreSQL database of its own (made for the test
 * on the server of pg_server.h, dropped after). The body reaches its store
 * through B: open a store, write on a second connection, wait for a
 * wake-up, and the type names each database speaks. */
#ifndef LV_TEST_BACKENDS_H
#define LV_TEST_BACKENDS_H

#include <poll.h>
#include <sqlite3.h>

#include "model/model.h"
#include "pg_server.h"

typedef struct {
	const char *name;
	/* A new store on the test's database, nothing attached. */
	lv_store *(*open)(lv_model_err *err);
	/* Runs SQL on a connection of its own, as another process would. */
	void (*other)(const char *sql);
	/* SQL type names, and how a refused table says them. */
	const char *t_int, *t_text, *t_bool, *t_real, *t_json;
	const char *said_int, *said_text;
} backend;

static const backend *B;
static char be_dir[64];
static char be_path[96];
static char be_conninfo[256];
static char be_db[40];

static lv_store *
sq_open(lv_model_err *err)
{
	return lv__store_open(be_path, err);
}

static void
sq_other(const char *sql)
{
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(be_path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 2000);
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, msg ? msg : "?");
	sqlite3_close(db);
}

static lv_store *
pq_open(lv_model_err *err)
{
	return lv__store_open(be_conninfo, err);
}

static PGconn *
pq_connect(void)
{
	PGconn *c = PQconnectdb(be_conninfo);
	cr_assert_eq(PQstatus(c), CONNECTION_OK, "connect: %s", PQerrorMessage(c));
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	return c;
}

static void
pq_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	cr_assert(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s", sql,
	          PQresultErrorMessage(r));
	PQclear(r);
}

static void
pq_other(const char *sql)
{
	PGconn *c = pq_connect();
	pq_ok(c, sql);
	PQfinish(c);
}

static const backend be_sqlite = {
	"sqlite", sq_open, sq_other,
	"INTEGER", "TEXT", "INTEGER", "REAL", "TEXT",
	"INTEGER", "TEXT",
};

static const backend be_pg = {
	"postgresql", pq_open, pq_other,
	"bigint", "text COLLATE \"C\"", "boolean", "double precision", "text",
	"integer", "text COLLATE \"C\"",
};

static void
sq_setup(void)
{
	B = &be_sqlite;
	snprintf(be_dir, sizeof be_dir, "/tmp/lv-model-XXXXXX");
	cr_assert(mkdtemp(be_dir));
	snprintf(be_path, sizeof be_path, "%s/app.db", be_dir);
}

static void
sq_teardown(void)
{
	char f[128];
	static const char *const ext[] = { "", "-wal", "-shm" };
	for (int i = 0; i < 3; i++) {
		snprintf(f, sizeof f, "%s%s", be_path, ext[i]);
		unlink(f);
	}
	rmdir(be_dir);
}

/* A database per test (tests run side by side). */
static void
pg_setup(void)
{
	B = &be_pg;
	char admin[200];
	pg_conninfo("postgres", admin, sizeof admin);
	snprintf(be_db, sizeof be_db, "lv_test_%d", (int)getpid());
	PGconn *c = PQconnectdb(admin);
	cr_assert_eq(PQstatus(c), CONNECTION_OK, "connect: %s", PQerrorMessage(c));
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	char sql[96];
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", be_db);
	PQclear(PQexec(c, sql));
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", be_db);
	pq_ok(c, sql);
	PQfinish(c);
	/* As a URI, so that lv__store_open takes it for PostgreSQL; the
	 * socket folder goes in the host parameter. */
	snprintf(be_conninfo, sizeof be_conninfo, "postgresql:///%s?host=%s&user=postgres", be_db,
	         getenv("LV_TEST_PG_HOST"));
}

static void
pg_teardown(void)
{
	if (!be_db[0] || !getenv("LV_TEST_PG_HOST"))
		return;
	char admin[200];
	pg_conninfo("postgres", admin, sizeof admin);
	PGconn *c = PQconnectdb(admin);
	char sql[96];
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", be_db);
	PQclear(PQexec(c, sql));
	PQfinish(c);
}

/* Waits (bounded) until the store's wake-up says another connection
 * committed; a store without one (SQLite) reads on demand. */
static __attribute__((unused)) void
settle(lv_store *s)
{
	int fd = s->ops->wait_fd ? s->ops->wait_fd(s) : -1;
	if (fd < 0)
		return;
	struct pollfd p = { fd, POLLIN, 0 };
	cr_assert_eq(poll(&p, 1, 5000), 1, "no wake-up within 5 s");
}

#define BOTH(suite, name)                                                        \
	static void name(void);                                                      \
	Test(suite, name, .init = sq_setup, .fini = sq_teardown) { name(); }        \
	Test(suite##_pg, name, .init = pg_setup, .fini = pg_teardown) { name(); }   \
	static void name(void)

#endif
