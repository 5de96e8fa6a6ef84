/* app_test.h - what the test server's main and its handlers share. */
#ifndef APP_TEST_H
#define APP_TEST_H

/* Handler threads (later, broadcast, poke) that have not finished. */
int app_test_threads_running(void);

#endif
