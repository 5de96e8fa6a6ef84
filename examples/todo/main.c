/* main.c - the todo server: `todo [PORT]`, serving ./static; the todos
 * are kept in todo.db here unless LV_STORE names another store. */
#include <stdlib.h>

#include "todo.lv.h"

int
main(int argc, char **argv)
{
	return lv_app_run(&todo_app, argc > 1 ? atoi(argv[1]) : 8080);
}
