/* main.c - a program built against an installed lv: serves sum.lv on a
 * free loopback port, prints it, and stops on SIGTERM. */
#include <stdio.h>

#include "sum.lv.h"

int
main(void)
{
	lv_options o = { .port = -1, .handle_signals = true };
	lv_server *s;
	int rc = lv_server_new(&s, &sum_app, &o);
	if (rc != 0) {
		fprintf(stderr, "sum: %s\n", lv_strerror(rc));
		return 1;
	}
	printf("port %d\n", lv_server_port(s));
	fflush(stdout);
	rc = lv_server_run(s);
	lv_server_free(s);
	return rc == 0 ? 0 : 1;
}
