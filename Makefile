# hanet: the two commands a newcomer needs are `make demo` and `make test`.
PREFIX ?= /usr
DESTDIR ?=
# Pacemaker looks here whatever PREFIX is.
OCF_ROOT ?= /usr/lib/ocf
SYSCONFDIR ?= /etc
LIBEXECDIR ?= $(PREFIX)/lib/hanet
MANDIR ?= $(PREFIX)/share/man
AGENTS = bond bridge vhostnet
UNITDIR ?= /lib/systemd/system
DOCDIR ?= $(PREFIX)/share/doc/hanet
SWIFT ?= swift
# libstdc++ is linked statically as well: resolving libstdc++.so's symbols
# was three quarters of an agent's start-up (bench/start-floor.sh). swiftc's
# -L puts this folder, holding only libstdc++.a, ahead of gcc's, so the
# -lstdc++ of the static Swift stdlib finds the archive.
STATIC_CXX = .build/static-libstdc++
RELEASE_FLAGS = -c release --static-swift-stdlib -Xswiftc -L -Xswiftc $(abspath $(STATIC_CXX))
BIN = .build/release

.PHONY: all deps build release demo test test-unit test-netns test-vm man docs install uninstall bench deb clean

all: release

## Install every Debian package needed to build, test and demonstrate.
deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build

## Agents are built with the static Swift stdlib: Pacemaker starts them every few seconds.
release: deps $(STATIC_CXX)/libstdc++.a
	$(SWIFT) build $(RELEASE_FLAGS) --product hanet-agent
	$(SWIFT) build $(RELEASE_FLAGS) --product hanet

$(STATIC_CXX)/libstdc++.a:
	@mkdir -p $(STATIC_CXX)
	@lib=$$(gcc -print-file-name=libstdc++.a); case $$lib in /*) ln -sfn "$$lib" $@;; \
	  *) echo "libstdc++.a not found (libstdc++-12-dev): cannot link the agents' C++ runtime statically" >&2; exit 1;; esac

## The main job: install, build, and run the two-host demonstration under a
## real Pacemaker cluster (scripts/demo.sh installs packages and builds itself).
demo:
	bash scripts/demo.sh

## All test tiers (unit, netns, VM, agents); the closing line is "N passed, N failed".
test: deps
	bash scripts/test.sh

test-unit: deps
	HANET_TIERS=unit bash scripts/test.sh
test-netns: deps
	HANET_TIERS=netns bash scripts/test.sh
test-vm: deps
	HANET_TIERS=vm bash scripts/test.sh

## Benchmarks (results and the commands that produced them: BENCHMARKS.md).
bench: release
	bash bench/start-floor.sh
	bash bench/bridge-monitor.sh
	bash bench/vhostnet.sh
	bash bench/bond-monitor.sh

## Regenerate man/ from the agents' meta-data (a test fails when it is stale).
man: build
	.build/debug/hanet man --write man

## API documentation (DocC) of the library targets, one static site in $(DOCS_OUT):
## `python3 -m http.server -d $(DOCS_OUT)`, then /documentation/. Set DOCS_BASE_PATH
## when the site is served below / (e.g. DOCS_BASE_PATH=hanet for /hanet/).
## swift-docc-plugin is a dependency only while HANET_DOCS is set (Package.swift),
## in its own scratch folder; the Package.resolved it writes is put back afterwards,
## so plain builds never resolve or check it out.
DOCS_TARGETS ?= HanetSystem HanetNetlink HanetLinks HanetFirewall HanetHost HanetOCF HanetAgents HanetTesting
DOCS_OUT ?= out/docs
DOCS_BASE_PATH ?=
DOCC_FLAGS ?=
docs: deps
	@rm -rf $(DOCS_OUT) && mkdir -p $(DOCS_OUT)
	@keep=$$(mktemp); cp Package.resolved "$$keep" 2>/dev/null || rm -f "$$keep"; \
	HANET_DOCS=1 $(SWIFT) package --scratch-path .build/docc --allow-writing-to-directory $(DOCS_OUT) \
	  generate-documentation $(addprefix --target ,$(DOCS_TARGETS)) \
	  --enable-experimental-combined-documentation --output-path $(DOCS_OUT) \
	  $(if $(DOCS_BASE_PATH),--hosting-base-path $(DOCS_BASE_PATH)) $(DOCC_FLAGS); \
	rc=$$?; if [ -e "$$keep" ]; then mv "$$keep" Package.resolved; else rm -f Package.resolved; fi; exit $$rc

## Agents, LSB links, the CLI and man pages; honours DESTDIR and PREFIX.
install: release
	install -d $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(OCF_ROOT)/resource.d/hanet $(DESTDIR)$(SYSCONFDIR)/init.d \
	  $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(MANDIR)/man7
	install -m 0755 $(BIN)/hanet-agent $(DESTDIR)$(LIBEXECDIR)/hanet-agent
	install -m 0755 $(BIN)/hanet $(DESTDIR)$(PREFIX)/sbin/hanet
	# Relative links: they resolve inside DESTDIR too (staged installs, packages).
	for a in $(AGENTS); do \
	  ln -sfnr $(DESTDIR)$(LIBEXECDIR)/hanet-agent $(DESTDIR)$(OCF_ROOT)/resource.d/hanet/$$a; \
	  ln -sfnr $(DESTDIR)$(LIBEXECDIR)/hanet-agent $(DESTDIR)$(SYSCONFDIR)/init.d/hanet-$$a; \
	done
	install -d $(DESTDIR)$(MANDIR)/man8
	install -m 0644 man/*.7 $(DESTDIR)$(MANDIR)/man7/
	install -m 0644 man/hanet.8 $(DESTDIR)$(MANDIR)/man8/
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)/examples
	install -m 0644 agents/hanet-vhostnet-block.service $(DESTDIR)$(UNITDIR)/
	install -m 0755 agents/hanet-vhostnet-block.init $(DESTDIR)$(SYSCONFDIR)/init.d/hanet-vhostnet-block
	install -m 0644 agents/examples/default-hanet-* $(DESTDIR)$(DOCDIR)/examples/

uninstall:
	for a in $(AGENTS); do rm -f $(DESTDIR)$(OCF_ROOT)/resource.d/hanet/$$a $(DESTDIR)$(SYSCONFDIR)/init.d/hanet-$$a; done
	rmdir $(DESTDIR)$(OCF_ROOT)/resource.d/hanet 2>/dev/null || true
	rm -f $(DESTDIR)$(LIBEXECDIR)/hanet-agent $(DESTDIR)$(PREFIX)/sbin/hanet
	rmdir $(DESTDIR)$(LIBEXECDIR) 2>/dev/null || true
	for m in man/*.7; do rm -f $(DESTDIR)$(MANDIR)/man7/$$(basename $$m); done
	rm -f $(DESTDIR)$(MANDIR)/man8/hanet.8
	rm -f $(DESTDIR)$(UNITDIR)/hanet-vhostnet-block.service $(DESTDIR)$(SYSCONFDIR)/init.d/hanet-vhostnet-block
	rm -rf $(DESTDIR)$(DOCDIR)/examples

clean:
	rm -rf .build .vm out

## Debian package out/hanet_<version>_<arch>.deb (version in packaging/VERSION; lintian-clean).
deb: release
	BIN="$(BIN)" bash packaging/build-deb.sh

## libFuzzer targets over every decoder of kernel and file input (fuzz/README.md):
## build into .build/fuzz, seed from the golden captures, run each target
## FUZZ_SECONDS (crash artefacts in .build/fuzz/crashes).
FUZZ_SECONDS ?= 60
.PHONY: fuzz
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash fuzz/run all
