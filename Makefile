# mailsim - an educational simulator of Internet e-mail.
#   make run     install missing build dependencies, build, run the default scenario
#   make test    same set-up, then every test under AddressSanitizer + UBSan (and the
#                engines' suites once more without, for the paths that reuse memory)
#   make bench   event-queue, rendering and grading benchmarks (optimised build)
#   make fuzz    libFuzzer on every harness in tests/fuzz/ (FUZZ_TIME seconds each; clang)
#   make install PREFIX=/usr/local

PREFIX   ?= /usr/local
SCENARIO ?= scenarios/smtp-basic.mss
VERSION  := 0.1.0

CC       ?= cc
PKGS     := glib-2.0 gio-2.0 json-glib-1.0 libcgraph libgvc
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Werror
BASE_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -DMS_VERSION='"$(VERSION)"' \
              -DMS_LOCALEDIR='"$(LOCALEDIR)"' -DMS_SCENARIODIR='"$(SCENARIODIR)"' \
              -Iinclude -Isim $(WARN) \
              $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS      = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
TEST_LIBS = $(LIBS) $(shell pkg-config --libs cunit 2>/dev/null || echo -lcunit)

OPT_CFLAGS  := -O2 -g
# With GCC the optimised library is also compiled for link-time optimisation:
# the simulation's hot path crosses many small files (session -> trace -> tcp
# -> packet -> event queue), and inlining across them makes a campus simulate
# about 7 % faster (docs/design.md, Scale).  mailsim and the benches link with
# LTO_FLAGS.  The objects stay fat and the engines' opt suites link them with
# -fno-lto (GCC's linker plugin would otherwise do an LTO link anyway), so
# they pay no LTO link each.  `make LTO=` turns it off (GCC only: Clang's
# -ffat-lto-objects is too new for Debian 12's); the objects are rebuilt
# when it changes.
LTO       ?= $(if $(shell LC_ALL=C $(CC) -v 2>&1 | grep '^gcc version'),y)
override LTO := $(filter y yes 1,$(LTO))
LTO_FLAGS := $(if $(LTO),-flto=auto -ffat-lto-objects)
NO_LTO    := $(if $(LTO),-fno-lto)
OPT_AR    := $(if $(LTO),$(or $(shell command -v gcc-ar),ar),ar)
LTO_STAMP := build/opt/.lto-$(if $(LTO),on,off)
SAN_CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LOCALEDIR   ?= $(abspath build/locale)
# The shipped scenarios, where a scenario's files are looked for when they
# are not beside it; an installed program finds <bin>/../share/mailsim/scenarios
# first (sim/scenario/files.c).
SCENARIODIR ?= $(abspath scenarios)

# `make V=1` shows the full commands.
Q := $(if $(V),,@)

LIB_SRCS  := $(sort $(filter-out sim/cli/%,$(wildcard sim/*/*.c)))
CLI_SRCS  := $(sort $(wildcard sim/cli/*.c))
TEST_SRCS := $(sort $(wildcard tests/test_*.c))
TEST_UTIL := tests/testutil.c
HEADERS   := $(wildcard include/mailsim/*.h sim/*/*.h tests/*.h)

# report.html's page, style and script, built into the library as byte
# arrays by a small generator (scripts/embed.c).
HTML_ASSETS := sim/report/html/report.html sim/report/html/report.css sim/report/html/report.js \
               sim/report/html/report-model.js
GEN_SRCS  := build/gen/html_assets.c

OPT_OBJS  := $(LIB_SRCS:%.c=build/opt/%.o) $(GEN_SRCS:%.c=build/opt/%.o)
SAN_OBJS  := $(LIB_SRCS:%.c=build/san/%.o) $(GEN_SRCS:%.c=build/san/%.o)
CLI_OBJS  := $(CLI_SRCS:%.c=build/opt/%.o)
SAN_CLI_OBJS := $(CLI_SRCS:%.c=build/san/%.o)
TEST_BINS := $(TEST_SRCS:tests/%.c=build/tests/%)

.PHONY: all deps run test check-tests bench install clean help unit fuzz
.DEFAULT_GOAL := all

all: deps mailsim

help:
	@sed -n '2,8p' Makefile

deps:
	@./scripts/deps.sh

build/opt/%.o: %.c $(HEADERS) $(LTO_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(BASE_CFLAGS) $(OPT_CFLAGS) $(LTO_FLAGS) -c $< -o $@

# Whether the objects above were built for LTO: a change rebuilds them.
$(LTO_STAMP):
	@mkdir -p $(dir $@)
	@rm -f build/opt/.lto-*
	@touch $@

build/san/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC san  $<")
	$(Q)$(CC) $(BASE_CFLAGS) $(SAN_CFLAGS) -c $< -o $@

build/tools/embed: scripts/embed.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) -std=c11 -O1 $(WARN) -o $@ $<

build/gen/html_assets.c: build/tools/embed $(HTML_ASSETS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  EMBED   $@")
	$(Q)build/tools/embed $@ ms_html_template=sim/report/html/report.html \
	    ms_html_css=sim/report/html/report.css ms_html_js=sim/report/html/report.js \
	    ms_html_model_js=sim/report/html/report-model.js

build/opt/libmailsim.a: $(OPT_OBJS)
	@rm -f $@
	$(Q)$(OPT_AR) rcs $@ $^

build/san/libmailsim.a: $(SAN_OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^

# The zh_CN catalogue of the reports' words (po/zh_CN.po); the program finds
# it in LOCALEDIR (the build tree by default) or in <bin>/../share/locale.
MO := build/locale/zh_CN/LC_MESSAGES/mailsim.mo

$(MO): po/zh_CN.po
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  MSGFMT  $@")
	$(Q)msgfmt --check -o $@ $<

mailsim: $(CLI_OBJS) build/opt/libmailsim.a $(MO)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(OPT_CFLAGS) $(LTO_FLAGS) -o $@ $(CLI_OBJS) build/opt/libmailsim.a $(LIBS)

# The CLI built with sanitizers, for the end-to-end tests.
build/san/mailsim: $(SAN_CLI_OBJS) build/san/libmailsim.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(SAN_CFLAGS) -o $@ $(SAN_CLI_OBJS) build/san/libmailsim.a $(LIBS)

build/tests/%: tests/%.c $(TEST_UTIL) build/san/libmailsim.a $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(BASE_CFLAGS) $(SAN_CFLAGS) -Itests -o $@ $< $(TEST_UTIL) build/san/libmailsim.a $(TEST_LIBS)

# The engines' suites once more without sanitizers.  Under AddressSanitizer
# the line reader, the output blocks and the recycled memory take their
# checking paths (MS_UNDER_ASAN in include/mailsim/core.h: a new block each
# time, so a use after free is caught); here the reuse paths a real run
# takes are tested too.
OPT_TEST_NAMES := test_core test_net test_smtp test_pop3 test_imap_client test_imap_server \
                  test_message
OPT_TEST_BINS  := $(OPT_TEST_NAMES:%=build/tests-opt/%.opt)

build/tests-opt/%.opt: tests/%.c $(TEST_UTIL) build/opt/libmailsim.a $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(BASE_CFLAGS) $(OPT_CFLAGS) $(NO_LTO) -Itests -o $@ $< $(TEST_UTIL) build/opt/libmailsim.a $(TEST_LIBS)

# ---- Fuzzing (tests/fuzz/) ------------------------------------------------
# Every harness is built twice: for `make test` with the normal compiler and
# a replay main() that runs its seeds, corpus and past crashes once (fast,
# no libFuzzer needed); for `make fuzz` with clang's libFuzzer.
FUZZ_SRCS    := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES   := $(FUZZ_SRCS:tests/fuzz/%.c=%)
REPLAY_BINS  := $(FUZZ_NAMES:%=build/fuzz-replay/%)
FUZZ_TIME    ?= 60
FUZZ_CC      ?= clang
# (clang counts a g_autoptr variable that is only cleaned up as unused)
FUZZ_CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
                -fno-sanitize-recover=undefined -Wno-unused-variable
# (the generated sources too: report.html's assets are compiled in)
FUZZ_OBJS    := $(LIB_SRCS:%.c=build/fuzz/obj/%.o) $(GEN_SRCS:%.c=build/fuzz/obj/%.o)
.SECONDARY: $(FUZZ_OBJS)
# The seed corpora: what the harness reads, from the tree.
SEEDS_fuzz_scenario := scenarios tests/data/scenario
SEEDS_fuzz_run      := scenarios tests/data/scenario
SEEDS_fuzz_message  := tests/data/message
SEEDS_fuzz_exercise := scenarios/exercises tests/data/scenario
SEEDS_fuzz_grade    := tests/data/grade scenarios/exercises/solutions

build/fuzz-replay/%: tests/fuzz/%.c tests/fuzz/replay.c tests/fuzz/fuzz.h build/san/libmailsim.a $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  REPLAY  $@")
	$(Q)$(CC) $(BASE_CFLAGS) $(SAN_CFLAGS) -Itests/fuzz -DMS_FUZZ_SEEDS='"$(SEEDS_$*)"' \
	    -o $@ $< tests/fuzz/replay.c build/san/libmailsim.a $(LIBS)

build/fuzz/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC fuzz $<")
	$(Q)$(FUZZ_CC) $(BASE_CFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzz/bin/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(FUZZ_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZER  $@")
	$(Q)$(FUZZ_CC) $(BASE_CFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Itests/fuzz -o $@ $< \
	    $(FUZZ_OBJS) $(LIBS)

# Runs each harness for FUZZ_TIME seconds on a working corpus under
# build/fuzz/corpus/ (seeded from tests/fuzz/corpus/ and the seeds above);
# a crash lands in build/fuzz/crashes/<harness>/: fix it, then copy the
# input to tests/fuzz/crashes/<harness>/ so that `make test` replays it.
fuzz:
	@MAILSIM_FUZZ=1 ./scripts/deps.sh
	@$(MAKE) --no-print-directory $(FUZZ_NAMES:%=build/fuzz/bin/%)
	@./scripts/fuzz.sh $(FUZZ_TIME) $(foreach n,$(FUZZ_NAMES),'$(n):$(SEEDS_$(n))')

run: deps mailsim
	./mailsim run $(SCENARIO)

test: deps
	@$(MAKE) --no-print-directory check-tests

# The browser test of report.html runs like a suite (skipped, and said so,
# when Chromium is missing).
check-tests: $(TEST_BINS) $(OPT_TEST_BINS) $(REPLAY_BINS) build/san/mailsim mailsim $(MO)
	@./tests/run-tests.sh $(TEST_BINS) $(OPT_TEST_BINS) tests/live/run.sh tests/report-browser.sh \
	    $(REPLAY_BINS)

build/bench/%: bench/%.c build/opt/libmailsim.a $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  BENCH   $@")
	$(Q)$(CC) $(BASE_CFLAGS) $(OPT_CFLAGS) $(LTO_FLAGS) -o $@ $< build/opt/libmailsim.a $(LIBS)

bench: deps mailsim $(patsubst bench/%.c,build/bench/%,$(wildcard bench/bench_*.c))
	@for b in build/bench/bench_*; do echo "== $$b"; $$b || exit 1; done
	@echo "== bench/bench_serve.py"; python3 bench/bench_serve.py ./mailsim
	@echo "== bench/bench_report.py"; python3 bench/bench_report.py ./mailsim

install: all $(MO)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/mailsim/scenarios \
	           $(DESTDIR)$(PREFIX)/share/doc/mailsim \
	           $(DESTDIR)$(PREFIX)/share/locale/zh_CN/LC_MESSAGES
	install -m 644 $(MO) $(DESTDIR)$(PREFIX)/share/locale/zh_CN/LC_MESSAGES/mailsim.mo
	install -m 755 mailsim $(DESTDIR)$(PREFIX)/bin/mailsim
	cp -R scenarios/. $(DESTDIR)$(PREFIX)/share/mailsim/scenarios/
	install -m 644 README.md docs/*.md $(DESTDIR)$(PREFIX)/share/doc/mailsim/

clean:
	rm -rf build mailsim

# Quick build of one suite against some sources only, for work in progress:
#   make unit T=net SRCS="sim/core/*.c sim/net/*.c"
unit:
	@mkdir -p build/unit
	$(CC) $(BASE_CFLAGS) $(SAN_CFLAGS) -Itests -o build/unit/test_$(T) tests/test_$(T).c \
	    $(TEST_UTIL) $(wildcard $(SRCS)) $(TEST_LIBS)
	@./tests/run-tests.sh build/unit/test_$(T)
