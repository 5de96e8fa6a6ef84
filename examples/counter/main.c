/* main.c - the counter server: `counter [PORT]`, serving ./static. */
#include <stdlib.h>

#include "counter.lv.h"

int
main(int argc, char **argv)
{
	return lv_app_run(&counter_app, argc > 1 ? atoi(argv[1]) : 8080);
}
