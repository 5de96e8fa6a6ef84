/* chaos_test.h - what main.c needs from the chaos handlers. */
#ifndef CHAOS_TEST_H
#define CHAOS_TEST_H
/* Threads of the handlers still running. */
int chaos_test_threads_running(void);
/* Tells the pushers to stop. */
void chaos_test_stop(void);
#endif
