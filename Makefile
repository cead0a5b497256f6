# wgportal — GNU Makefile (wireguard-tools scale: one file, pkg-config, -MMD -MP, V=1).
#   make            build build/wgportal
#   make run        install missing packages, build, start with config/config.yaml or defaults
#   make test       install what tests need, run every suite (plain and ASan+UBSan builds)
#   make bench      benchmarks, printed as ratios against a reference measured in the same run
#   make SANITIZE=1 build the sanitizer flavour into build/san/
#   make fuzz       libFuzzer targets of tests/fuzz/ (clang-14) into build/fuzz/;
#                   tests/fuzz/run.sh SECONDS runs each of them (docs/http-hardening.md);
#                   make test runs each for 15 s (tests/fuzz/suite-fuzz.sh)

PKGS     := libulfius libmicrohttpd jansson liborcania libyder yaml-0.1 libsodium libqrencode \
            libpng libmnl sqlite3 libpq libmariadb libcurl nettle libcrypt gnutls ldap lber
CC       ?= cc
CSTD     := -std=gnu17
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wno-unused-parameter
CPPFLAGS += -Isrc -D_GNU_SOURCE $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

ifeq ($(SANITIZE),1)
BUILD    := build/san
CFLAGS   ?= -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
else
BUILD    := build
CFLAGS   ?= -O2 -g
endif
CFLAGS   += $(CSTD) $(WARN) -MMD -MP

ifneq ($(V),1)
Q := @
endif

SRCS      := $(shell find src -name '*.c' ! -name main.c | sort)
OBJS      := $(SRCS:%.c=$(BUILD)/%.o)
LIB       := $(BUILD)/libwgportal.a
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
TESTLIB   := $(BUILD)/tests/testlib.o
BENCH_SRCS:= $(sort $(wildcard bench/*.c))
BENCH_BINS:= $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)

# The web UI: ui/ (Vue 3 + Vite) is built with npm into ui/dist, which
# scripts/embed-assets.py turns into build/gen/web_assets.c (shared by both flavours) and links
# into the daemon. No ui/package.json or no npm: the generator embeds a placeholder page, so
# the build never breaks. A failing npm build warns, removes ui/dist and embeds the placeholder
# at once (never a stale UI that no longer matches the sources); build/gen/ui-build.failed makes
# the next make try again, and the browser suite (tests/ui) fails on the placeholder.
GEN       := build/gen
WEB_C     := $(GEN)/web_assets.c
WEB_OBJ   := $(BUILD)/gen/web_assets.o
NPM       := $(shell command -v npm 2>/dev/null)
ifneq ($(and $(wildcard ui/package.json),$(NPM)),)
UI_STAMP  := $(GEN)/ui-dist.stamp
UI_SRCS   := $(shell find ui -path ui/node_modules -prune -o -path ui/dist -prune -o \
                -type f -print 2>/dev/null)
endif
UI_DIST   := $(shell find ui/dist -type f 2>/dev/null)

# The API description (/doc/v1_swagger.yaml and its viewer /api/v1/doc.html), embedded as C
# arrays into the library so the daemon and the unit tests carry the same text.
# Files compiled into the daemon as byte arrays (scripts/embed-files.py, one generated file):
# the API description and its viewer, the built-in mail templates (src/mail/templates.h).
TPL_DIR   := src/mail/tpl_files
EMBED_SRCS:= src/api/doc/v1_swagger.yaml src/api/doc/doc.html src/api/doc/doc.js \
             $(wildcard $(TPL_DIR)/*)
EMBED_C   := $(GEN)/embedded.c
EMBED_OBJ := $(BUILD)/gen/embedded.o

.PHONY: all deps run test unit bench clean fuzz ui
all: $(BUILD)/wgportal

# libFuzzer targets: the library once more with clang-14 and fuzzer instrumentation, each
# tests/fuzz/fuzz_*.c linked against it (a target may also #include the parser it tests).
FUZZ_CC    ?= clang-14
FUZZ_DIR   := build/fuzz
FUZZ_FLAGS := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
              -fno-sanitize-recover=undefined $(CSTD) -Wall -Wextra -Werror -Wno-unused-parameter \
              -Wno-missing-field-initializers
FUZZ_OBJS  := $(SRCS:%.c=$(FUZZ_DIR)/%.o)
FUZZ_SRCS  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS  := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_DIR)/%)

fuzz: $(FUZZ_BINS)

$(FUZZ_DIR)/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

# with the embedded API document (api/doc.c refers to it), compiled like the sources
$(FUZZ_DIR)/libwgportal.a: $(FUZZ_OBJS) $(EMBED_C:%.c=$(FUZZ_DIR)/%.o)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_standalone.h $(FUZZ_DIR)/libwgportal.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZLD  $@")
	$(Q)$(FUZZ_CC) $(CPPFLAGS) -Itests/fuzz $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< \
	    $(FUZZ_DIR)/libwgportal.a $(LDLIBS)

deps:
	$(Q)scripts/install-deps.sh build

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIB): $(OBJS) $(EMBED_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(EMBED_C): $(EMBED_SRCS) scripts/embed-files.py
	@mkdir -p $(@D)
	$(Q)python3 scripts/embed-files.py $@ doc_text_yaml=src/api/doc/v1_swagger.yaml \
	    doc_text_html=src/api/doc/doc.html doc_text_js=src/api/doc/doc.js \
	    mail_tpl_att_txt=$(TPL_DIR)/mail_with_attachment.gotpl \
	    mail_tpl_att_html=$(TPL_DIR)/mail_with_attachment.gohtml \
	    mail_tpl_link_txt=$(TPL_DIR)/mail_with_link.gotpl \
	    mail_tpl_link_html=$(TPL_DIR)/mail_with_link.gohtml

$(EMBED_OBJ): $(EMBED_C)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

ui: $(WEB_C)

ifneq ($(UI_STAMP),)
UI_FAILED := $(GEN)/ui-build.failed
.PHONY: ui-retry
$(UI_STAMP): $(UI_SRCS) $(if $(wildcard $(UI_FAILED)),ui-retry)
	@mkdir -p $(@D)
	@echo "  NPM     ui/dist"
	$(Q)cd ui && stamp=node_modules/.package-lock.json; \
	    if [ ! -d node_modules ] || [ ! -f $$stamp ] || \
	       [ $$(stat -c %Y package-lock.json 2>/dev/null || echo 0) -gt \
	         $$(( $$(stat -c %Y $$stamp 2>/dev/null || echo 0) + 2 )) ]; then \
	        npm ci --no-audit --no-fund --loglevel=error && touch $$stamp; fi && \
	    npm run build --silent && rm -f ../$(UI_FAILED) && touch ../$@ || { \
	    echo "  WARNING: the UI build failed; embedding the placeholder page (tests/ui fails)"; \
	    rm -rf dist; touch ../$(UI_FAILED) ../$@; }
endif

# Regenerated when the script, the stamp or any file of ui/dist changes; the placeholder when
# ui/dist is missing. The rule's file list is read before npm runs, so a fresh dist is picked up
# by a second make at the latest; the stamp dependency covers the usual case.
# A file of the previous build that npm removed (its hash changed) is no error, just stale.
ui/dist/%: ;

$(WEB_C): scripts/embed-assets.py $(UI_STAMP) $(UI_DIST)
	@mkdir -p $(@D)
	$(Q)python3 scripts/embed-assets.py ui/dist $@

$(WEB_OBJ): $(WEB_C) src/web/web.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/wgportal: $(BUILD)/src/main.o $(WEB_OBJ) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(TESTLIB): tests/lib/testlib.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) -Itests/lib $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/test_%: tests/unit/test_%.c $(LIB) $(TESTLIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  TEST-LD $@")
	$(Q)$(CC) $(CPPFLAGS) -Itests/lib $(CFLAGS) $(LDFLAGS) -o $@ $< $(TESTLIB) $(LIB) $(LDLIBS) -lcmocka

unit: $(UNIT_BINS)

$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)mkdir -p data
	$(Q)if [ -f config/config.yaml ]; then exec $(BUILD)/wgportal --config config/config.yaml; \
	    else exec $(BUILD)/wgportal; fi

# The full suite: plain build first, then the ASan+UBSan build of the unit and API tests.
test:
	$(Q)scripts/install-deps.sh test
	$(Q)$(MAKE) --no-print-directory all unit
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 all unit
	$(Q)tests/run-all.sh

bench:
	$(Q)scripts/install-deps.sh test
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BINS)
	$(Q)bench/run.sh

clean:
	rm -rf build

-include $(OBJS:.o=.d) $(BUILD)/src/main.d $(UNIT_BINS:%=%.d) $(TESTLIB:.o=.d) $(FUZZ_OBJS:.o=.d)
