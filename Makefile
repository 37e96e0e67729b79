# hanet: the two commands a newcomer needs are `make demo` and `make test`.
PREFIX ?= /usr
DESTDIR ?=
OCF_ROOT ?= $(PREFIX)/lib/ocf
SWIFT ?= swift
RELEASE_FLAGS = -c release --static-swift-stdlib
BIN = .build/release

.PHONY: all deps build release demo test test-unit test-netns test-vm man install uninstall bench deb clean

all: release

## Install every Debian package needed to build, test and demonstrate.
deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build

## Agents are built with the static Swift stdlib: Pacemaker starts them every few seconds.
release: deps
	$(SWIFT) build $(RELEASE_FLAGS)

## The main job: install, build, and run the demonstration.
demo: release
	$(BIN)/hanet demo

## All test tiers (unit, netns, VM, agents); the closing line is "N passed, N failed".
test: deps
	bash scripts/test.sh

test-unit: deps
	HANET_TIERS=unit bash scripts/test.sh
test-netns: deps
	HANET_TIERS=netns bash scripts/test.sh
test-vm: deps
	HANET_TIERS=vm bash scripts/test.sh

clean:
	rm -rf .build .vm out
