/* main.c - the dashboard's server for its React page: `react [PORT [DIR]]`,
 * serving DIR (default: where make puts Vite's build of the page). */
#include <stdio.h>
#include <stdlib.h>

#include "dashboard.lv.h"

#ifndef REACT_STATIC
#define REACT_STATIC "dist"
#endif

int
main(int argc, char **argv)
{
	lv_options o = {
		.port = argc > 1 ? atoi(argv[1]) : 8080,
		.static_dir = argc > 2 ? argv[2] : REACT_STATIC,
		.handle_signals = true,
	};
	lv_server *s;
	int err = lv_server_new(&s, &dashboard_app, &o);
	if (err) {
		fprintf(stderr, "react: %s\n", lv_strerror(err));
		return 1;
	}
	printf("lv: serving %s on http://127.0.0.1:%d/\n", o.static_dir, lv_server_port(s));
	fflush(stdout);
	int rc = lv_server_run(s);
	lv_server_free(s);
	return rc;
}
