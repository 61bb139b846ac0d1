# Builds libevent's C libraries from the Rust crates, installs them like libevent 2.2.1,
# and runs every test.
#
#   make                      release libraries in build/lib
#   make install PREFIX=DIR   headers, libraries, pkg-config and CMake files, and
#                             event_rpcgen.py (DIR=/usr/local)
#   make ABI=2.1              the same code with libevent 2.1.12's binary interface, in
#                             build/lib-2.1: libNAME-2.1.so.7 as Debian ships them, a
#                             drop-in for programs built against libevent 2.1
#   make install ABI=2.1 PREFIX=DIR
#                             only those libraries' runtime files (no headers or
#                             development files, nothing a 2.2 install has)
#   make check                everything CI checks
#   make upstream-check LIBEVENT_SRC=DIR
#                             libevent's own regression suite from a libevent source
#                             tree, built against an install of this project
#   make check-upstream-2.1   libevent 2.1.12's suite, built with 2.1's headers, on the
#                             2.1 build
#   make miri                 the reactor, buffer and bufferevent unit tests under Miri

PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR     ?= $(PREFIX)/bin
DESTDIR    ?=
CARGO      ?= cargo
MIRI_CARGO ?= cargo +nightly
CC         ?= cc

BUILD   := build
VERSION := 2.2.1

# Which binary interface to build: 2.2 (libevent 2.2.1's, the default) or 2.1
# (libevent 2.1.12's). Each has its own cargo target directory and output directory,
# so that building one leaves the other's up to date.
ABI ?= 2.2
ifeq ($(ABI),2.2)
OUT     := $(BUILD)/lib
OBJ     := $(BUILD)/obj
RUSTLIB := target/release
CARGO_BUILD_ARGS := --workspace --lib
# File name lib<name>-<release>.so.<version>, SONAME lib<name>-<release>.so.<soversion>.
export LIB_RELEASE   := 2.2
export LIB_SOVERSION := 1
export LIB_VERSION   := 1.0.0
else ifeq ($(ABI),2.1)
OUT     := $(BUILD)/lib-2.1
OBJ     := $(BUILD)/obj-2.1
RUSTLIB := target/abi-2.1/release
CARGO_BUILD_ARGS := --target-dir target/abi-2.1 --lib -p evrs-capi -p evrs-extra \
                    -p evrs-pthreads -p evrs-openssl \
                    --features evrs-capi/abi-2-1,evrs-extra/abi-2-1
# Debian's names: libevent-2.1.so.7.0.1, SONAME libevent-2.1.so.7.
export LIB_RELEASE   := 2.1
export LIB_SOVERSION := 7
export LIB_VERSION   := 7.0.1
else
$(error ABI=$(ABI): use ABI=2.2 (the default) or ABI=2.1)
endif

# Which crates make up each library, and which libevent libraries each one calls
# through the C ABI. A library with no crate yet is built empty, so that programs and
# build files that name it still link.
CRATES_event_core     := evrs_capi
CRATES_event_extra    := evrs_extra
CRATES_event_pthreads := evrs_pthreads
CRATES_event_openssl  := evrs_openssl
CRATES_event_mbedtls  := evrs_mbedtls
CRATES_event          := $(CRATES_event_core) $(CRATES_event_extra)
NEEDS_event_core      :=
NEEDS_event_extra     := -levent_core
NEEDS_event_pthreads  := -levent_core
NEEDS_event_openssl   := -levent_core -lssl -lcrypto
NEEDS_event_mbedtls   := -levent_core -lmbedtls -lmbedx509 -lmbedcrypto
NEEDS_event           :=

LIBRARIES := event_core event_extra event_pthreads event_openssl event_mbedtls event
ifeq ($(ABI),2.1)
# libevent 2.1 has no libevent_mbedtls.
LIBRARIES := $(filter-out event_mbedtls,$(LIBRARIES))
endif
CRATES    := $(sort $(foreach l,$(LIBRARIES),$(CRATES_$(l))))

.SECONDEXPANSION:
# Keep the staticlibs and objects between runs; they are not throwaway intermediates.
.SECONDARY:
.PHONY: all install uninstall check check-rust check-style check-upstream upstream-check \
        upstream-install upstream-install-2.1 check-upstream-2.1 check-targets miri clean FORCE
all: $(foreach l,$(LIBRARIES),$(OUT)/lib$(l).so)

# Cargo decides whether a crate is out of date; an archive it leaves alone keeps its
# time stamp, so nothing downstream is relinked.
$(RUSTLIB)/lib%.a: FORCE
	$(CARGO) build --release $(CARGO_BUILD_ARGS)

$(OBJ)/%.o: $(RUSTLIB)/lib%.a capi/link-library.sh
	@mkdir -p $(OBJ)
	capi/link-library.sh object $< $* $@

# The dependent libraries link against libevent_core, so it comes first.
$(OUT)/libevent_core.so: $(foreach c,$(CRATES_event_core),$(OBJ)/$(c).o)
	@mkdir -p $(OUT)
	capi/link-library.sh library $(OUT) event_core "$^" "$(NEEDS_event_core)"

$(OUT)/lib%.so: $$(foreach c,$$(CRATES_%),$(OBJ)/$$(c).o) $(OUT)/libevent_core.so
	capi/link-library.sh library $(OUT) $* "$(filter %.o,$^)" "$(NEEDS_$*)"

PKGCONFIG := $(foreach l,$(filter-out event,$(LIBRARIES)) event,lib$(l).pc)

ifeq ($(ABI),2.1)
# The shared libraries and their SONAME links, as Debian's libevent-2.1-7 package
# installs them; nothing that a 2.2 install in the same prefix has.
install: all
	install -d $(DESTDIR)$(LIBDIR)
	for l in $(LIBRARIES); do \
	    install -m 755 $(OUT)/lib$$l-$(LIB_RELEASE).so.$(LIB_VERSION) $(DESTDIR)$(LIBDIR)/ && \
	    ln -sf lib$$l-$(LIB_RELEASE).so.$(LIB_VERSION) \
	        $(DESTDIR)$(LIBDIR)/lib$$l-$(LIB_RELEASE).so.$(LIB_SOVERSION) ; \
	done

uninstall:
	rm -f $(foreach l,$(LIBRARIES),$(DESTDIR)$(LIBDIR)/lib$(l)-$(LIB_RELEASE).so.$(LIB_VERSION) \
	    $(DESTDIR)$(LIBDIR)/lib$(l)-$(LIB_RELEASE).so.$(LIB_SOVERSION))
else
install: all
	install -d $(DESTDIR)$(INCLUDEDIR)/event2 $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(LIBDIR)/cmake/libevent
	install -m 644 include/*.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 include/event2/*.h $(DESTDIR)$(INCLUDEDIR)/event2/
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 capi/extra/rpcgen/event_rpcgen.py $(DESTDIR)$(BINDIR)/event_rpcgen.py
	for l in $(LIBRARIES); do \
	    install -m 755 $(OUT)/lib$$l-2.2.so.1.0.0 $(DESTDIR)$(LIBDIR)/ && \
	    ln -sf lib$$l-2.2.so.1.0.0 $(DESTDIR)$(LIBDIR)/lib$$l-2.2.so.1 && \
	    ln -sf lib$$l-2.2.so.1.0.0 $(DESTDIR)$(LIBDIR)/lib$$l.so && \
	    install -m 644 $(OUT)/lib$$l.a $(DESTDIR)$(LIBDIR)/ ; \
	done
	for pc in $(PKGCONFIG); do \
	    sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	        -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	        capi/pkgconfig/$$pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/$$pc ; \
	done
	for f in LibeventConfig.cmake LibeventConfigVersion.cmake; do \
	    sed -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
	        -e 's|@VERSION@|$(VERSION)|g' capi/cmake/$$f.in > $(DESTDIR)$(LIBDIR)/cmake/libevent/$$f ; \
	done

uninstall:
	rm -rf $(DESTDIR)$(INCLUDEDIR)/event2 $(DESTDIR)$(LIBDIR)/cmake/libevent
	rm -f $(foreach h,$(notdir $(wildcard include/*.h)),$(DESTDIR)$(INCLUDEDIR)/$(h))
	rm -f $(foreach l,$(LIBRARIES),$(DESTDIR)$(LIBDIR)/lib$(l)-2.2.so.1.0.0 \
	    $(DESTDIR)$(LIBDIR)/lib$(l)-2.2.so.1 $(DESTDIR)$(LIBDIR)/lib$(l).so \
	    $(DESTDIR)$(LIBDIR)/lib$(l).a)
	rm -f $(foreach pc,$(PKGCONFIG),$(DESTDIR)$(LIBDIR)/pkgconfig/$(pc))
	rm -f $(DESTDIR)$(BINDIR)/event_rpcgen.py
endif

check-style:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy --target-dir target/abi-2.1 -p evrs -p evrs-capi -p evrs-extra \
	    --all-targets --features evrs-capi/abi-2-1,evrs-extra/abi-2-1 -- -D warnings

# The pollers of other systems, checked for the systems they run on (their logic is
# tested here on simulated kernels, by the backends crate's tests): rustup installs each
# system's standard library, then the backends crate must pass clippy for it.
BACKEND_TARGETS := x86_64-unknown-freebsd x86_64-apple-darwin x86_64-unknown-netbsd \
                   x86_64-unknown-illumos x86_64-pc-windows-gnu

# The core and the C layers are POSIX code: the whole workspace must pass clippy for
# FreeBSD and macOS too. openssl-sys's build script reads the system's OpenSSL headers
# (only their version matters to a check); CRATE_CC_NO_DEFAULTS keeps the `cc` crate
# from passing Apple-only flags to this system's compiler.
WORKSPACE_TARGETS := x86_64-unknown-freebsd x86_64-apple-darwin
CROSS_OPENSSL     := OPENSSL_DIR=/usr OPENSSL_INCLUDE_DIR=/usr/include \
                     OPENSSL_LIB_DIR=/usr/lib/$(shell $(CC) -print-multiarch) CRATE_CC_NO_DEFAULTS=1

check-targets:
	rustup target add $(BACKEND_TARGETS)
	for target in $(BACKEND_TARGETS); do \
	    $(CARGO) clippy -p evrs-backends --target $$target --target-dir target/cross \
	        -- -D warnings || exit 1; \
	done
	for target in $(WORKSPACE_TARGETS); do \
	    $(CROSS_OPENSSL) $(CARGO) clippy --workspace --target $$target \
	        --target-dir target/cross -- -D warnings || exit 1; \
	done

# Both builds, whichever ABI is asked for: the tests check each (tests/abi21.rs and the
# C programs' third run are the 2.1 build's).
check-rust:
	$(MAKE) ABI=2.2 all
	$(MAKE) ABI=2.1 all
	EVRS_LIBDIR=$(CURDIR)/$(BUILD)/lib EVRS_LIBDIR_21=$(CURDIR)/$(BUILD)/lib-2.1 \
	    $(CARGO) test --workspace --release
	$(CARGO) test --release --target-dir target/abi-2.1 -p evrs -p evrs-capi --lib \
	    --features evrs-capi/abi-2-1

# libevent's regression suite (upstream/): its test files, unmodified, compiled against
# an install of this project in target/upstream and run case by case.
UPSTREAM_WORK   := target/upstream
UPSTREAM_PREFIX := $(CURDIR)/$(UPSTREAM_WORK)/install
# Where .ci/run unpacks Debian's libevent source package for `make check`.
UPSTREAM_CI_SRC  = $(patsubst %/test/regress_main.c,%,$(firstword \
                   $(wildcard target/upstream-src/libevent-*/test/regress_main.c)))
# 1: a failing case of the suite fails `make check`.  0: `make check` runs the suite and
# reports its failures without failing on them.  `make upstream-check` always fails.
UPSTREAM_GATE   ?= 1

upstream-install:
	rm -rf $(UPSTREAM_PREFIX)
	$(MAKE) install ABI=2.2 PREFIX=$(UPSTREAM_PREFIX)

upstream-check:
	@test -n "$(LIBEVENT_SRC)" || \
	    { echo "usage: make upstream-check LIBEVENT_SRC=DIR (a libevent source tree)" >&2; exit 2; }
	$(MAKE) upstream-install
	CC="$(CC)" upstream/run.sh "$(LIBEVENT_SRC)" $(UPSTREAM_PREFIX) $(UPSTREAM_WORK)

# run.sh exits 1 when cases failed and 2 when the suite could not be built or run.
check-upstream:
	@if [ -z "$(UPSTREAM_CI_SRC)" ]; then \
	    echo "check-upstream: no libevent source in target/upstream-src (.ci/run fetches it)"; \
	    [ -z "$$CI" ]; \
	else \
	    $(MAKE) upstream-install && \
	    { CC="$(CC)" upstream/run.sh $(UPSTREAM_CI_SRC) $(UPSTREAM_PREFIX) $(UPSTREAM_WORK); rc=$$?; \
	      if [ $$rc -eq 1 ] && [ "$(UPSTREAM_GATE)" != 1 ]; then \
	          echo "check-upstream: the failures above do not fail make check (UPSTREAM_GATE=0)"; \
	      else exit $$rc; fi; }; \
	fi

# The same suite against the 2.1 build, compiled as a program built for libevent 2.1 is:
# with libevent 2.1's own headers (Debian's libevent-dev), linked with our
# libNAME-2.1.so.7 in a prefix of their own.  Only a 2.1 suite matches those headers.
LIBEVENT21_INCLUDE ?= /usr/include
UPSTREAM21_WORK    := target/upstream-2.1
UPSTREAM21_PREFIX  := $(CURDIR)/$(UPSTREAM21_WORK)/install

upstream-install-2.1:
	$(MAKE) ABI=2.1 all
	rm -rf $(UPSTREAM21_PREFIX)
	mkdir -p $(UPSTREAM21_PREFIX)/include $(UPSTREAM21_PREFIX)/lib
	cp -r $(LIBEVENT21_INCLUDE)/event2 $(UPSTREAM21_PREFIX)/include/
	cp $(addprefix $(LIBEVENT21_INCLUDE)/,evdns.h event.h evhttp.h evrpc.h evutil.h) \
	    $(UPSTREAM21_PREFIX)/include/
	cp -a $(BUILD)/lib-2.1/*.so* $(UPSTREAM21_PREFIX)/lib/

check-upstream-2.1:
	@if ! echo "$(UPSTREAM_CI_SRC)" | grep -q 'libevent-2\.1\.' || ! grep -qs '"2\.1\.' $(LIBEVENT21_INCLUDE)/event2/event-config.h; then \
	    echo "check-upstream-2.1: needs a libevent 2.1 source in target/upstream-src and 2.1's headers in $(LIBEVENT21_INCLUDE)"; \
	    [ -z "$$CI" ]; \
	else \
	    $(MAKE) upstream-install-2.1 && \
	    CC="$(CC)" upstream/run.sh $(UPSTREAM_CI_SRC) $(UPSTREAM21_PREFIX) $(UPSTREAM21_WORK); \
	fi

# The unit tests that drive the reactor on the scripted poller, under both of Miri's
# borrow models. Isolation is off only because a base reads the wall clock
# (CLOCK_REALTIME), which Miri refuses to an isolated program; the tests make no other
# system call than the clocks and sleeping.
MIRI_TESTS := event::tests:: buffer::tests:: bufferevent::tests::
MIRI_FLAGS := -Zmiri-disable-isolation

# Both models run even when the first reports an error; the target fails if either does.
miri:
	status=0; \
	MIRIFLAGS="$(MIRI_FLAGS)" $(MIRI_CARGO) miri test -p evrs --lib -- $(MIRI_TESTS) || status=1; \
	MIRIFLAGS="$(MIRI_FLAGS) -Zmiri-tree-borrows" $(MIRI_CARGO) miri test -p evrs --lib -- $(MIRI_TESTS) || status=1; \
	exit $$status


check: check-style check-targets check-rust miri check-upstream check-upstream-2.1

clean:
	rm -rf $(BUILD)
	$(CARGO) clean
