/* app_test.h - what the test server's main and its handlers share. */
#ifndef APP_TEST_H
#define APP_TEST_H

/* Handler threads (later, broadcast, poke) that have not finished. */
int app_test_threads_running(void);
/* The presence handler (app_handlers.c), which started() sets. */
void app_on_presence(lv_server *s, const lv_presence_event *ev, void *user_data);

#endif
