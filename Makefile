# wgportal — GNU Makefile (wireguard-tools scale: one file, pkg-config, -MMD -MP, V=1).
#   make            build build/wgportal
#   make run        install missing packages, build, start with config/config.yaml or defaults
#   make test       install what tests need, run every suite (plain and ASan+UBSan builds)
#   make bench      benchmarks, printed as ratios against a reference measured in the same run
#   make SANITIZE=1 build the sanitizer flavour into build/san/

PKGS     := libulfius libmicrohttpd jansson liborcania libyder yaml-0.1 libsodium libqrencode \
            libpng libmnl sqlite3 libcurl
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

.PHONY: all deps run test unit bench clean fuzz
all: $(BUILD)/wgportal

deps:
	$(Q)scripts/install-deps.sh build

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIB): $(OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/wgportal: $(BUILD)/src/main.o $(LIB)
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

-include $(OBJS:.o=.d) $(BUILD)/src/main.d $(UNIT_BINS:%=%.d)
