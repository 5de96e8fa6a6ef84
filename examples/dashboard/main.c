/* main.c - the dashboard server: `dashboard [PORT]`, serving ./static. */
#include <stdlib.h>

#include "dashboard.lv.h"

int
main(int argc, char **argv)
{
	return lv_app_run(&dashboard_app, argc > 1 ? atoi(argv[1]) : 8080);
}
