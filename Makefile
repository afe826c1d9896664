# picolet: one Makefile for the agent, the shim, picoctl, tests and images.
#
#   make                  picolet, picolet-shim, picoctl into build/
#   make test             unit tests, then system tests (as root)
#   make check            the tests under ASan+UBSan, then valgrind
#   make fuzz             libFuzzer harnesses (clang), a short run each
#   make bench            benchmarks (tests/bench), figures as ratios
#   make ARCH=arm64       cross build with Debian's cross compiler
#   make install          into $(DESTDIR)$(PREFIX)

VERSION   := 0.1.0
PREFIX    ?= /usr/local
ARCH      ?= native
O         ?= build

ifeq ($(ARCH),native)
  CC      ?= cc
  OUT     := $(O)
else ifeq ($(ARCH),arm64)
  CC      := aarch64-linux-gnu-gcc
  OUT     := $(O)/arm64
else ifeq ($(ARCH),armhf)
  CC      := arm-linux-gnueabihf-gcc
  OUT     := $(O)/armhf
else
  $(error ARCH must be native, arm64 or armhf)
endif

WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
             -Wmissing-prototypes -Wno-unused-parameter -Wformat=2 -Wvla
# Paths come from the config, which bounds their length; gcc's guesses
# about snprintf truncation into PATH_MAX buffers are noise there.
WARN      += $(shell $(CC) -Werror -Wno-format-truncation -E -x c /dev/null \
               >/dev/null 2>&1 && echo -Wno-format-truncation)
# OPT and CFLAGS/LDFLAGS are the user's; ALL_* are what is used.
OPT       ?= -O2 -g
ALL_CFLAGS = $(OPT) -std=c11 $(WARN) -D_GNU_SOURCE \
             -DPICOLET_VERSION='"$(VERSION)"' -I. -fno-strict-aliasing \
             -fstack-protector-strong $(CFLAGS)
ALL_LDFLAGS = $(LDFLAGS)
SAN       ?=
ifneq ($(SAN),)
  ALL_CFLAGS  += -fsanitize=$(SAN) -fno-omit-frame-pointer
  ALL_LDFLAGS += -fsanitize=$(SAN)
endif

LIBS_AGENT := -lev -lyaml -linih -lmbedtls -lmbedx509 -lmbedcrypto \
              -lnftnl -lmnl -lz
LIBS_CTL   := -lyaml -linih -lmbedcrypto -lz
LIBS_SHIM  :=
LIBS_TEST  := -lcmocka

# Each folder is one static library; the files with main() are not in it.
MODULES   := lib cfg store runtime net core
MAINS     := core/main.c runtime/shim_main.c
define module_objs
$(patsubst %.c,$(OUT)/%.o,$(filter-out $(MAINS),$(wildcard $(1)/*.c)))
endef
$(foreach m,$(MODULES),$(eval OBJS_$(m) := $(call module_objs,$(m))))
$(foreach m,$(MODULES),$(eval LIB_$(m) := $(OUT)/lib$(m).a))

# Link order: users before what they use (store's pulls use net).
AGENT_LIBS := $(LIB_core) $(LIB_runtime) $(LIB_store) $(LIB_net) \
              $(LIB_cfg) $(LIB_lib)
CTL_SRCS   := $(wildcard tools/picoctl*.c)
CTL_OBJS   := $(patsubst %.c,$(OUT)/%.o,$(CTL_SRCS))

BINS := $(OUT)/picolet $(OUT)/picolet-shim $(OUT)/picoctl

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))
FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz_*.c)

all: $(BINS)

$(OUT)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(foreach m,$(MODULES),$(eval $(LIB_$(m)): $(OBJS_$(m)) ; @mkdir -p $$(dir $$@); rm -f $$@; $(AR) rcs $$@ $$^))

$(OUT)/picolet: $(OUT)/core/main.o $(AGENT_LIBS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_AGENT)

# The shim is one small process per container: only runtime/ and lib/.
$(OUT)/picolet-shim: $(OUT)/runtime/shim_main.o $(LIB_runtime) $(LIB_lib)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_SHIM)

$(OUT)/picoctl: $(CTL_OBJS) $(LIB_runtime) $(LIB_store) $(LIB_cfg) $(LIB_lib)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_CTL)

$(OUT)/tests/%: $(OUT)/tests/unit/%.o $(AGENT_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_AGENT) $(LIBS_TEST)

# Cross builds run the unit tests that need no kernel features (parsers,
# decoders, state machines) under qemu-user; the rest, and the system
# tests, need the target's kernel: see make image-test.
PURE_TESTS := test_cfg_conf test_cfg_config test_cfg_pod test_cfg_quantity test_cfg_service \
              test_cfg_volume test_core_hosts \
              test_cfg_yaml test_core_lifecycle test_http_parse \
              test_httpc_parse test_json test_net_ipam test_picoctl_fmt \
              test_picoctl_svc test_picoctl_cfg test_registry test_rt_log \
              test_rt_volume test_store_proxy test_store_ref test_store_sha
ifeq ($(ARCH),arm64)
  UNIT_RUNNER := qemu-aarch64-static -L /usr/aarch64-linux-gnu
else ifeq ($(ARCH),armhf)
  UNIT_RUNNER := qemu-arm-static -L /usr/arm-linux-gnueabihf
endif
ifneq ($(ARCH),native)
  UNIT_BINS := $(filter $(addprefix $(OUT)/tests/,$(PURE_TESTS)),$(UNIT_BINS))
endif

unit: $(UNIT_BINS)
	@UNIT_RUNNER="$(UNIT_RUNNER)" tests/unit/run.sh $(UNIT_BINS)

system: all
	@PICOLET_BIN=$(OUT) tests/system/run.sh $(T)

ifeq ($(ARCH),native)
test: all unit system
else
test: all unit
endif

# ASan+UBSan build in its own tree (unit and system tests), then valgrind
# over the unit tests.  picolet itself is not run under valgrind in the
# system tests: Debian 12's valgrind (3.19) does not implement pidfd_open,
# which picolet needs for every child; `make system-valgrind` is there for
# a newer valgrind.
check:
	$(MAKE) O=$(O)/san SAN=address,undefined OPT="-O1 -g" test
	$(MAKE) unit-valgrind

unit-valgrind: $(UNIT_BINS)
	@VALGRIND=1 tests/unit/run.sh $(UNIT_BINS)

system-valgrind: all
	@PICOLET_BIN=$(OUT) PICOLET_VALGRIND=1 tests/system/run.sh $(T)

FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -I. -g -O1 \
               -fsanitize=fuzzer,address,undefined
fuzz:
	@mkdir -p $(O)/fuzz
	@for f in $(FUZZ_SRCS); do \
	  n=$$(basename $$f .c); \
	  echo "FUZZ $$n"; \
	  clang $(FUZZ_CFLAGS) -o $(O)/fuzz/$$n $$f \
	    $(filter-out $(MAINS),$(wildcard lib/*.c cfg/*.c store/*.c runtime/*.c net/*.c)) \
	    $(LIBS_AGENT) || exit 1; \
	  mkdir -p $(O)/fuzz/$$n.corpus; \
	  $(O)/fuzz/$$n -max_total_time=$${FUZZ_SECONDS:-30} \
	    $(O)/fuzz/$$n.corpus tests/fuzz/corpus/$$n 2>&1 | tail -n 3 || exit 1; \
	done

# Pods (start latency, memory, wake-ups), probes, nftables: each prints
# its figures as ratios against a baseline measured in the same run.
bench: all
	@PICOLET_BIN=$(OUT) tests/bench/run.sh
	@PICOLET_BIN=$(OUT) tests/bench/probes.sh
	@PICOLET_BIN=$(OUT) tests/bench/nft.sh
	@PICOLET_BIN=$(OUT) tests/bench/svc.sh
	@PICOLET_BIN=$(OUT) tests/bench/pull.sh

# Set-up on a fresh Debian 12 machine (apt-get), then the example.
deps:
	@tools/deps.sh

deps-arm64 deps-armhf:
	@tools/deps.sh $(patsubst deps-%,%,$@)

demo: all
	@examples/demo.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/libexec/picolet \
	  $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(OUT)/picolet $(OUT)/picoctl $(DESTDIR)$(PREFIX)/bin/
	install -m 0755 $(OUT)/picolet-shim $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 docs/picolet.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0644 docs/picoctl.1 $(DESTDIR)$(PREFIX)/share/man/man1/

# The Raspberry Pi image (board/, docs/board.md) from Debian's arm64 debs
# and picolet cross-built; output in $(O)/board.  image-test boots it under
# qemu and checks pods over SSH; image-test-raspi3b on the Pi 3 model.
BOARD := $(O)/board
image:
	@tools/deps.sh arm64
	@board/deps.sh
	$(MAKE) ARCH=arm64 O=$(O) all
	@mkdir -p $(BOARD)/bin
	aarch64-linux-gnu-gcc -O2 -std=c11 -D_GNU_SOURCE $(WARN) \
	  -o $(BOARD)/bin/picolet-sntp board/sntp.c
	cp $(O)/arm64/picolet $(O)/arm64/picolet-shim $(O)/arm64/picoctl $(BOARD)/bin/
	board/build.sh $(BOARD)/bin $(BOARD)

image-test: image
	@board/test/qemu-test.sh $(BOARD)

image-test-raspi3b: image
	@board/test/raspi3b.sh $(BOARD)

.PHONY: image image-test image-test-raspi3b

clean:
	rm -rf $(O)

-include $(shell find $(OUT) -name '*.d' -type f -not -path '*/board/*' 2>/dev/null)

.PHONY: deps deps-arm64 deps-armhf demo all unit system test check unit-valgrind system-valgrind fuzz bench \
        install clean
.DELETE_ON_ERROR:
