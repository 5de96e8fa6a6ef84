/* main.c - the chat server: `chat [PORT]`, serving the page in ./static. */
#include <stdlib.h>

#include "chat.lv.h"

int
main(int argc, char **argv)
{
	return lv_run(&chat_app, argc > 1 ? atoi(argv[1]) : 8080);
}
