# evpipe -- plain GNU make, no configure step.  See README.md, "Hacking".

PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
DATADIR     ?= $(PREFIX)/share
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR  ?= $(DATADIR)/zsh/site-functions
FISHCOMPDIR ?= $(DATADIR)/fish/vendor_completions.d

PKG_CONFIG ?= pkg-config
CFLAGS     ?= -O2 -g
WARNINGS    = -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wformat=2 \
              -Wstrict-prototypes -Wmissing-prototypes -Wwrite-strings \
              -Wpointer-arith -Wvla -Wno-unused-parameter
# The network libraries are compiled against but not linked into evpipe:
# src/lib/lazylib.c opens them with dlopen() when a pipeline first uses
# one (README "Hacking", Lazy libraries).  CORELIBS links the programs
# that reach them only through evpipe's code (evpipe, the unit tests, the
# fuzzers); DEPLIBS the test helpers that call them directly.
COREPKGS   := jansson libpcre2-8 zlib libxxhash
NETPKGS    := rdkafka libnats libcrypto libmicrohttpd libcurl
DEPPKGS    := $(COREPKGS) $(NETPKGS)
DEPCFLAGS  := $(shell $(PKG_CONFIG) --cflags $(DEPPKGS) 2>/dev/null)
CORELIBS   := $(shell $(PKG_CONFIG) --libs $(COREPKGS) 2>/dev/null) -ldl -lm -pthread
DEPLIBS    := $(shell $(PKG_CONFIG) --libs $(DEPPKGS) 2>/dev/null) -lm -pthread
ALL_CFLAGS  = -D_GNU_SOURCE $(WARNINGS) $(DEPCFLAGS) $(CFLAGS)

# Objects go to $(B); "make SANITIZE=address,undefined" builds elsewhere so
# a sanitized and a plain build can sit side by side.
B ?= build
ifdef SANITIZE
B          := build-san
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS    += -fsanitize=$(SANITIZE)
endif
ifeq ($(DEVELOPER),1)
ALL_CFLAGS += -Werror
endif

SRCDIRS  := src src/lib src/json src/expr src/schema src/cmd src/source src/sink
SRCS     := $(foreach d,$(SRCDIRS),$(wildcard $(d)/*.c))
HDRS     := $(foreach d,$(SRCDIRS),$(wildcard $(d)/*.h))
OBJS     := $(SRCS:src/%.c=$(B)/%.o)
LIBOBJS  := $(filter-out $(B)/main.o,$(OBJS))
UNITSRCS := $(wildcard tests/unit/t-*.c)
UNITS    := $(UNITSRCS:tests/unit/%.c=$(B)/unit/%)
FUZZSRCS := $(wildcard tests/fuzz/fuzz-*.c)
FUZZERS  := $(FUZZSRCS:tests/fuzz/%.c=build-fuzz/%)
PROG     := $(if $(SANITIZE),$(B)/evpipe,evpipe)

all: includes $(PROG) units helpers

# The include rule of README "Hacking" (internal headers stay in their folder).
includes:
	@tests/check-includes

$(PROG): $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(CORELIBS)

$(B)/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc -MMD -MP -c -o $@ $<

units: $(UNITS) $(B)/unit/malloc-fail.so
# The allocation-failure shim for tests/10-faults.bats: never sanitized
# (it is preloaded into the plain binary).
$(B)/unit/malloc-fail.so: tests/fault/malloc-fail.c
	@mkdir -p $(B)/unit
	$(CC) -shared -fPIC -O1 -o $@ $<
$(B)/unit/%: tests/unit/%.c $(LIBOBJS)
	@mkdir -p $(B)/unit
	$(CC) $(ALL_CFLAGS) -Isrc -Itests/unit $(LDFLAGS) -o $@ $< $(LIBOBJS) $(CORELIBS)

-include $(OBJS:.o=.d)

# Test helpers (tests/helpers/*.c): the broker peers of tests/*-kafka.bats
# and tests/*-nats.bats.
HELPERSRCS := $(wildcard tests/helpers/*.c)
HELPERS    := $(HELPERSRCS:tests/helpers/%.c=$(B)/%)
helpers: $(HELPERS)
$(B)/%: tests/helpers/%.c
	@mkdir -p $(B)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(DEPLIBS)

# ---- dependencies and demo ------------------------------------------------
DEB_BUILD = build-essential pkg-config libjansson-dev libpcre2-dev zlib1g-dev \
            libxxhash-dev librdkafka-dev libnats-dev libssl-dev \
            libmicrohttpd-dev libcurl4-openssl-dev
DEB_TEST  = bats bats-support bats-assert parallel mandoc shellcheck \
            bash-completion zsh fish jq clang libclang-rt-14-dev python3 \
            kcat nats-server openssl tzdata curl
DEB_BENCH = hyperfine gojq miller time
deps:
	@tests/install-deps $(DEB_BUILD) $(DEB_TEST) $(DEB_BENCH)

demo: deps
	@$(MAKE) --no-print-directory all
	@sh examples/demo.sh ./evpipe

# ---- tests ----------------------------------------------------------------
# Test files run TEST_JOBS at a time (bats --jobs, with GNU parallel):
# most tests spend their time waiting on children, pipes and sleeps, so
# a second file fills the idle cores.  The tests of one file stay in
# order.  TEST_JOBS=1 runs them one by one.
TEST_JOBS ?= 2
check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory test

test: $(PROG) units
	@command -v bats >/dev/null || { echo 'check: bats is not installed' >&2; echo 'check: 0 passed, 1 failed'; exit 1; }
	@test "$(TEST_JOBS)" = 1 || command -v parallel >/dev/null || { echo 'check: GNU parallel is not installed (make deps, or TEST_JOBS=1)' >&2; echo 'check: 0 passed, 1 failed'; exit 1; }
	@EVPIPE=$(CURDIR)/$(PROG) UNITDIR=$(CURDIR)/$(B)/unit bats --jobs $(TEST_JOBS) --no-parallelize-within-files --formatter tap tests >tests/.last.tap; rc=$$?; \
	  cat tests/.last.tap; \
	  p=$$(grep -c '^ok ' tests/.last.tap); f=$$(grep -c '^not ok ' tests/.last.tap); \
	  echo "check: $$p passed, $$f failed"; \
	  test $$rc -eq 0 && test $$f -eq 0 && test $$p -gt 0

asan:
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory SANITIZE=address,undefined all
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(MAKE) --no-print-directory SANITIZE=address,undefined test

# ---- fuzzing: libFuzzer with clang ----------------------------------------
# The library is compiled once (instrumented, not linked with the fuzzer
# main) and every target links against those objects.  The conventional
# FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION lowers the expression step and
# string-repeat limits (expr-impl.h), so that hitting them is quick under
# the sanitizers.  An undefined-behaviour report stops the run like a crash
# (-fno-sanitize-recover); otherwise one that is only logged passes.
FUZZ_CC     ?= clang
FUZZ_FLAGS   = -g -O1 -D_GNU_SOURCE -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -std=c11 \
               -fno-sanitize-recover=all $(DEPCFLAGS) -Isrc
FUZZ_CFLAGS  = $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined
FUZZ_LIBSRC := $(filter-out src/main.c,$(SRCS))
FUZZ_LIBOBJS := $(FUZZ_LIBSRC:src/%.c=build-fuzz/obj/%.o)
FUZZ_TIME   ?= 60
.SECONDARY: $(FUZZ_LIBOBJS)
fuzz: $(FUZZERS)
build-fuzz/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,address,undefined -c -o $@ $<
build-fuzz/%: tests/fuzz/%.c $(FUZZ_LIBOBJS) $(wildcard tests/fuzz/*.h tests/unit/*.h)
	@mkdir -p build-fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIBOBJS) $(CORELIBS)

fuzz-smoke: $(FUZZERS)
	@for f in $(FUZZERS); do n=$${f#build-fuzz/}; \
	  mkdir -p build-fuzz/corpus-$$n; \
	  dict=; test -f tests/fuzz/$$n.dict && dict=-dict=tests/fuzz/$$n.dict; \
	  echo "fuzz-smoke: $$n"; \
	  $$f $$dict -runs=20000 -max_total_time=20 -max_len=4096 build-fuzz/corpus-$$n tests/fuzz/corpus/$$n >build-fuzz/$$n.log 2>&1 || \
	    { tail -40 build-fuzz/$$n.log; exit 1; }; \
	done

fuzz-run: $(FUZZERS)
	@for f in $(FUZZERS); do n=$${f#build-fuzz/}; mkdir -p build-fuzz/corpus-$$n; \
	  dict=; test -f tests/fuzz/$$n.dict && dict=-dict=tests/fuzz/$$n.dict; \
	  $$f $$dict -max_total_time=$(FUZZ_TIME) build-fuzz/corpus-$$n tests/fuzz/corpus/$$n || exit 1; done

# ---- benchmarks -----------------------------------------------------------
BENCH_EVENTS ?= 1000000
BENCH_DIR    ?= /tmp/evpipe-bench
bench: evpipe $(B)/kafka-floor
	@tests/bench/run $(CURDIR)/evpipe $(BENCH_DIR) $(BENCH_EVENTS)

# ---- soak: a long run under generated load (tests/soak/run) ---------------
SOAK_SECONDS ?= 60
SOAK_RATE    ?= 2000
soak: evpipe
	@tests/soak/run $(CURDIR)/evpipe $(SOAK_SECONDS) $(SOAK_RATE)

# ---- docs and style -------------------------------------------------------
# Every source warning-free with both compilers (-Werror), without linking;
# and no function over 200 lines (tests/check-funclen).  The HTTP target
# is compiled once more with its libcurl calls not redirected to the
# loaded pointers (src/lib/dl-curl.h), so that gcc runs curl.h's checks
# of curl_easy_setopt()'s argument types (they fire when optimizing).
warnings:
	@tests/check-funclen --strict
	@for cc in gcc clang; do echo "warnings: $$cc"; \
	  for f in $(SRCS) $(UNITSRCS); do \
	    $$cc -fsyntax-only -Werror $(ALL_CFLAGS) -Isrc -Itests/unit $$f || exit 1; \
	  done; done
	@echo "warnings: gcc, curl's type checks"; mkdir -p $(B)
	@gcc -c -O2 -Werror -DLAZYLIB_NO_REDIRECT $(ALL_CFLAGS) -Isrc \
	  -o $(B)/curl-typecheck.o src/sink/http.c

lint:
	mandoc -Tlint -Wwarning man/*.[1-9]
	shellcheck -s bash completions/evpipe.bash tests/install-deps examples/*.sh tests/bench/run tests/bench/*.sh tests/soak/run

format:
	clang-format -i $(SRCS) $(HDRS) tests/unit/*.[ch] tests/fuzz/*.c tests/helpers/*.c
format-check:
	clang-format --dry-run --Werror $(SRCS) $(HDRS) tests/unit/*.[ch] tests/fuzz/*.c tests/helpers/*.c

# ---- install --------------------------------------------------------------
install: evpipe
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 \
	  $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 0755 evpipe $(DESTDIR)$(BINDIR)/evpipe
	install -m 0644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	for f in man/*.7; do test -e "$$f" && install -m 0644 "$$f" $(DESTDIR)$(MANDIR)/man7/; done; true
	install -m 0644 completions/evpipe.bash $(DESTDIR)$(BASHCOMPDIR)/evpipe
	install -m 0644 completions/_evpipe $(DESTDIR)$(ZSHCOMPDIR)/_evpipe
	install -m 0644 completions/evpipe.fish $(DESTDIR)$(FISHCOMPDIR)/evpipe.fish

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/evpipe $(DESTDIR)$(BASHCOMPDIR)/evpipe \
	  $(DESTDIR)$(ZSHCOMPDIR)/_evpipe $(DESTDIR)$(FISHCOMPDIR)/evpipe.fish
	for f in man/*.[17]; do rm -f $(DESTDIR)$(MANDIR)/man$${f##*.}/$${f#man/}; done

clean:
	rm -rf build build-san build-fuzz evpipe tests/.last.tap

.PHONY: all includes units helpers deps demo check test asan fuzz fuzz-smoke fuzz-run bench soak lint warnings \
	format format-check install uninstall clean

# ---- json-scan bench
$(B)/scan-bench: tests/bench/scan-bench.c $(LIBOBJS)
	$(CC) $(ALL_CFLAGS) -Isrc $(LDFLAGS) -o $@ $< $(LIBOBJS) $(CORELIBS)
# ---- the kafka group's floor: evpipe's JSON check and librdkafka, no more
$(B)/kafka-floor: tests/bench/kafka-floor.c $(LIBOBJS)
	$(CC) $(ALL_CFLAGS) -Isrc $(LDFLAGS) -o $@ $< $(LIBOBJS) $(DEPLIBS)

# ---- JSON Schema conformance ----------------------------------------------
# The official test suite is vendored as test data (never edited) in
# tests/schema-suite/JSON-Schema-Test-Suite; tests/40-schema-suite.bats
# runs this for "make check".
JSON_SCHEMA_TEST_SUITE ?= tests/schema-suite/JSON-Schema-Test-Suite
conformance: $(PROG)
	@JSON_SCHEMA_TEST_SUITE=$(JSON_SCHEMA_TEST_SUITE) tests/schema-suite/run $(CURDIR)/$(PROG)
.PHONY: conformance

# ---- jq's own tests -------------------------------------------------------
# jq 1.7.1's jq.test, man.test and manonig.test, vendored in
# tests/jq-suite/jq-tests: pass / refused / wrong per file
# (JQ_SUITE_SHOW=wrong lists the groups that fail).
jq-suite: $(PROG)
	@tests/jq-suite/run $(CURDIR)/$(PROG) $(if $(JQ_SUITE_SHOW),--show $(JQ_SUITE_SHOW))
.PHONY: jq-suite
