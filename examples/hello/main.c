/* main.c - the hello server: `hello [PORT]`, serving ./static. */
#include <stdlib.h>

#include "hello.lv.h"

int
main(int argc, char **argv)
{
	return lv_app_run(&hello_app, argc > 1 ? atoi(argv[1]) : 8080);
}
