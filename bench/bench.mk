# bench.mk - the programs of the runtime benchmark; bench/runtime.sh runs
#     make -f bench/bench.mk
# after the top-level build (it needs build/lvc and build/liblv.a).
#   loadgen    the load generator (no library but libc)
#   lws_echo   the bare libwebsockets echo server (--naive or --batched)
#   lv_bench   bench/bench.lv served by liblv
B       ?= build
OUT     := $(B)/bench/runtime/bin
GEN     := $(B)/bench/runtime/gen
CC      ?= cc
BENCH_CFLAGS ?= -O2 -g
WARN    := -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -pedantic
LWS_CFLAGS := $(shell pkg-config --cflags libwebsockets 2>/dev/null)
LWS_LIBS   := $(shell pkg-config --libs libwebsockets 2>/dev/null || echo -lwebsockets)
UV_LIBS    := $(shell pkg-config --libs libuv 2>/dev/null || echo -luv)
EV_LIBS    := $(shell pkg-config --libs libev 2>/dev/null || echo -lev)
HIREDIS_LIBS := $(shell pkg-config --libs hiredis 2>/dev/null || echo -lhiredis)
JANSSON_CFLAGS := $(shell pkg-config --cflags jansson 2>/dev/null)
JANSSON_LIBS   := $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)
SQLITE_CFLAGS  := $(shell pkg-config --cflags sqlite3 2>/dev/null)
SQLITE_LIBS    := $(shell pkg-config --libs sqlite3 2>/dev/null || echo -lsqlite3)
PQ_CFLAGS      := $(shell pkg-config --cflags libpq 2>/dev/null || echo -I$$(pg_config --includedir 2>/dev/null))
PQ_LIBS        := $(shell pkg-config --libs libpq 2>/dev/null || echo -lpq)

.PHONY: all
all: $(OUT)/loadgen $(OUT)/lws_echo $(OUT)/lv_bench

$(OUT)/loadgen: bench/loadgen.c
	@mkdir -p $(OUT)
	$(CC) $(BENCH_CFLAGS) -std=c11 -Wall -Wextra -o $@ $<

$(OUT)/lws_echo: bench/lws_echo.c
	@mkdir -p $(OUT)
	$(CC) $(BENCH_CFLAGS) $(WARN) $(LWS_CFLAGS) -o $@ $< $(LWS_LIBS)

# The handler stubs lvc writes into $(GEN) are not used: bench/bench_handlers.c is.
$(GEN)/bench.lv.c $(GEN)/bench.lv.h &: bench/bench.lv $(B)/lvc
	@mkdir -p $(GEN)
	$(B)/lvc $< -o $(GEN)

$(OUT)/lv_bench: bench/lv_bench.c bench/bench_handlers.c $(GEN)/bench.lv.c $(B)/liblv.a
	@mkdir -p $(OUT)
	$(CC) $(BENCH_CFLAGS) $(WARN) -pthread -Iruntime/include -I$(GEN) $(LWS_CFLAGS) \
	    $(JANSSON_CFLAGS) -o $@ $(filter %.c,$^) $(B)/liblv.a $(LWS_LIBS) $(UV_LIBS) $(EV_LIBS) $(HIREDIS_LIBS) $(JANSSON_LIBS) $(SQLITE_LIBS) $(PQ_LIBS) -lpthread -lm

# state_bench: the state document's flush against a generic tree diff
# (bench/state.sh); the state layer and the two below it, and jansson.
STATE_OUT := $(B)/bench/state/bin
$(STATE_OUT)/state_bench: bench/state_bench.c $(B)/liblv-state.a $(B)/liblv-codec.a
	@mkdir -p $(STATE_OUT)
	$(CC) $(BENCH_CFLAGS) $(WARN) -Iruntime/include -Iruntime/src $(JANSSON_CFLAGS) -o $@ \
	    $< $(B)/liblv-state.a $(B)/liblv-codec.a $(JANSSON_LIBS) -lm

# models_bench: live models against their baselines, in process (bench/models.sh):
# the model layer and the two below it, jansson, SQLite and libpq.
MODELS_OUT := $(B)/bench/models/bin
$(MODELS_OUT)/models_bench: bench/models_bench.c $(B)/liblv-model.a $(B)/liblv-codec.a
	@mkdir -p $(MODELS_OUT)
	$(CC) $(BENCH_CFLAGS) $(WARN) -Wno-missing-field-initializers -Iruntime/include -Iruntime/src $(JANSSON_CFLAGS) $(SQLITE_CFLAGS) \
	    $(PQ_CFLAGS) -o $@ $< $(B)/liblv-model.a $(B)/liblv-codec.a $(JANSSON_LIBS) $(SQLITE_LIBS) \
	    $(PQ_LIBS) -lm
