# lv - top-level build. `make run` serves the chat example; `make test`
# runs every suite and ends with one line: N passed, N failed.

CC       ?= cc
CFLAGS   ?= -O2 -g
WARN     := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -pedantic -Wno-format-truncation
CPPFLAGS += -D_DEFAULT_SOURCE -MMD -MP
JANSSON_CFLAGS := $(shell pkg-config --cflags jansson 2>/dev/null)
JANSSON_LIBS   := $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)
LEMPAR   ?= /usr/share/lemon/lempar.c

B        := build
GEN      := $(B)/gen
OBJ      := $(B)/obj

COMPILER_SRCS := ctx.c arena.c source.c diag.c ast.c parse.c check.c names.c \
                 symtab.c dump.c depfile.c write.c view.c template.c emit.c emit_c.c emit_c_model.c \
                 emit_js.c merge.c text.c decorators.c model.c asyncapi.c asyncapi_json.c asyncapi_state.c breaking.c breaking_model.c
COMPILER_OBJS := $(addprefix $(OBJ)/compiler/,$(COMPILER_SRCS:.c=.o)) \
                 $(OBJ)/gen/lexer.o $(OBJ)/gen/parser.o $(OBJ)/gen/templates.o
TEMPLATES     := $(sort $(wildcard templates/*.tmpl))

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRCS))

.PHONY: all programs lvc liblv deps deps-test run test test-asan unit runtime-unit asan \
        ubsan valgrind fuzz bench clean examples install uninstall deb
.DEFAULT_GOAL := all

# What is missing is installed first (Debian and npm packages), then built:
# `make` works as the first command on a fresh clone.
all:
	@scripts/deps.sh build
	@$(MAKE) --no-print-directory programs

programs: lvc liblv examples

lvc: $(B)/lvc

deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

# ---- the compiler -------------------------------------------------------

$(GEN)/parser.c $(GEN)/parser.h: compiler/parser.y $(LEMPAR)
	@mkdir -p $(GEN)
	lemon -q -T$(LEMPAR) -d$(GEN) compiler/parser.y
	@touch $(GEN)/parser.h

$(B)/embed: compiler/embed.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) -o $@ $<

$(GEN)/templates.c: $(B)/embed $(TEMPLATES)
	@mkdir -p $(GEN)
	$(B)/embed -t $(TEMPLATES) > $@

$(GEN)/lexer.c: compiler/lexer.re $(GEN)/parser.h
	@mkdir -p $(GEN)
	re2c -W --no-version --no-generation-date -o $@ $<

$(OBJ)/compiler/%.o: compiler/%.c $(GEN)/parser.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(JANSSON_CFLAGS) -Icompiler -I$(GEN) -c -o $@ $<

# Generated code: keep the warnings that matter, not lemon's style ones.
$(OBJ)/gen/%.o: $(GEN)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -std=c11 -Wall -Wno-unused-parameter -Wno-unused-variable \
	      $(CFLAGS) -Icompiler -I$(GEN) -c -o $@ $<

$(B)/liblvc-compiler.a: $(COMPILER_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/lvc: $(OBJ)/compiler/main.o $(B)/liblvc-compiler.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(JANSSON_LIBS) -lm

# ---- the runtime: liblv and lv.js ------------------------------------------

LWS_CFLAGS := $(shell pkg-config --cflags libwebsockets 2>/dev/null)
LWS_LIBS   := $(shell pkg-config --libs libwebsockets 2>/dev/null || echo -lwebsockets)
UV_CFLAGS  := $(shell pkg-config --cflags libuv 2>/dev/null)
UV_LIBS    := $(shell pkg-config --libs libuv 2>/dev/null || echo -luv)
# Debian's libev-dev ships no pkg-config file
EV_CFLAGS  := $(shell pkg-config --cflags libev 2>/dev/null)
EV_LIBS    := $(shell pkg-config --libs libev 2>/dev/null || echo -lev)
SQLITE_CFLAGS := $(shell pkg-config --cflags sqlite3 2>/dev/null)
SQLITE_LIBS   := $(shell pkg-config --libs sqlite3 2>/dev/null || echo -lsqlite3)
PQ_CFLAGS  := $(shell pkg-config --cflags libpq 2>/dev/null || echo -I$$(pg_config --includedir 2>/dev/null))
PQ_LIBS    := $(shell pkg-config --libs libpq 2>/dev/null || echo -lpq)
HIREDIS_CFLAGS := $(shell pkg-config --cflags hiredis 2>/dev/null || echo -I/usr/include/hiredis)
HIREDIS_LIBS   := $(shell pkg-config --libs hiredis 2>/dev/null || echo -lhiredis)
LV_LIBS    := $(LWS_LIBS) $(UV_LIBS) $(EV_LIBS) $(HIREDIS_LIBS) $(JANSSON_LIBS) $(SQLITE_LIBS) $(PQ_LIBS) -lpthread -lm
# liblv in layers; each calls only the ones before it. base and codec have
# no libwebsockets, no jansson and no threads: liblv-codec.a is those two,
# for the decoder's fuzzer and unit tests. state (patches and the state
# document) adds jansson, still no sockets. model (tables, queries, live
# queries, the SQLite and PostgreSQL stores) adds SQLite and libpq, still
# no sockets; liblv-model.a is that layer alone, for its unit tests. net
# reaches models through model_net.c, and liblv holds every layer (and
# links SQLite and libpq).
BASE_SRCS    := status.c str.c utf8.c arena.c buf.c b64.c clock.c bucket.c htab.c
CODEC_SRCS   := json_read.c json_write.c codec.c app.c
STATE_SRCS   := patch.c sdoc.c
MODEL_SRCS   := row.c rowsql.c query.c store.c watch.c sqlite.c pg.c pg_schema.c pg_capture.c
NET_SRCS     := msg.c conn.c session.c group.c broker_local.c broker_redis.c broker_wire.c broker_history.c broker_health.c probe_wire.c broker_outbox.c rcall.c broker_session.c broker_session_relink.c broker_session_wire.c broker_script.c broker_presence.c broker_state.c state_wire.c presence.c presence_wire.c event_wire.c raise_all.c broker.c membership.c \
                call.c cmd.c jansson.c fdwatch.c flush.c \
                dispatch.c push.c ccall.c timer.c peer.c auth.c origin.c http.c metrics.c \
                log.c inbox.c loop.c loop_uv.c loop_ev.c ws.c server.c live.c live_edit.c model_net.c store_wake.c
CODEC_OBJS   := $(addprefix $(OBJ)/runtime/base/,$(BASE_SRCS:.c=.o)) \
                $(addprefix $(OBJ)/runtime/codec/,$(CODEC_SRCS:.c=.o))
STATE_OBJS   := $(addprefix $(OBJ)/runtime/state/,$(STATE_SRCS:.c=.o))
MODEL_OBJS   := $(addprefix $(OBJ)/runtime/model/,$(MODEL_SRCS:.c=.o))
RUNTIME_OBJS := $(CODEC_OBJS) $(STATE_OBJS) $(MODEL_OBJS) $(addprefix $(OBJ)/runtime/net/,$(NET_SRCS:.c=.o)) \
                $(OBJ)/gen/lvjs.o
RUNTIME_HDRS := $(wildcard runtime/include/*.h runtime/src/*/*.h) Makefile
LVJS_SRCS    := $(wildcard runtime/js/*.js runtime/js/*.mjs)

# lv.js as pages get it: the runtime and morphdom in one module.
$(B)/js/lv.js: $(LVJS_SRCS) package-lock.json
	@mkdir -p $(dir $@)
	node runtime/js/build.mjs $@

$(GEN)/lvjs.c: $(B)/embed $(B)/js/lv.js
	@mkdir -p $(GEN)
	$(B)/embed -p lv__js_runtime $(B)/js/lv.js > $@

$(OBJ)/gen/lvjs.o: $(GEN)/lvjs.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -std=c11 -Wall $(CFLAGS) -fPIC -c -o $@ $<

# The lower layers are built without the libraries of the upper ones, so
# that a call upward does not compile.
# Position-independent: the same objects make liblv.a and liblv.so.
$(OBJ)/runtime/base/%.o: runtime/src/base/%.c $(RUNTIME_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -fPIC -Iruntime/include -Iruntime/src -c -o $@ $<

$(OBJ)/runtime/codec/%.o: runtime/src/codec/%.c $(RUNTIME_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -fPIC -Iruntime/include -Iruntime/src -c -o $@ $<

$(OBJ)/runtime/state/%.o: runtime/src/state/%.c $(RUNTIME_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -fPIC $(JANSSON_CFLAGS) -Iruntime/include -Iruntime/src \
	      -c -o $@ $<

$(OBJ)/runtime/model/%.o: runtime/src/model/%.c $(RUNTIME_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -fPIC $(JANSSON_CFLAGS) $(SQLITE_CFLAGS) $(PQ_CFLAGS) \
	      -Iruntime/include -Iruntime/src -c -o $@ $<

$(OBJ)/runtime/net/%.o: runtime/src/net/%.c $(RUNTIME_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -fPIC -pthread $(LWS_CFLAGS) $(UV_CFLAGS) $(EV_CFLAGS) \
	      $(HIREDIS_CFLAGS) $(JANSSON_CFLAGS) -Iruntime/include -Iruntime/src -c -o $@ $<

$(B)/liblv-codec.a: $(CODEC_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/liblv-state.a: $(STATE_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/liblv-model.a: $(MODEL_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/liblv.a: $(RUNTIME_OBJS)
	@rm -f $@
	ar rcs $@ $^

# The shared library exports lv_* (the API of lv.h, lv_abi.h and
# lv_jansson.h) and nothing of the runtime's own (lv__*).
LV_VERSION := $(shell sed -n 's/^\#define LV_VERSION "\(.*\)"/\1/p' runtime/include/lv.h)
LV_SOMAJOR := $(firstword $(subst ., ,$(LV_VERSION)))
LV_SONAME  := liblv.so.$(LV_SOMAJOR)

$(B)/liblv.so.$(LV_VERSION): $(RUNTIME_OBJS) runtime/liblv.map
	$(CC) -shared -Wl,-soname,$(LV_SONAME) -Wl,--version-script=runtime/liblv.map \
	      $(LDFLAGS) -o $@ $(RUNTIME_OBJS) $(LV_LIBS)
	ln -sf $(notdir $@) $(B)/$(LV_SONAME)
	ln -sf $(LV_SONAME) $(B)/liblv.so

liblv: $(B)/liblv.a $(B)/liblv-codec.a $(B)/liblv.so.$(LV_VERSION)

# ---- examples -----------------------------------------------------------

EXAMPLES      := hello chat counter dashboard todo react
EXAMPLE_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -pedantic $(CFLAGS) \
                 -pthread -Iruntime/include $(LWS_CFLAGS) $(JANSSON_CFLAGS)
include $(foreach e,$(EXAMPLES),examples/$(e)/example.mk)

examples: $(foreach e,$(EXAMPLES),$(B)/examples/$(e)/$(e))

include tests/integration/integration.mk
include tests/chaos/chaos.mk

EXAMPLE ?= chat
PORT    ?= 8080
run: deps all
	@echo "serving the $(EXAMPLE) example; open the address below in two tabs (Ctrl-C stops it)"
	cd examples/$(EXAMPLE) && $(abspath $(B))/examples/$(EXAMPLE)/$(EXAMPLE) $(PORT)

# ---- tests ----------------------------------------------------------------

$(B)/tests/%: tests/unit/%.c $(B)/liblvc-compiler.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) -Wno-missing-field-initializers $(CFLAGS) $(JANSSON_CFLAGS) \
	      -Icompiler -I$(GEN) -o $@ $< $(B)/liblvc-compiler.a -lcriterion $(JANSSON_LIBS) -lm

unit: $(UNIT_BINS)

# Unit tests of the runtime, one per module. Those of base and codec link
# liblv-codec.a alone (no libwebsockets, no jansson: the layer stands on
# its own); those of the net layer (RUNTIME_NET_UNITS) link liblv.a.
RUNTIME_UNIT_SRCS := $(wildcard tests/unit/runtime/test_*.c)
RUNTIME_UNIT_BINS := $(patsubst tests/unit/runtime/%.c,$(B)/tests/runtime/%,$(RUNTIME_UNIT_SRCS))
RUNTIME_NET_UNITS := test_queue test_session test_groups test_log test_presence test_bsess_wire test_state_wire
RUNTIME_NET_BINS  := $(filter $(addprefix $(B)/tests/runtime/,$(RUNTIME_NET_UNITS)),$(RUNTIME_UNIT_BINS))
RUNTIME_STATE_UNITS := test_patch test_sdoc
RUNTIME_STATE_BINS := $(filter $(addprefix $(B)/tests/runtime/,$(RUNTIME_STATE_UNITS)),$(RUNTIME_UNIT_BINS))
RUNTIME_MODEL_UNITS := test_query test_model
RUNTIME_MODEL_BINS := $(filter $(addprefix $(B)/tests/runtime/,$(RUNTIME_MODEL_UNITS)),$(RUNTIME_UNIT_BINS))
RUNTIME_CODEC_BINS := $(filter-out $(RUNTIME_NET_BINS) $(RUNTIME_STATE_BINS) $(RUNTIME_MODEL_BINS),$(RUNTIME_UNIT_BINS))

# The state layer's tests link it, the two below it and jansson: no sockets.
$(RUNTIME_STATE_BINS): $(B)/tests/runtime/%: tests/unit/runtime/%.c $(STATE_OBJS) $(B)/liblv-codec.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) -Wno-missing-field-initializers $(CFLAGS) $(JANSSON_CFLAGS) \
	      -Iruntime/include -Iruntime/src -o $@ $< $(LDFLAGS) $(STATE_OBJS) $(B)/liblv-codec.a \
	      -lcriterion $(JANSSON_LIBS) -lm

# The model layer's tests link it, base and codec, jansson, SQLite and
# libpq; each runs against both stores, PostgreSQL a server of its own
# (tests/unit/runtime/pg_server.h).
$(RUNTIME_MODEL_BINS): $(B)/tests/runtime/%: tests/unit/runtime/%.c $(B)/liblv-model.a $(B)/liblv-codec.a \
                       tests/unit/runtime/pg_server.h tests/unit/runtime/backends.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) -Wno-missing-field-initializers $(CFLAGS) $(JANSSON_CFLAGS) \
	      $(SQLITE_CFLAGS) $(PQ_CFLAGS) -Iruntime/include -Iruntime/src -o $@ $< $(LDFLAGS) \
	      $(B)/liblv-model.a $(B)/liblv-codec.a -lcriterion $(JANSSON_LIBS) $(SQLITE_LIBS) $(PQ_LIBS) -lm

$(RUNTIME_CODEC_BINS): $(B)/tests/runtime/%: tests/unit/runtime/%.c $(B)/liblv-codec.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) -Wno-missing-field-initializers $(CFLAGS) \
	      -Iruntime/include -Iruntime/src -o $@ $< $(LDFLAGS) $(B)/liblv-codec.a -lcriterion -lm

$(RUNTIME_NET_BINS): $(B)/tests/runtime/%: tests/unit/runtime/%.c $(B)/liblv.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) -Wno-missing-field-initializers $(CFLAGS) -pthread \
	      $(LWS_CFLAGS) $(HIREDIS_CFLAGS) $(JANSSON_CFLAGS) -Iruntime/include -Iruntime/src -o $@ $< $(LDFLAGS) \
	      $(B)/liblv.a -lcriterion $(LV_LIBS)

runtime-unit: $(RUNTIME_UNIT_BINS)

# Every suite runs, even after one fails; the last line adds them up.
RESULTS ?= $(B)/test-results
SUITE    = RESULTS=$(RESULTS) tests/run-suite.sh
test: deps-test
	@$(MAKE) --no-print-directory all unit runtime-unit $(it_SERVERS) $(ch_OUT)/chaos_server
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	@for t in $(UNIT_BINS); do $(SUITE) $$(basename $$t) $$t --jobs=2; done
	@for t in $(RUNTIME_UNIT_BINS); do $(SUITE) rt-$$(basename $$t) $$t --jobs=2; done
	@$(SUITE) cases tests/cases/run.sh $(B)/lvc
	@$(SUITE) codegen-golden tests/codegen/golden.sh $(B)/lvc
	@$(SUITE) codegen-compile tests/codegen/compile.sh $(B)/lvc
	@$(SUITE) codegen-codec tests/codegen/run-codec.sh $(B)/lvc --jobs=2
	@$(SUITE) install env B=$(B) tests/install/run.sh
	@$(SUITE) deb env B=$(B) tests/install/deb.sh
	@$(SUITE) fuzz-replay $(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk replay
	@$(SUITE) fuzz-replay-decoder $(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk replay-decoder
	@$(SUITE) fuzz-replay-protocol $(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk replay-protocol
	@$(SUITE) fuzz-replay-patch $(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk replay-patch
	@$(SUITE) fuzz-replay-presence $(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk replay-presence
	@$(SUITE) fuzz-replay-session $(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk replay-session
	@$(SUITE) fuzz-replay-event $(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk replay-event
	@$(SUITE) fuzz-replay-state-wire $(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk replay-state-wire
	@$(SUITE) js node --test tests/js/
	@$(SUITE) integration env LV_TEST_LOOP=ev node --test --test-timeout=120000 tests/integration/
	@$(SUITE) integration-uv env LV_TEST_LOOP=uv node --test --test-timeout=120000 tests/integration/
	@$(SUITE) integration-poll env LV_TEST_LOOP=poll node --test --test-timeout=120000 $(it_POLL_TESTS)
	@$(SUITE) chaos node --test --test-concurrency=1 --test-timeout=300000 tests/chaos/
	@$(SUITE) browser env B=$(B) node --test --test-concurrency=1 --test-timeout=180000 tests/browser/
	@$(MAKE) --no-print-directory test-asan
	@$(SUITE) integration-valgrind $(MAKE) --no-print-directory integration-valgrind
	@tests/summary.sh $(RESULTS)

# The C suites again under AddressSanitizer + UBSan (clang), in a tree of
# their own; make test runs this too.
ASAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
test-asan:
	@$(MAKE) --no-print-directory B=$(B)/asan CC=clang CFLAGS="$(ASAN_FLAGS)" \
	  LDFLAGS="-fsanitize=address,undefined" lvc liblv unit runtime-unit
	@for t in $(patsubst $(B)/%,$(B)/asan/%,$(UNIT_BINS)); do \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp $(SUITE) asan-$$(basename $$t) $$t --jobs=2; done
	@for t in $(patsubst $(B)/%,$(B)/asan/%,$(RUNTIME_UNIT_BINS)); do \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp $(SUITE) asan-rt-$$(basename $$t) $$t --jobs=2; done
	@$(SUITE) asan-cases tests/cases/run.sh $(B)/asan/lvc
	@$(SUITE) asan-codec env CC=clang CFLAGS="$(ASAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" \
	  tests/codegen/run-codec.sh $(B)/asan/lvc --jobs=2

# Sanitizers: the whole suite in a separate build tree, each with its own
# results folder. asan is clang's AddressSanitizer (leaks included) and
# UBSan; ubsan is the compiler's UBSan alone at the usual optimisation.
asan:
	@command -v clang >/dev/null || { echo "make asan needs clang: apt-get install -y clang" >&2; exit 1; }
	@RESULTS=build/asan/test-results UBSAN_OPTIONS=print_stacktrace=1 \
	  $(MAKE) --no-print-directory B=build/asan CC=clang \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" test

ubsan:
	@RESULTS=build/ubsan/test-results UBSAN_OPTIONS=print_stacktrace=1 \
	  $(MAKE) --no-print-directory B=build/ubsan \
	  CFLAGS="-O2 -g -fno-omit-frame-pointer -fsanitize=undefined -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=undefined" test

# The case suite with lvc under valgrind: any memory error or leak fails.
valgrind: lvc
	@command -v valgrind >/dev/null || { echo "make valgrind needs valgrind: apt-get install -y valgrind" >&2; exit 1; }
	@rm -rf $(B)/valgrind-results
	@RESULTS=$(B)/valgrind-results \
	  LVC_WRAP="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible" \
	  tests/run-suite.sh cases-valgrind tests/cases/run.sh $(B)/lvc
	@tests/summary.sh $(B)/valgrind-results

# The ten fuzz targets, FUZZ_SECONDS (default 60) each.
fuzz:
	@$(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk fuzz
	@$(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk fuzz-decoder
	@$(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk fuzz-protocol
	@$(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk fuzz-protocol-models
	@$(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk fuzz-patch
	@$(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk fuzz-presence
	@$(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk fuzz-session
	@$(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk fuzz-event
	@$(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk fuzz-state-wire

bench: all
	@bench/run.sh

# ---- install ----------------------------------------------------------------

# `make install [PREFIX=/usr/local] [DESTDIR=]`: lvc, liblv (static and
# shared), the public headers, lv.pc for pkg-config and the CMake package
# (find_package(lv CONFIG): lv::lv, lv::lv_static, lv_add_contract).
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
CMAKEDIR   := $(LIBDIR)/cmake/lv
PUBLIC_HDRS := runtime/include/lv.h runtime/include/lv_abi.h runtime/include/lv_jansson.h
# The CMake package finds the prefix from its own place, so an installed
# tree can be moved.
relpath = $(shell realpath -m --relative-to=$(1) $(2))

install: programs
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) \
	    $(DESTDIR)$(CMAKEDIR)
	install -m 755 $(B)/lvc $(DESTDIR)$(BINDIR)/lvc
	install -m 644 $(B)/liblv.a $(DESTDIR)$(LIBDIR)/liblv.a
	install -m 755 $(B)/liblv.so.$(LV_VERSION) $(DESTDIR)$(LIBDIR)/liblv.so.$(LV_VERSION)
	ln -sf liblv.so.$(LV_VERSION) $(DESTDIR)$(LIBDIR)/$(LV_SONAME)
	ln -sf $(LV_SONAME) $(DESTDIR)$(LIBDIR)/liblv.so
	install -m 644 $(PUBLIC_HDRS) $(DESTDIR)$(INCLUDEDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@VERSION@|$(LV_VERSION)|' packaging/lv.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/lv.pc
	sed -e 's|@REL_PREFIX@|$(call relpath,$(CMAKEDIR),$(PREFIX))|' \
	    -e 's|@REL_LIBDIR@|$(call relpath,$(PREFIX),$(LIBDIR))|' \
	    -e 's|@REL_INCLUDEDIR@|$(call relpath,$(PREFIX),$(INCLUDEDIR))|' \
	    -e 's|@VERSION@|$(LV_VERSION)|; s|@SONAME@|$(LV_SONAME)|' \
	    packaging/cmake/lvConfig.cmake.in > $(DESTDIR)$(CMAKEDIR)/lvConfig.cmake
	sed -e 's|@VERSION@|$(LV_VERSION)|' packaging/cmake/lvConfigVersion.cmake.in \
	    > $(DESTDIR)$(CMAKEDIR)/lvConfigVersion.cmake
	install -m 644 packaging/cmake/lvContract.cmake $(DESTDIR)$(CMAKEDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/lvc $(DESTDIR)$(LIBDIR)/liblv.a $(DESTDIR)$(LIBDIR)/liblv.so* \
	    $(DESTDIR)$(LIBDIR)/pkgconfig/lv.pc \
	    $(addprefix $(DESTDIR)$(INCLUDEDIR)/,$(notdir $(PUBLIC_HDRS)))
	rm -rf $(DESTDIR)$(CMAKEDIR)

# ---- Debian packages ---------------------------------------------------------

# `make deb`: lvc, liblvMAJOR (the shared library) and liblv-dev (headers,
# static library, lv.pc, the CMake package) in $(B)/deb/, from `make
# install` with PREFIX=/usr and Debian's multiarch library folder, staged
# in $(B)/deb-tree/ (packaging/deb/mkdeb.sh). Needs dpkg-dev.
DEB_MULTIARCH   = $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null)
DEB_MAINTAINER ?= lv maintainers <maintainers@lv.invalid>
export DEB_MAINTAINER

deb: programs
	@command -v dpkg-architecture >/dev/null && command -v dpkg-shlibdeps >/dev/null || \
	  { echo "make deb needs dpkg-dev: apt-get install -y dpkg-dev" >&2; exit 1; }
	@rm -rf $(B)/deb-tree $(B)/deb
	@$(MAKE) --no-print-directory install DESTDIR=$(abspath $(B))/deb-tree/stage PREFIX=/usr \
	  BINDIR=/usr/bin LIBDIR=/usr/lib/$(DEB_MULTIARCH) INCLUDEDIR=/usr/include >/dev/null
	packaging/deb/mkdeb.sh $(B)/deb-tree/stage $(B)/deb-tree/work $(B)/deb $(LV_VERSION) \
	  $(DEB_MULTIARCH)

clean:
	rm -rf build

-include $(shell find $(OBJ) $(B)/tests -name '*.d' 2>/dev/null)
