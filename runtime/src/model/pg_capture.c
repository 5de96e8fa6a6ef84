/* pg_capture.c - change capture on PostgreSQL: the change table and the
 * trigger functions every table's triggers call (one advisory lock per
 * writing transaction, so that lv_change's order is commit order, and
 * pg_notify as a wake-up), the LISTEN connection that wakes a reader,
 * reading what committed after the last change read, and pruning. */
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/pg.h"

/* The advisory lock every transaction that writes a watched table takes
 * (the bytes of "lv_chang"), held until it commits or rolls back. */
#define CHANGE_LOCK "7815275286380880487"
/* Changes read in one statement. */
#define READ_BATCH 1000
#define READ_BATCH_TEXT "1000"
/* lv_change is pruned at most this often: after so many changes read, or
 * so many seconds. */
#define PRUNE_EVERY 1024
#define PRUNE_PERIOD_S 30

/* What every database lv writes to shares, made once: the change table,
 * its sequence and the trigger functions. */
static const char setup_sql[] =
	"BEGIN;"
	"SELECT pg_advisory_xact_lock(" LV_PG_SETUP_LOCK ");"
	"CREATE TABLE IF NOT EXISTS lv_change ("
	" seq bigint PRIMARY KEY, tbl text NOT NULL, op smallint NOT NULL,"
	" old_row text, new_row text, at timestamptz NOT NULL DEFAULT clock_timestamp());"
	"CREATE INDEX IF NOT EXISTS lv_change_at ON lv_change (at);"
	"CREATE SEQUENCE IF NOT EXISTS lv_change_seq;"
	"CREATE TABLE IF NOT EXISTS lv_change_meta ("
	" one boolean PRIMARY KEY DEFAULT true CHECK (one), pruned bigint NOT NULL DEFAULT 0);"
	"INSERT INTO lv_change_meta DEFAULT VALUES ON CONFLICT DO NOTHING;"
	/* Before the statement touches a row: the commit-order lock (held to
	 * the end of the transaction, taken before any row lock of the
	 * statement) and the wake-up, sent only if it commits. */
	"CREATE OR REPLACE FUNCTION lv_change_stmt() RETURNS trigger LANGUAGE plpgsql AS $f$"
	" BEGIN PERFORM pg_advisory_xact_lock(" CHANGE_LOCK ");"
	" PERFORM pg_notify('lv_change', ''); RETURN NULL; END $f$;"
	/* Each row: its change, numbered under that lock. TG_ARGV[0], when
	 * given, is an identity key: a key given by hand past the identity
	 * moves it on. */
	"CREATE OR REPLACE FUNCTION lv_change_row() RETURNS trigger LANGUAGE plpgsql AS $f$"
	" DECLARE k bigint; sq text;"
	" BEGIN"
	"  PERFORM pg_advisory_xact_lock(" CHANGE_LOCK ");"
	"  IF TG_OP = 'INSERT' THEN"
	"   INSERT INTO lv_change (seq, tbl, op, new_row)"
	"    VALUES (nextval('lv_change_seq'), TG_TABLE_NAME, 0, row_to_json(NEW)::text);"
	"   IF TG_NARGS > 0 THEN"
	"    sq := pg_get_serial_sequence(format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME), TG_ARGV[0]);"
	"    k := (row_to_json(NEW) ->> TG_ARGV[0])::bigint;"
	"    IF sq IS NOT NULL AND k > coalesce(pg_sequence_last_value(sq::regclass), 0) THEN"
	"     PERFORM setval(sq::regclass, k);"
	"    END IF;"
	"   END IF;"
	"  ELSIF TG_OP = 'UPDATE' THEN"
	"   INSERT INTO lv_change (seq, tbl, op, old_row, new_row)"
	"    VALUES (nextval('lv_change_seq'), TG_TABLE_NAME, 1, row_to_json(OLD)::text,"
	"            row_to_json(NEW)::text);"
	"  ELSE"
	"   INSERT INTO lv_change (seq, tbl, op, old_row)"
	"    VALUES (nextval('lv_change_seq'), TG_TABLE_NAME, 2, row_to_json(OLD)::text);"
	"  END IF;"
	"  RETURN NULL;"
	" END $f$;"
	/* A TRUNCATE, which fires no row trigger: one change of no row (op 3,
	 * read as LV_CH_LOST for the table), under the same lock. */
	"CREATE OR REPLACE FUNCTION lv_change_truncate() RETURNS trigger LANGUAGE plpgsql AS $f$"
	" BEGIN PERFORM pg_advisory_xact_lock(" CHANGE_LOCK ");"
	"  PERFORM pg_notify('lv_change', '');"
	"  INSERT INTO lv_change (seq, tbl, op) VALUES (nextval('lv_change_seq'), TG_TABLE_NAME, 3);"
	"  RETURN NULL; END $f$;"
	"COMMIT;";

/* A quoted literal ('text', with ' doubled), for names in DDL only. */
static void
literal(lv_buf *b, const char *text)
{
	lv_buf_append(b, "'", 1);
	for (const char *p = text; *p; p++) {
		lv_buf_append(b, p, 1);
		if (*p == '\'')
			lv_buf_append(b, "'", 1);
	}
	lv_buf_append(b, "'", 1);
}

void
lv__pg_capture_triggers(const lv_model_desc *m, lv_buf *b)
{
	/* Made again each time: the functions may have changed with lv. */
	const lv_model_col *key = &m->cols[m->key];
	lv_buf_puts(b, "DROP TRIGGER IF EXISTS lv_change_s ON ");
	lv__sql_ident(b, m->table);
	lv_buf_puts(b, "; CREATE TRIGGER lv_change_s BEFORE INSERT OR UPDATE OR DELETE ON ");
	lv__sql_ident(b, m->table);
	lv_buf_puts(b, " FOR EACH STATEMENT EXECUTE FUNCTION lv_change_stmt();"
	                "DROP TRIGGER IF EXISTS lv_change_r ON ");
	lv__sql_ident(b, m->table);
	lv_buf_puts(b, "; CREATE TRIGGER lv_change_r AFTER INSERT OR UPDATE OR DELETE ON ");
	lv__sql_ident(b, m->table);
	lv_buf_puts(b, " FOR EACH ROW EXECUTE FUNCTION lv_change_row(");
	if (key->type == LV_COL_INT)
		literal(b, key->name);
	lv_buf_puts(b, ");DROP TRIGGER IF EXISTS lv_change_t ON ");
	lv__sql_ident(b, m->table);
	lv_buf_puts(b, "; CREATE TRIGGER lv_change_t AFTER TRUNCATE ON ");
	lv__sql_ident(b, m->table);
	lv_buf_puts(b, " FOR EACH STATEMENT EXECUTE FUNCTION lv_change_truncate();");
}

/* The LISTEN connection, made (again) when missing or lost. */
static bool
listen_ok(lv_pg_store *s)
{
	if (s->listen && PQstatus(s->listen) == CONNECTION_OK)
		return true;
	if (s->listen)
		PQfinish(s->listen);
	bool again = s->listen != NULL;
	s->listen = lv__pg_connect(s->conninfo);
	s->missed = true;   /* what was committed meanwhile woke nobody */
	if (PQstatus(s->listen) != CONNECTION_OK)
		return false;
	/* Made again: a notification of its own makes the socket readable,
	 * so that whoever polls it calls changes, which reads what committed
	 * while nobody listened. */
	PGresult *r = PQexec(s->listen, again ? "LISTEN lv_change; NOTIFY lv_change"
	                                      : "LISTEN lv_change");
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (ok)
		PQsetnonblocking(s->listen, 1);
	return ok;
}

/* Did a notification come? Consumes them all. A connection the server
 * closed counts as one (the socket stays readable until it is read to
 * its end, which also tells libpq it is gone). */
static bool
woken(lv_pg_store *s)
{
	if (!listen_ok(s))
		return true;
	bool any = false;
	for (int i = 0; i < 8; i++) {
		if (PQconsumeInput(s->listen) == 0) {
			any = true;
			break;
		}
		struct pollfd p = { PQsocket(s->listen), POLLIN, 0 };
		if (poll(&p, 1, 0) != 1)
			break;
	}
	PGnotify *n;
	while ((n = PQnotifies(s->listen))) {
		any = true;
		PQfreemem(n);
	}
	if (PQstatus(s->listen) != CONNECTION_OK) {
		/* Listening again before the read that follows: whatever commits
		 * after it wakes us, whatever committed before it is read now. */
		listen_ok(s);
		any = true;
	}
	return any;
}

int
lv__store_pg_prune(lv_store *base, int64_t keep, int seconds, lv_model_err *err)
{
	lv_pg_store *s = (lv_pg_store *)base;
	char k[32], sec[32];
	snprintf(k, sizeof k, "%lld", (long long)keep);
	snprintf(sec, sizeof sec, "%d", seconds);
	char *vals[2] = { k, sec };
	lv_pg_params p = { vals, 2, 2 };
	lv_buf b;
	lv_buf_init(&b);
	lv_buf_puts(&b,
	            "WITH b AS (SELECT greatest("
	            "  (SELECT seq FROM lv_change ORDER BY seq DESC OFFSET $1::bigint LIMIT 1),"
	            "  (SELECT max(seq) FROM lv_change"
	            "   WHERE at < clock_timestamp() - make_interval(secs => $2::int))) AS upto),"
	            " d AS (DELETE FROM lv_change WHERE seq <= (SELECT upto FROM b))"
	            " UPDATE lv_change_meta SET pruned = greatest(pruned, (SELECT upto FROM b))"
	            " WHERE (SELECT upto FROM b) IS NOT NULL");
	PGresult *r;
	int rc = lv__pg_run(s, &b, &p, &r, err, "prune");
	lv_buf_free(&b);
	if (rc == 0)
		PQclear(r);
	return rc;
}

int
lv__pg_changes(lv_store *base, void (*each)(void *arg, const lv_change *c), void *arg,
           lv_model_err *err)
{
	lv_pg_store *s = (lv_pg_store *)base;
	bool wake = woken(s);
	if (!wake && !s->dirty && !s->missed)
		return 0;
	s->dirty = false;
	s->missed = false;
	int total = 0;
	for (;;) {
		char cur[32];
		snprintf(cur, sizeof cur, "%lld", (long long)s->cursor);
		char *vals[1] = { cur };
		lv_pg_params p = { vals, 1, 1 };
		lv_buf b;
		lv_buf_init(&b);
		/* One statement, one snapshot: what was pruned and what is left. */
		lv_buf_puts(&b, "SELECT m.pruned, c.seq, c.tbl, c.op, c.old_row, c.new_row"
		                " FROM lv_change_meta m LEFT JOIN LATERAL (SELECT * FROM lv_change"
		                "  WHERE seq > $1::bigint ORDER BY seq LIMIT " READ_BATCH_TEXT
		                ") c ON true ORDER BY c.seq");
		PGresult *r;
		int rc = lv__pg_run(s, &b, &p, &r, err, "changes");
		lv_buf_free(&b);
		if (rc) {
			s->missed = true;   /* read again next time */
			return rc;
		}
		int rows = PQntuples(r), got = 0;
		if (rows > 0 && strtoll(PQgetvalue(r, 0, 0), NULL, 10) > s->cursor) {
			lv_change lost = { NULL, LV_CH_LOST, NULL, NULL };
			each(arg, &lost);
			total++;
			s->cursor = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		}
		for (int k = 0; k < rows; k++) {
			if (PQgetisnull(r, k, 1))
				continue;
			got++;
			s->cursor = strtoll(PQgetvalue(r, k, 1), NULL, 10);
			if (lv__store_change(base, PQgetvalue(r, k, 2), atoi(PQgetvalue(r, k, 3)),
			                     PQgetisnull(r, k, 4) ? NULL : PQgetvalue(r, k, 4),
			                     (size_t)PQgetlength(r, k, 4),
			                     PQgetisnull(r, k, 5) ? NULL : PQgetvalue(r, k, 5),
			                     (size_t)PQgetlength(r, k, 5), each, arg))
				total++;
		}
		PQclear(r);
		s->since_prune += (unsigned)got;
		if (got < READ_BATCH)
			break;
	}
	time_t now = time(NULL);
	if (s->since_prune >= PRUNE_EVERY || now - s->pruned_at >= PRUNE_PERIOD_S) {
		s->since_prune = 0;
		s->pruned_at = now;
		lv_model_err ignored;
		lv__store_pg_prune(base, LV_PG_KEEP_CHANGES, LV_PG_KEEP_SECONDS, &ignored);
	}
	return total;
}

int
lv__pg_wait_fd(lv_store *base)
{
	lv_pg_store *s = (lv_pg_store *)base;
	/* Not made again here, which may wait for the server: changes does. */
	if (!s->listen || PQstatus(s->listen) != CONNECTION_OK)
		return -1;
	return PQsocket(s->listen);
}

int
lv__pg_capture_open(lv_pg_store *s, lv_model_err *err)
{
	s->pruned_at = time(NULL);
	lv_buf b;
	lv_buf_init(&b);
	lv_buf_puts(&b, setup_sql);
	int rc = lv__pg_exec_text(s, &b, err, "postgresql: the change table");
	lv_buf_free(&b);
	/* LISTEN before the cursor is read: whatever commits after it wakes us. */
	if (rc == 0 && !listen_ok(s))
		rc = lv__model_fail(err, LV_EUNAVAILABLE, "postgresql: LISTEN: %s",
		                    PQerrorMessage(s->listen));
	PGresult *r = NULL;
	if (rc == 0) {
		lv_buf_init(&b);
		lv_buf_puts(&b, "SELECT greatest((SELECT max(seq) FROM lv_change),"
		                " (SELECT pruned FROM lv_change_meta), 0)");
		rc = lv__pg_run(s, &b, NULL, &r, err, "postgresql: the last change");
		lv_buf_free(&b);
	}
	if (rc)
		return rc;
	s->cursor = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	s->missed = false;
	return 0;
}
