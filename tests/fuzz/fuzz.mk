# fuzz.mk - the compiler front end's fuzz target and the replay of the
# inputs committed for it. Run from the top of the tree:
#
#   make fuzz                           fuzz for FUZZ_SECONDS (default 60)
#   make fuzz FUZZ_SECONDS=600 FUZZ_ARGS="-fork=1 -ignore_crashes=1"
#                                       (keep going after a finding)
#   make -f tests/fuzz/fuzz.mk replay   every committed input once, quickly
#
# Fuzzing needs clang and its libFuzzer runtime (Debian: clang,
# libclang-rt-dev); the replay needs only a compiler with AddressSanitizer
# and UBSan (REPLAY_CC=gcc works too). Everything is built in build/fuzz;
# the fuzzer grows its own copy of the seed corpus there and writes what it
# finds to build/fuzz/artifacts/. Keep a finding by copying it into
# tests/fuzz/regressions/ under a short name that says what it hits.

FUZZ_CC      ?= clang
REPLAY_CC    ?= $(FUZZ_CC)
FUZZ_SECONDS ?= 60
FUZZ_ARGS    ?=

FB     := build/fuzz
GEN    := build/gen
SEEDS  := tests/fuzz/corpus/frontend
REGRESSIONS := tests/fuzz/regressions

JANSSON_CFLAGS := $(shell pkg-config --cflags jansson 2>/dev/null)
JANSSON_LIBS   := $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)

SAN    := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CFLAGS_FUZZ := -std=c11 -O1 -g -D_DEFAULT_SOURCE -MMD -MP $(SAN) \
               -Icompiler -I$(GEN) $(JANSSON_CFLAGS)
# Every import lookup fails: see the top of fuzz_frontend.c.
HERMETIC := -Wl,--wrap=access
LIBS   := $(JANSSON_LIBS) -lm

# The modules of liblvc-compiler.a, as the top-level Makefile lists them:
# compiler/NAME.c, and generated sources in $(GEN) made by its rules.
LIB_OBJS := $(shell $(MAKE) -s --no-print-directory -f Makefile \
                -f tests/fuzz/print-objs.mk B=build print-compiler-objs)
SRCS     := $(patsubst build/obj/compiler/%.o,compiler/%.c,\
            $(patsubst build/obj/gen/%.o,$(GEN)/%.c,$(LIB_OBJS)))
GEN_SRCS := $(filter $(GEN)/%,$(SRCS))
OBJS     := $(patsubst compiler/%.c,%.o,$(patsubst $(GEN)/%.c,gen/%.o,$(SRCS)))
FUZZ_OBJS   := $(addprefix $(FB)/obj/,$(OBJS))
REPLAY_OBJS := $(addprefix $(FB)/replay-obj/,$(OBJS))

FUZZ_RUN := -dict=tests/fuzz/lv.dict -max_len=65536 -timeout=10 \
            -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
            -artifact_prefix=$(FB)/artifacts/

.PHONY: fuzz build replay FORCE
.DEFAULT_GOAL := fuzz

fuzz: $(FB)/fuzz_frontend
	@mkdir -p $(FB)/corpus $(FB)/artifacts
	@cp -n $(SEEDS)/* $(FB)/corpus/
	$(FB)/fuzz_frontend $(FUZZ_RUN) $(FUZZ_ARGS) $(FB)/corpus

build: $(FB)/fuzz_frontend $(FB)/replay_frontend

replay: $(FB)/replay_frontend
	@tests/fuzz/replay.sh $(FB)/replay_frontend $(REGRESSIONS) $(SEEDS)

# Generated sources come from the top-level Makefile, which knows what they
# depend on; it is asked every time and does nothing when they are current.
$(GEN_SRCS) $(GEN)/parser.h &: FORCE
	@$(MAKE) -s --no-print-directory -f Makefile $(GEN_SRCS) $(GEN)/parser.h

FORCE:

# ---- the libFuzzer binary ------------------------------------------------

$(FB)/obj/%.o: compiler/%.c $(GEN)/parser.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CFLAGS_FUZZ) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FB)/obj/gen/%.o: $(GEN)/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CFLAGS_FUZZ) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FB)/obj/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CFLAGS_FUZZ) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FB)/fuzz_frontend: $(FB)/obj/fuzz/fuzz_frontend.o $(FUZZ_OBJS)
	$(FUZZ_CC) $(SAN) -fsanitize=fuzzer $(HERMETIC) -o $@ $^ $(LIBS)

# ---- the replay binary: the same target, no libFuzzer ----------------------

$(FB)/replay-obj/%.o: compiler/%.c $(GEN)/parser.h
	@mkdir -p $(dir $@)
	$(REPLAY_CC) $(CFLAGS_FUZZ) -c -o $@ $<

$(FB)/replay-obj/gen/%.o: $(GEN)/%.c
	@mkdir -p $(dir $@)
	$(REPLAY_CC) $(CFLAGS_FUZZ) -c -o $@ $<

$(FB)/replay-obj/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(REPLAY_CC) $(CFLAGS_FUZZ) -c -o $@ $<

$(FB)/replay_frontend: $(FB)/replay-obj/fuzz/replay_main.o \
                       $(FB)/replay-obj/fuzz/fuzz_frontend.o $(REPLAY_OBJS)
	$(REPLAY_CC) $(SAN) $(HERMETIC) -o $@ $^ $(LIBS)

-include $(shell find $(FB) -name '*.d' 2>/dev/null)

# ---- the message decoder -----------------------------------------------------
# fuzz_decoder: bytes -> every endpoint's arguments and every type of
# tests/codegen/codec.lv through lv_decode and lv_decode_fields, checked
# against jansson, and what decodes round-trips. It links liblv-codec.a
# (base and codec) and jansson, not libwebsockets: the library is made by
# the top-level Makefile's own rule, in a tree of its own for each build
# (coverage-instrumented for the fuzzer, sanitized for the replay).
# net_stubs.c stands in for the network calls the generated code names.

DB       := $(FB)/decoder
DSEEDS   := tests/fuzz/corpus/decoder
DREGRESS := tests/fuzz/regressions-decoder
LWS_LIBS := $(shell pkg-config --libs libwebsockets 2>/dev/null || echo -lwebsockets)
UV_LIBS  := $(shell pkg-config --libs libuv 2>/dev/null || echo -luv)
EV_LIBS  := $(shell pkg-config --libs libev 2>/dev/null || echo -lev)
DEC_SRCS := tests/fuzz/fuzz_decoder.c tests/fuzz/net_stubs.c $(DB)/codec.lv.c \
            $(DB)/codec_handlers.c
DEC_CFLAGS = -std=c11 -O1 -g -D_DEFAULT_SOURCE $(SAN) -Iruntime/include -Iruntime/src -I$(DB) \
             $(JANSSON_CFLAGS)
DEC_FUZZ_LIB   := $(DB)/lib-fuzz/liblv-codec.a
DEC_REPLAY_LIB := $(DB)/lib-replay/liblv-codec.a

$(DB)/codec.lv.c $(DB)/codec_handlers.c &: tests/codegen/codec.lv FORCE
	@$(MAKE) -s --no-print-directory -f Makefile build/lvc
	@mkdir -p $(DB)
	build/lvc --no-line tests/codegen/codec.lv -o $(DB)

# Asked every time; the top-level Makefile rebuilds what changed.
$(DEC_FUZZ_LIB): FORCE
	@$(MAKE) -s --no-print-directory -f Makefile B=$(DB)/lib-fuzz CC=$(FUZZ_CC) \
	    CFLAGS="-O1 -g $(SAN) -fsanitize=fuzzer-no-link" $@

$(DEC_REPLAY_LIB): FORCE
	@$(MAKE) -s --no-print-directory -f Makefile B=$(DB)/lib-replay CC=$(REPLAY_CC) \
	    CFLAGS="-O1 -g $(SAN)" $@

$(DB)/fuzz_decoder: $(DEC_SRCS) $(DEC_FUZZ_LIB)
	$(FUZZ_CC) $(DEC_CFLAGS) -fsanitize=fuzzer -o $@ $(DEC_SRCS) $(DEC_FUZZ_LIB) $(LIBS)

$(DB)/replay_decoder: tests/fuzz/replay_main.c $(DEC_SRCS) $(DEC_REPLAY_LIB)
	$(REPLAY_CC) $(DEC_CFLAGS) -o $@ tests/fuzz/replay_main.c $(DEC_SRCS) $(DEC_REPLAY_LIB) $(LIBS)

fuzz-decoder: $(DB)/fuzz_decoder
	@mkdir -p $(DB)/corpus $(DB)/artifacts
	@cp -n $(DSEEDS)/* $(DB)/corpus/
	$(DB)/fuzz_decoder -max_len=65536 -timeout=10 -max_total_time=$(FUZZ_SECONDS) \
	    -artifact_prefix=$(DB)/artifacts/ $(FUZZ_ARGS) $(DB)/corpus

replay-decoder: $(DB)/replay_decoder
	@tests/fuzz/replay.sh $(DB)/replay_decoder $(DREGRESS) $(DSEEDS)

# ---- the protocol path -------------------------------------------------------
# fuzz_protocol: frames -> JSON -> validation -> dispatch to codec.lv's stub
# handlers, on a real server whose connection has no socket. It links the
# whole liblv.a, made by the top-level Makefile's rule in the same trees as
# the decoder's liblv-codec.a. fuzz_protocol_models is the same target on
# the app tests/fuzz/models.lv (its handlers in models_handlers.c): the
# model endpoints, on a SQLite database in memory. replay-protocol replays
# both.

PSEEDS   := tests/fuzz/corpus/protocol
PROT_SRCS := tests/fuzz/fuzz_protocol.c $(DB)/codec.lv.c $(DB)/codec_handlers.c
PROT_FUZZ_LIB   := $(DB)/lib-fuzz/liblv.a
PROT_REPLAY_LIB := $(DB)/lib-replay/liblv.a
HIREDIS_LIBS := $(shell pkg-config --libs hiredis 2>/dev/null || echo -lhiredis)
SQLITE_LIBS := $(shell pkg-config --libs sqlite3 2>/dev/null || echo -lsqlite3)
PQ_LIBS := $(shell pkg-config --libs libpq 2>/dev/null || echo -lpq)
PROT_LIBS := $(LWS_LIBS) $(UV_LIBS) $(EV_LIBS) $(HIREDIS_LIBS) $(SQLITE_LIBS) $(PQ_LIBS) $(LIBS) -lpthread

$(PROT_FUZZ_LIB): FORCE
	@$(MAKE) -s --no-print-directory -f Makefile B=$(DB)/lib-fuzz CC=$(FUZZ_CC) \
	    CFLAGS="-O1 -g $(SAN) -fsanitize=fuzzer-no-link" $@

$(PROT_REPLAY_LIB): FORCE
	@$(MAKE) -s --no-print-directory -f Makefile B=$(DB)/lib-replay CC=$(REPLAY_CC) \
	    CFLAGS="-O1 -g $(SAN)" $@

$(DB)/fuzz_protocol: $(PROT_SRCS) $(PROT_FUZZ_LIB)
	$(FUZZ_CC) $(DEC_CFLAGS) -fsanitize=fuzzer -o $@ $(PROT_SRCS) $(PROT_FUZZ_LIB) $(PROT_LIBS)

$(DB)/replay_protocol: tests/fuzz/replay_main.c $(PROT_SRCS) $(PROT_REPLAY_LIB)
	$(REPLAY_CC) $(DEC_CFLAGS) -o $@ tests/fuzz/replay_main.c $(PROT_SRCS) $(PROT_REPLAY_LIB) \
	    $(PROT_LIBS)

fuzz-protocol: $(DB)/fuzz_protocol
	@mkdir -p $(DB)/pcorpus $(DB)/partifacts
	@cp -n $(PSEEDS)/* $(DB)/pcorpus/
	$(DB)/fuzz_protocol -dict=tests/fuzz/lv.dict -max_len=16384 -timeout=10 \
	    -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(DB)/partifacts/ $(FUZZ_ARGS) \
	    $(DB)/pcorpus

MB       := $(FB)/models
PMSEEDS  := tests/fuzz/corpus/protocol-models
PMREGRESS := tests/fuzz/regressions-protocol-models
PM_SRCS  := tests/fuzz/fuzz_protocol.c $(MB)/models.lv.c tests/fuzz/models_handlers.c
PM_CFLAGS = $(DEC_CFLAGS) -I$(MB) -DFUZZ_APP=models_app

$(MB)/models.lv.c $(MB)/models.lv.h &: tests/fuzz/models.lv FORCE
	@$(MAKE) -s --no-print-directory -f Makefile build/lvc
	@mkdir -p $(MB)
	build/lvc --no-line tests/fuzz/models.lv -o $(MB)

$(DB)/fuzz_protocol_models: $(PM_SRCS) $(MB)/models.lv.h $(PROT_FUZZ_LIB)
	$(FUZZ_CC) $(PM_CFLAGS) -fsanitize=fuzzer -o $@ $(PM_SRCS) $(PROT_FUZZ_LIB) $(PROT_LIBS)

$(DB)/replay_protocol_models: tests/fuzz/replay_main.c $(PM_SRCS) $(MB)/models.lv.h \
                              $(PROT_REPLAY_LIB)
	$(REPLAY_CC) $(PM_CFLAGS) -o $@ tests/fuzz/replay_main.c $(PM_SRCS) $(PROT_REPLAY_LIB) \
	    $(PROT_LIBS)

fuzz-protocol-models: $(DB)/fuzz_protocol_models
	@mkdir -p $(DB)/pmcorpus $(DB)/pmartifacts
	@cp -n $(PMSEEDS)/* $(DB)/pmcorpus/
	$(DB)/fuzz_protocol_models -dict=tests/fuzz/lv.dict -max_len=16384 -timeout=10 \
	    -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(DB)/pmartifacts/ $(FUZZ_ARGS) \
	    $(DB)/pmcorpus

replay-protocol: $(DB)/replay_protocol $(DB)/replay_protocol_models
	@tests/fuzz/replay.sh $(DB)/replay_protocol $(PSEEDS) \
	    $(DB)/replay_protocol_models $(PMREGRESS) $(PMSEEDS)

replay-protocol-models: $(DB)/replay_protocol_models
	@tests/fuzz/replay.sh $(DB)/replay_protocol_models $(PMREGRESS) $(PMSEEDS)

# ---- page state patches ----------------------------------------------------------
# fuzz_patch: [DOC, PATCH] -> lv__patch_apply, checked for all-or-nothing
# and against the same operations applied one at a time. It links the
# state layer (liblv-state.a), liblv-codec.a and jansson.

STSEEDS := tests/fuzz/corpus/patch
ST_CFLAGS = -std=c11 -O1 -g -D_DEFAULT_SOURCE $(SAN) -Iruntime/include -Iruntime/src \
            $(JANSSON_CFLAGS)
ST_FUZZ_LIBS   := $(DB)/lib-fuzz/liblv-state.a $(DB)/lib-fuzz/liblv-codec.a
ST_REPLAY_LIBS := $(DB)/lib-replay/liblv-state.a $(DB)/lib-replay/liblv-codec.a

$(ST_FUZZ_LIBS): FORCE
	@$(MAKE) -s --no-print-directory -f Makefile B=$(DB)/lib-fuzz CC=$(FUZZ_CC) \
	    CFLAGS="-O1 -g $(SAN) -fsanitize=fuzzer-no-link" $@

$(ST_REPLAY_LIBS): FORCE
	@$(MAKE) -s --no-print-directory -f Makefile B=$(DB)/lib-replay CC=$(REPLAY_CC) \
	    CFLAGS="-O1 -g $(SAN)" $@

$(DB)/fuzz_patch: tests/fuzz/fuzz_patch.c $(ST_FUZZ_LIBS)
	$(FUZZ_CC) $(ST_CFLAGS) -fsanitize=fuzzer -o $@ $< $(ST_FUZZ_LIBS) $(LIBS)

$(DB)/replay_patch: tests/fuzz/replay_main.c tests/fuzz/fuzz_patch.c $(ST_REPLAY_LIBS)
	$(REPLAY_CC) $(ST_CFLAGS) -o $@ tests/fuzz/replay_main.c tests/fuzz/fuzz_patch.c \
	    $(ST_REPLAY_LIBS) $(LIBS)

fuzz-patch: $(DB)/fuzz_patch
	@mkdir -p $(DB)/stcorpus $(DB)/startifacts
	@cp -n $(STSEEDS)/* $(DB)/stcorpus/
	$(DB)/fuzz_patch -max_len=4096 -timeout=10 -max_total_time=$(FUZZ_SECONDS) \
	    -artifact_prefix=$(DB)/startifacts/ $(FUZZ_ARGS) $(DB)/stcorpus

replay-patch: $(DB)/replay_patch
	@tests/fuzz/replay.sh $(DB)/replay_patch $(STSEEDS)

# ---- presence's wire ---------------------------------------------------------------
# fuzz_presence: bytes -> what a node reads of presence from Redis (a join
# or leave on a group's channel, a member's entry of a group's hash),
# checked to lie within the input and to be made again the same. It
# compiles runtime/src/net/presence_wire.c alone (headers only besides).

PRSEEDS := tests/fuzz/corpus/presence
PR_SRCS := tests/fuzz/fuzz_presence.c runtime/src/net/presence_wire.c
PR_CFLAGS = -std=c11 -O1 -g -D_DEFAULT_SOURCE $(SAN) -Iruntime/include -Iruntime/src \
            $(JANSSON_CFLAGS)

$(FB)/fuzz_presence: $(PR_SRCS)
	@mkdir -p $(FB)
	$(FUZZ_CC) $(PR_CFLAGS) -fsanitize=fuzzer -o $@ $(PR_SRCS)

$(FB)/replay_presence: tests/fuzz/replay_main.c $(PR_SRCS)
	@mkdir -p $(FB)
	$(REPLAY_CC) $(PR_CFLAGS) -o $@ tests/fuzz/replay_main.c $(PR_SRCS)

fuzz-presence: $(FB)/fuzz_presence
	@mkdir -p $(FB)/prcorpus $(FB)/prartifacts
	@cp -n $(PRSEEDS)/* $(FB)/prcorpus/
	$(FB)/fuzz_presence -max_len=8192 -timeout=10 -max_total_time=$(FUZZ_SECONDS) \
	    -artifact_prefix=$(FB)/prartifacts/ $(FUZZ_ARGS) $(FB)/prcorpus

replay-presence: $(FB)/replay_presence
	@tests/fuzz/replay.sh $(FB)/replay_presence $(PRSEEDS)

# ---- a session's record --------------------------------------------------------------
# fuzz_session: bytes -> hiredis' reader -> the reply a node gets when it
# takes a session (TAKE_LUA) -> lv__bsw_take_parse, checked to keep the
# rules broker_session_wire.h states. It compiles
# runtime/src/net/broker_session_wire.c alone and links hiredis.

SESEEDS := tests/fuzz/corpus/session
SE_SRCS := tests/fuzz/fuzz_session.c runtime/src/net/broker_session_wire.c
SE_CFLAGS = -std=c11 -O1 -g -D_DEFAULT_SOURCE $(SAN) -Iruntime/include -Iruntime/src \
            $(shell pkg-config --cflags hiredis 2>/dev/null)

$(FB)/fuzz_session: $(SE_SRCS) runtime/src/net/broker_session_wire.h
	@mkdir -p $(FB)
	$(FUZZ_CC) $(SE_CFLAGS) -fsanitize=fuzzer -o $@ $(SE_SRCS) $(HIREDIS_LIBS)

$(FB)/replay_session: tests/fuzz/replay_main.c $(SE_SRCS) runtime/src/net/broker_session_wire.h
	@mkdir -p $(FB)
	$(REPLAY_CC) $(SE_CFLAGS) -o $@ tests/fuzz/replay_main.c $(SE_SRCS) $(HIREDIS_LIBS)

fuzz-session: $(FB)/fuzz_session
	@mkdir -p $(FB)/secorpus $(FB)/seartifacts
	@cp -n $(SESEEDS)/* $(FB)/secorpus/
	$(FB)/fuzz_session -dict=tests/fuzz/session.dict -max_len=8192 -timeout=10 \
	    -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(FB)/seartifacts/ $(FUZZ_ARGS) \
	    $(FB)/secorpus

replay-session: $(FB)/replay_session
	@tests/fuzz/replay.sh $(FB)/replay_session $(SESEEDS)
# ---- a server event raised on every node, the heartbeat's probe -------------------
# fuzz_event: bytes -> the 'E' frame a node reads on lv:all (origin, event
# name, arguments) and the 'L' probe it reads on its own channel, each
# checked to lie within the input and to be made again byte for byte. It
# compiles runtime/src/net/event_wire.c and probe_wire.c alone.

EVSEEDS := tests/fuzz/corpus/event
EV_SRCS := tests/fuzz/fuzz_event.c runtime/src/net/event_wire.c runtime/src/net/probe_wire.c

$(FB)/fuzz_event: $(EV_SRCS)
	@mkdir -p $(FB)
	$(FUZZ_CC) $(PR_CFLAGS) -fsanitize=fuzzer -o $@ $(EV_SRCS)

$(FB)/replay_event: tests/fuzz/replay_main.c $(EV_SRCS)
	@mkdir -p $(FB)
	$(REPLAY_CC) $(PR_CFLAGS) -o $@ tests/fuzz/replay_main.c $(EV_SRCS)

fuzz-event: $(FB)/fuzz_event
	@mkdir -p $(FB)/evcorpus $(FB)/evartifacts
	@cp -n $(EVSEEDS)/* $(FB)/evcorpus/
	$(FB)/fuzz_event -max_len=4096 -timeout=10 -max_total_time=$(FUZZ_SECONDS) \
	    -artifact_prefix=$(FB)/evartifacts/ $(FUZZ_ARGS) $(FB)/evcorpus

replay-event: $(FB)/replay_event
	@tests/fuzz/replay.sh $(FB)/replay_event $(EVSEEDS)

# ---- shared states' wire ------------------------------------------------------------
# fuzz_state_wire: bytes -> a patch frame of a shared state as a node reads
# it from Redis (T ORIGIN NAME REV MESSAGE), checked to lie within the
# input and to be made again the same. It compiles
# runtime/src/net/state_wire.c alone.

SWSEEDS := tests/fuzz/corpus/state
SW_SRCS := tests/fuzz/fuzz_state_wire.c runtime/src/net/state_wire.c
SW_CFLAGS = -std=c11 -O1 -g -D_DEFAULT_SOURCE $(SAN) -Iruntime/include -Iruntime/src

$(FB)/fuzz_state_wire: $(SW_SRCS)
	@mkdir -p $(FB)
	$(FUZZ_CC) $(SW_CFLAGS) -fsanitize=fuzzer -o $@ $(SW_SRCS)

$(FB)/replay_state_wire: tests/fuzz/replay_main.c $(SW_SRCS)
	@mkdir -p $(FB)
	$(REPLAY_CC) $(SW_CFLAGS) -o $@ tests/fuzz/replay_main.c $(SW_SRCS)

fuzz-state-wire: $(FB)/fuzz_state_wire
	@mkdir -p $(FB)/swcorpus $(FB)/swartifacts
	@cp -n $(SWSEEDS)/* $(FB)/swcorpus/
	$(FB)/fuzz_state_wire -max_len=4096 -timeout=10 -max_total_time=$(FUZZ_SECONDS) \
	    -artifact_prefix=$(FB)/swartifacts/ $(FUZZ_ARGS) $(FB)/swcorpus

replay-state-wire: $(FB)/replay_state_wire
	@tests/fuzz/replay.sh $(FB)/replay_state_wire $(SWSEEDS)
