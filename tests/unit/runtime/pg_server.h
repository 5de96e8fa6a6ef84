/* pg_server.h - a PostgreSQL server of a test binary's own: initdb and
 * postgres from the installed package, in a temporary folder, listening
 * only on a Unix socket there (fsync off), run as the postgres user when
 * the test runs as root, and stopped by its process id at the end (atexit
 * too). Started once by the runner (a criterion report hook); the tests,
 * each in its process, find it through LV_TEST_PG_HOST, or the reason it
 * could not start in LV_TEST_PG_ERROR. Header-only: one test file each. */
#ifndef LV_TEST_PG_SERVER_H
#define LV_TEST_PG_SERVER_H

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Bounds on every wait, in seconds. */
#define PGS_INITDB_S 60
#define PGS_READY_S 30
#define PGS_STOP_S 15

static pid_t pgs_pid = -1;
static char pgs_dir[64];

/* The folder of initdb and postgres: the newest of Debian's
 * /usr/lib/postgresql/<version>/bin, else pg_config --bindir, else PATH. */
static bool
pgs_bindir(char *out, size_t n)
{
	glob_t g;
	bool found = false;
	if (glob("/usr/lib/postgresql/*/bin/initdb", 0, NULL, &g) == 0) {
		int best = -1;
		for (size_t i = 0; i < g.gl_pathc; i++) {
			int v = atoi(g.gl_pathv[i] + strlen("/usr/lib/postgresql/"));
			if (v > best && access(g.gl_pathv[i], X_OK) == 0) {
				best = v;
				snprintf(out, n, "%s", g.gl_pathv[i]);
				found = true;
			}
		}
		globfree(&g);
		if (found) {
			*strrchr(out, '/') = 0;
			return true;
		}
	}
	FILE *p = popen("pg_config --bindir 2>/dev/null", "r");
	if (p) {
		if (fgets(out, (int)n, p)) {
			out[strcspn(out, "\n")] = 0;
			char f[512];
			snprintf(f, sizeof f, "%s/initdb", out);
			found = access(f, X_OK) == 0;
		}
		pclose(p);
		if (found)
			return true;
	}
	const char *path = getenv("PATH");
	char *copy = strdup(path ? path : "");
	for (char *save = NULL, *d = strtok_r(copy, ":", &save); d && !found;
	     d = strtok_r(NULL, ":", &save)) {
		char f[512];
		snprintf(f, sizeof f, "%s/initdb", d);
		if (access(f, X_OK) == 0) {
			snprintf(out, n, "%s", d);
			found = true;
		}
	}
	free(copy);
	return found;
}

/* argv run as the postgres user when we are root (setpriv execs in place,
 * so the child's pid is the program's), output to log. The child's pid. */
static pid_t
pgs_spawn(char *const argv[], const char *log)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	int null = open("/dev/null", O_RDONLY);
	if (null >= 0)
		dup2(null, 0);
	setpgid(0, 0);   /* a ^C to the tests is not a signal to the server */
	if (geteuid() == 0) {
		char *args[32];
		int k = 0;
		args[k++] = "setpriv";
		args[k++] = "--reuid=postgres";
		args[k++] = "--regid=postgres";
		args[k++] = "--init-groups";
		args[k++] = "--";
		for (int i = 0; argv[i] && k < 31; i++)
			args[k++] = argv[i];
		args[k] = NULL;
		execvp("setpriv", args);
	} else {
		execv(argv[0], argv);
	}
	_exit(127);
}

/* Waits for pid up to seconds; its exit status, or -1 when it is still
 * running. */
static int
pgs_wait(pid_t pid, int seconds)
{
	for (int i = 0; i < seconds * 20; i++) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (r < 0)
			return -2;
		usleep(50000);
	}
	return -1;
}

/* Removes a folder and what is in it (the server's files). */
static void
pgs_rm(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char sub[1024];
		snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
		struct stat st;
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			pgs_rm(sub);
		else
			unlink(sub);
	}
	if (d)
		closedir(d);
	rmdir(path);
}

/* Stops the server (fast shutdown, then SIGKILL past the bound) and
 * removes its folder. */
static void
pg_server_stop(void)
{
	if (pgs_pid > 0) {
		kill(pgs_pid, SIGINT);
		if (pgs_wait(pgs_pid, PGS_STOP_S) == -1) {
			kill(pgs_pid, SIGKILL);
			pgs_wait(pgs_pid, PGS_STOP_S);
		}
		pgs_pid = -1;
	}
	if (pgs_dir[0]) {
		pgs_rm(pgs_dir);
		pgs_dir[0] = 0;
	}
}

/* The end of a log file, to say why a start failed. */
static void
pgs_tail(const char *log, char *out, size_t n)
{
	out[0] = 0;
	FILE *f = fopen(log, "r");
	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, len > (long)n - 1 ? len - (long)n + 1 : 0, SEEK_SET);
	size_t got = fread(out, 1, n - 1, f);
	out[got] = 0;
	fclose(f);
	for (char *p = out; *p; p++)
		if (*p == '\n')
			*p = ' ';
}

/* Starts the server; 0, or -1 with why filled. */
static int
pg_server_start(char *why, size_t n)
{
	char bin[400];
	if (!pgs_bindir(bin, sizeof bin)) {
		snprintf(why, n, "PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin,"
		                 " pg_config --bindir or PATH): apt-get install -y postgresql");
		return -1;
	}
	snprintf(pgs_dir, sizeof pgs_dir, "/tmp/lv-pg-XXXXXX");
	if (!mkdtemp(pgs_dir)) {
		snprintf(why, n, "mkdtemp: %s", strerror(errno));
		pgs_dir[0] = 0;
		return -1;
	}
	atexit(pg_server_stop);
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam("postgres");
		if (!pw || chown(pgs_dir, pw->pw_uid, pw->pw_gid) != 0) {
			snprintf(why, n, "running as root needs a postgres user to run the server as");
			return -1;
		}
	}
	char data[128], log[128], initdb[512], postgres[512];
	snprintf(data, sizeof data, "%s/data", pgs_dir);
	snprintf(log, sizeof log, "%s/server.log", pgs_dir);
	snprintf(initdb, sizeof initdb, "%s/initdb", bin);
	snprintf(postgres, sizeof postgres, "%s/postgres", bin);
	char *init_argv[] = { initdb, "-D", data, "-U", "postgres", "--auth=trust", "--no-sync",
		                  "-E", "UTF8", "--locale=C", NULL };
	pid_t pid = pgs_spawn(init_argv, log);
	int st = pid > 0 ? pgs_wait(pid, PGS_INITDB_S) : -2;
	if (st != 0) {
		if (st == -1) {
			kill(pid, SIGKILL);
			pgs_wait(pid, 5);
		}
		char tail[300];
		pgs_tail(log, tail, sizeof tail);
		snprintf(why, n, "initdb failed (%d): %s", st, tail);
		return -1;
	}
	char sock[96];
	snprintf(sock, sizeof sock, "unix_socket_directories=%s", pgs_dir);
	char *pg_argv[] = { postgres, "-D", data, "-c", "listen_addresses=", "-c", sock,
		                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c",
		                "full_page_writes=off", "-c", "max_connections=40", NULL };
	pgs_pid = pgs_spawn(pg_argv, log);
	if (pgs_pid < 0) {
		snprintf(why, n, "fork: %s", strerror(errno));
		return -1;
	}
	char conninfo[200];
	snprintf(conninfo, sizeof conninfo, "host=%s user=postgres dbname=postgres", pgs_dir);
	for (int i = 0; i < PGS_READY_S * 20; i++) {
		if (PQping(conninfo) == PQPING_OK)
			return 0;
		int s;
		if (waitpid(pgs_pid, &s, WNOHANG) == pgs_pid) {
			pgs_pid = -1;
			break;
		}
		usleep(50000);
	}
	char tail[300];
	pgs_tail(log, tail, sizeof tail);
	snprintf(why, n, "postgres did not answer within %d s: %s", PGS_READY_S, tail);
	return -1;
}

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	(void)set;
	char why[400];
	if (pg_server_start(why, sizeof why) == 0) {
		setenv("LV_TEST_PG_HOST", pgs_dir, 1);
	} else {
		pg_server_stop();
		setenv("LV_TEST_PG_ERROR", why, 1);
	}
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	(void)stats;
	pg_server_stop();
}

/* In a test: the server's conninfo for database db ("postgres": the one
 * initdb made). Fails the test, saying why, when there is no server. */
static void
pg_conninfo(const char *db, char *out, size_t n)
{
	const char *host = getenv("LV_TEST_PG_HOST");
	if (!host) {
		const char *why = getenv("LV_TEST_PG_ERROR");
		cr_assert_fail("no PostgreSQL server for this test: %s",
		               why ? why : "the runner started none");
	}
	snprintf(out, n, "host=%s user=postgres dbname=%s", host, db);
}

#endif
