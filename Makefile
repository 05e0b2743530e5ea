# corio: the two commands are `make demo` and `make test`; see README.md.
BUILD ?= build
CMAKE_FLAGS ?=
PREFIX ?= /usr/local
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps configure build test demo bench install clean

all: build

deps:
	@scripts/install-deps

$(BUILD)/build.ninja:
	@scripts/install-deps
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

configure: $(BUILD)/build.ninja

build: deps configure
	cmake --build $(BUILD) -j $(JOBS)

TEST_ARGS ?=
test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) $(TEST_ARGS)

# Until the website checker lands, the demo shows the core at work: the seeds'
# concurrent factorials, dinner cooked sequentially vs concurrently, and a
# trio-style nursery.
demo: build
	$(BUILD)/bin/gather_factorial
	$(BUILD)/bin/cooking_dinner
	$(BUILD)/bin/nursery_parent

bench: build
	$(BUILD)/bin/bench-switch
	$(BUILD)/bin/bench-switch-shared
	$(BUILD)/bin/bench-spawn
	$(BUILD)/bin/bench-sleepers 100000
	$(BUILD)/bin/bench-sleepers 1000000 --stack 4096
	$(BUILD)/bin/bench-queue
	$(BUILD)/bin/bench-lock
	$(BUILD)/bin/bench-to-thread
	$(BUILD)/bin/bench-echo
	$(BUILD)/bin/bench-pubsub 1000 10000
	$(BUILD)/bin/bench-animals

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD)
