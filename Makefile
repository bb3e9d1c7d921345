# xen-memtune: one entry point for building, testing and installing.
#
#   make            build the module and the agent
#   make check      everything CI runs: module build (W=1), KUnit (UML), agent tests, DKMS
#                   install/remove (into a temporary place), Xen e2e rig
#   make demo       boot real Xen in QEMU and show a DomU's values follow a resize
#
# Every target that needs Debian packages installs them first (scripts/install-deps.sh).

# The newest installed kernel that has headers (the host may run a kernel without any).
KVER    ?= $(shell ls -d /lib/modules/*/build 2>/dev/null | cut -d/ -f4 | sort -V | tail -n 1)
KDIR    ?= /lib/modules/$(KVER)/build
BUILD   ?= $(CURDIR)/build
DESTDIR ?=
PREFIX  ?= /usr
DKMS_NAME    := xen-memtune
# The one version, debian/changelog's (dkms.conf and the packages take it from there).
VERSION      := $(shell sed -n '1s/^[^ ]* (\([^)-]*\).*/\1/p' debian/changelog)
DKMS_VERSION := $(VERSION)

.PHONY: all deps-kmod deps-agent deps-kunit deps-e2e deps-fuzz kmod kmod-check agent \
	agent-test fuzz kunit selftests check e2e demo golden bench install dkms-add dkms-build \
	dkms-install dkms-remove dkms-check deps-deb deb deb-prev deb-check clean

all: kmod agent

deps-kmod:
	@scripts/install-deps.sh kmod
deps-agent:
	@scripts/install-deps.sh agent
deps-kunit:
	@scripts/install-deps.sh kunit
deps-e2e:
	@scripts/install-deps.sh kmod agent e2e
deps-fuzz:
	@scripts/install-deps.sh agent fuzz

# The module, against the Debian headers (kbuild via kmod/Makefile).
kmod: deps-kmod
	$(MAKE) -C kmod KDIR=$(KDIR)

# Warning-free (W=1), sparse (C=1) and checkpatch clean: what a kernel maintainer checks.
kmod-check: deps-kmod
	$(MAKE) -C kmod KDIR=$(KDIR) check

agent: deps-agent
	cmake -S agent -B $(BUILD)/agent -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD)/agent -j$$(nproc)

agent-test: agent
	ctest --test-dir $(BUILD)/agent --output-on-failure

# libFuzzer campaigns of the agent's parsers, FUZZ_RUNS inputs each (agent/fuzz). Not part of
# `make check`: agent-test only replays the seed corpus, which a g++ build can do. clang builds
# just the fuzz targets, in their own tree; new corpus entries stay in it.
FUZZ_RUNS ?= 100000
fuzz: deps-fuzz
	cmake -S agent -B $(BUILD)/agent-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
		-DMEMTUNE_FUZZ=ON -DMEMTUNE_FUZZ_RUNS=$(FUZZ_RUNS)
	cmake --build $(BUILD)/agent-fuzz -j$$(nproc) --target directive_fuzz parsers_fuzz
	ctest --test-dir $(BUILD)/agent-fuzz -R '^Fuzz\..*Bounded$$' --output-on-failure

kunit: deps-kunit
	tests/kunit/run.sh

selftests: deps-kmod
	$(MAKE) -C tests/selftests

# The systemd guest (scenario agent-systemd) is installed from the packages: deb and deb-prev.
e2e: deps-e2e kmod agent selftests deb-prev
	E2E_DEB_DIR=$(DEB_OUT) E2E_DEB_PREV_DIR=$(DEB_PREV_OUT) tests/e2e/run.sh

demo: deps-e2e kmod agent
	tests/e2e/demo.sh

golden: deps-e2e kmod
	tests/e2e/golden.sh

bench: deps-e2e kmod agent
	bench/run.sh

check: kmod-check kunit agent-test dkms-check e2e

# kbuild skips depmod without a System.map, which Debian's headers do not ship: without our
# own depmod, modprobe and udev's kmod builtin (udev/60-xen-memtune.rules) cannot find the module.
install: all
	$(MAKE) -C kmod KDIR=$(KDIR) INSTALL_MOD_PATH=$(DESTDIR) modules_install
	depmod -a $(if $(DESTDIR),-b $(DESTDIR)) $(KVER)
	DESTDIR=$(DESTDIR) cmake --install $(BUILD)/agent --prefix $(PREFIX)
	install -D -m 0644 docs/xen_memtune.4 $(DESTDIR)$(PREFIX)/share/man/man4/xen_memtune.4

# DKMS from a copy of the sources in /usr/src (never the build output); a second run replaces
# the first, so `make dkms-install` can be repeated. DKMS_SRC and DKMS_FLAGS move the trees
# (tests/dkms/run.sh installs into a temporary place with --sourcetree/--dkmstree/--installtree).
DKMS_SRC   ?= /usr/src
DKMS_FLAGS ?=
DKMS_COPY  := $(DKMS_SRC)/$(DKMS_NAME)-$(DKMS_VERSION)
dkms-add: deps-kmod
	scripts/install-deps.sh dkms
	-dkms remove $(DKMS_FLAGS) -m $(DKMS_NAME) -v $(DKMS_VERSION) --all >/dev/null 2>&1
	rm -rf $(DKMS_COPY)
	mkdir -p $(DKMS_COPY)/kmod
	sed 's/#MODULE_VERSION#/$(DKMS_VERSION)/' dkms.conf >$(DKMS_COPY)/dkms.conf
	cp kmod/Kbuild kmod/Makefile kmod/*.c kmod/*.h $(DKMS_COPY)/kmod/
	dkms add $(DKMS_FLAGS) -m $(DKMS_NAME) -v $(DKMS_VERSION)
dkms-build: dkms-add
	dkms build $(DKMS_FLAGS) -m $(DKMS_NAME) -v $(DKMS_VERSION) -k $(KVER)
dkms-install: dkms-build
	dkms install $(DKMS_FLAGS) -m $(DKMS_NAME) -v $(DKMS_VERSION) -k $(KVER)
dkms-remove:
	dkms remove $(DKMS_FLAGS) -m $(DKMS_NAME) -v $(DKMS_VERSION) --all
	rm -rf $(DKMS_COPY)

# make dkms-install and dkms-remove, run into a temporary place: the .ko appears, then goes.
dkms-check: deps-kmod
	scripts/install-deps.sh dkms
	KVER=$(KVER) DKMS_VERSION=$(DKMS_VERSION) tests/dkms/run.sh

# Debian packages from this tree (debian/): xen-memtune-dkms, xen-memtuned, memtunectl and
# xen-memtune-dom0, written to $(DEB_OUT) with lintian's verdict. The agent's tests are not run
# again (DEB_BUILD_OPTIONS=nocheck; `make agent-test` runs them); DEB_BUILD_OPTIONS= runs them.
# The package build uses its own copy of the tree, so build/ and the worktree stay as they are.
DEB_OUT ?= $(BUILD)/deb
DEB_BUILD_OPTIONS ?= nocheck
deps-deb:
	@scripts/install-deps.sh agent deb
deb: deps-deb
	DEB_BUILD_OPTIONS="$(DEB_BUILD_OPTIONS)" scripts/build-deb.sh $(DEB_OUT)

# The same tree built as an older version, which the rig's systemd guest is installed from and
# upgraded to deb's (tests/e2e/lib/systemd-image.sh). Built in deb's package tree, whose CMake
# tree it reuses: only the packaging runs again.
DEB_PREV_OUT ?= $(BUILD)/deb-prev
DEB_PREV_VERSION := $(VERSION)~prev
deb-prev: deb
	DEB_BUILD_OPTIONS="$(DEB_BUILD_OPTIONS)" scripts/build-deb-as.sh $(DEB_OUT) $(DEB_PREV_VERSION) \
		$(DEB_PREV_OUT)

# Installs, upgrades and purges the packages on this machine and checks what is left: run it
# only on a machine you can throw away (root, DKMS builds the module for the installed headers).
deb-check: deb
	scripts/install-deps.sh dkms
	tests/deb/check.sh $(DEB_OUT)

clean:
	-$(MAKE) -C kmod KDIR=$(KDIR) clean
	rm -rf $(BUILD)
