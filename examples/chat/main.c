/* main.c - the chat server: `chat [PORT]`, serving the page in ./static. */
#include <stdlib.h>

#include "chat.lv.h"

/* CHAT_MAX_ROOMS in the environment caps the rooms open at once (256; see
 * chat_handlers.c). */
int
main(int argc, char **argv)
{
	return lv_app_run(&chat_app, argc > 1 ? atoi(argv[1]) : 8080);
}
