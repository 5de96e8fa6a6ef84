# The integration tests: a server built from tests/integration/app.lv,
# driven by node's test runner over a real WebSocket (tests/integration/
# *.test.mjs). `make integration` builds it and runs them;
# `make integration-valgrind` runs them with the server under valgrind and
# sums up what valgrind found in each server run.
it_OUT := $(B)/tests/integration

$(it_OUT)/app.lv.c $(it_OUT)/app.lv.h &: tests/integration/app.lv $(B)/lvc
	@mkdir -p $(it_OUT)/js
	$(B)/lvc $< -o $(it_OUT) --handlers tests/integration \
	    --js-handlers $(it_OUT)/js -M $(it_OUT)/app.lv.d
-include $(it_OUT)/app.lv.d

# Building app_server builds uv_server too (order-only): the folder's
# tests need both.
$(it_OUT)/app_server: tests/integration/main.c tests/integration/app_handlers.c \
                      tests/integration/app_test.h $(it_OUT)/app.lv.c $(B)/liblv.a \
                      | $(it_OUT)/uv_server
	$(CC) $(EXAMPLE_CFLAGS) -I$(it_OUT) -Itests/integration -o $@ \
	    $(filter %.c,$^) $(B)/liblv.a $(LV_LIBS)

# The same app on a libuv loop the program owns, with its own handles
# (uv.test.mjs).
$(it_OUT)/uv_server: tests/integration/uv_main.c tests/integration/app_handlers.c \
                     tests/integration/app_test.h $(it_OUT)/app.lv.c $(B)/liblv.a
	$(CC) $(EXAMPLE_CFLAGS) $(UV_CFLAGS) -I$(it_OUT) -Itests/integration -o $@ \
	    $(filter %.c,$^) $(B)/liblv.a $(LV_LIBS)

# A model bound to pages, its tables and endpoints written by hand as lvc
# will write them (models.test.mjs).
$(it_OUT)/models_server: tests/integration/models_main.c $(B)/liblv.a
	@mkdir -p $(it_OUT)
	$(CC) $(EXAMPLE_CFLAGS) -o $@ $(filter %.c,$^) $(B)/liblv.a $(LV_LIBS)

# A model app as lvc generates it from models_random.lv, its handlers
# filled in (models_random.test.mjs, on SQLite and on PostgreSQL).
$(it_OUT)/models_random.lv.c $(it_OUT)/models_random.lv.h &: tests/integration/models_random.lv $(B)/lvc
	@mkdir -p $(it_OUT)/js
	$(B)/lvc $< -o $(it_OUT) --handlers tests/integration \
	    --js-handlers $(it_OUT)/js -M $(it_OUT)/models_random.lv.d
-include $(it_OUT)/models_random.lv.d

$(it_OUT)/models_random_server: tests/integration/models_random_main.c \
                                tests/integration/models_random_handlers.c \
                                $(it_OUT)/models_random.lv.c $(B)/liblv.a
	$(CC) $(EXAMPLE_CFLAGS) -I$(it_OUT) -Itests/integration -o $@ \
	    $(filter %.c,$^) $(B)/liblv.a $(LV_LIBS)

it_SERVERS := $(it_OUT)/app_server $(it_OUT)/uv_server $(it_OUT)/models_server \
              $(it_OUT)/models_random_server
# chat_nodes.test.mjs runs the chat example itself.
it_SERVERS += $(B)/examples/chat/chat

.PHONY: integration integration-valgrind
integration: $(it_SERVERS)
	node --test tests/integration/

# edge.test.mjs measures CPU time and latency, which valgrind makes meaningless;
# its code paths (HTTP, limits) run under valgrind through http, badhttp and slow.
# The poll loop, no longer the default: the files that exercise the loop
# itself (timers, posted work, the stop, slow readers, resumes, pushes, the
# Redis broker's sockets adopted by libwebsockets); the whole suite runs on
# libev (the default) and libuv.
it_POLL_TESTS := $(addprefix tests/integration/,loop.test.mjs ev.test.mjs push.test.mjs \
                 sessions.test.mjs slow.test.mjs shutdown.test.mjs broker.test.mjs heartbeat.test.mjs)
it_VALGRIND_TESTS := $(filter-out %/edge.test.mjs,$(wildcard tests/integration/*.test.mjs))
integration-valgrind: $(it_SERVERS)
	@command -v valgrind >/dev/null || { echo "integration-valgrind needs valgrind: apt-get install -y valgrind" >&2; exit 1; }
	@rm -rf $(it_OUT)/valgrind
	LV_TEST_VALGRIND=1 node --test --test-concurrency=1 $(it_VALGRIND_TESTS); \
	  rc=$$?; echo "valgrind, per server run:"; \
	  tests/integration/valgrind-summary.sh $(it_OUT)/valgrind || rc=1; exit $$rc
