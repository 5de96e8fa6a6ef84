# lv - top-level build. `make run` serves the chat example; `make test`
# runs every suite and ends with one line: N passed, N failed.

CC       ?= cc
CFLAGS   ?= -O2 -g
WARN     := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -pedantic
CPPFLAGS += -D_DEFAULT_SOURCE -MMD -MP
JANSSON_CFLAGS := $(shell pkg-config --cflags jansson 2>/dev/null)
JANSSON_LIBS   := $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)
LEMPAR   ?= /usr/share/lemon/lempar.c

B        := build
GEN      := $(B)/gen
OBJ      := $(B)/obj

COMPILER_SRCS := ctx.c arena.c source.c diag.c ast.c parse.c check.c names.c \
                 symtab.c dump.c depfile.c write.c
COMPILER_OBJS := $(addprefix $(OBJ)/compiler/,$(COMPILER_SRCS:.c=.o)) \
                 $(OBJ)/gen/lexer.o $(OBJ)/gen/parser.o

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRCS))

.PHONY: all lvc deps deps-test run test check-cases unit asan ubsan valgrind \
        fuzz bench clean examples
.DEFAULT_GOAL := all

all: lvc examples

lvc: $(B)/lvc

deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

# ---- the compiler -------------------------------------------------------

$(GEN)/parser.c $(GEN)/parser.h: compiler/parser.y $(LEMPAR)
	@mkdir -p $(GEN)
	lemon -q -T$(LEMPAR) -d$(GEN) compiler/parser.y

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
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(JANSSON_LIBS)

# ---- examples -----------------------------------------------------------

EXAMPLES := $(wildcard examples/*/*.lv)

examples: $(B)/lvc
	@for f in $(EXAMPLES); do $(B)/lvc --check $$f || exit 1; done
	@echo "examples: $(words $(EXAMPLES)) interface files check clean"

run: deps all
	@echo "lvc is built and every example checks clean."
	@echo "Serving the chat example needs the C runtime, which is not in this tree yet."

# ---- tests ----------------------------------------------------------------

$(B)/tests/%: tests/unit/%.c $(B)/liblvc-compiler.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) -Wno-missing-field-initializers $(CFLAGS) $(JANSSON_CFLAGS) \
	      -Icompiler -I$(GEN) -o $@ $< $(B)/liblvc-compiler.a -lcriterion $(JANSSON_LIBS)

unit: $(UNIT_BINS)

test: deps-test
	@$(MAKE) --no-print-directory all unit
	@rm -rf $(B)/test-results && mkdir -p $(B)/test-results
	@for t in $(UNIT_BINS); do \
	  tests/run-suite.sh $$(basename $$t) $$t --jobs=2; done
	@tests/run-suite.sh cases tests/cases/run.sh $(B)/lvc
	@tests/summary.sh $(B)/test-results

# Sanitizers: the whole suite in a separate build tree.
asan:
	@$(MAKE) --no-print-directory B=build/asan CC=clang \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" test

valgrind: all unit
	@rm -rf $(B)/test-results && mkdir -p $(B)/test-results
	@LVC_WRAP="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect" \
	  tests/run-suite.sh cases-valgrind tests/cases/run.sh $(B)/lvc
	@tests/summary.sh $(B)/test-results

fuzz:
	@$(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk

bench: all
	@bench/run.sh

clean:
	rm -rf build

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)
