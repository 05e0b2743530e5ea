# corio: the two commands are `make demo` and `make test`; see README.md.
BUILD ?= build
CMAKE_FLAGS ?=
PREFIX ?= /usr/local
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps configure build test demo bench soak fuzz install clean

all: build

# Each target first installs the Debian packages of its groups, only those
# missing (scripts/install-deps): `make` only what building needs; test,
# bench, demo and fuzz add theirs, then configure again so that CMake finds
# them (Criterion for the tests, libuv for the echo anchor).
deps:
	@scripts/install-deps build

$(BUILD)/build.ninja:
	@scripts/install-deps build
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

configure: $(BUILD)/build.ninja

build: deps configure
	cmake --build $(BUILD) -j $(JOBS)

# $(call with_deps,GROUPS): install those groups too, configure, build.
define with_deps
	@scripts/install-deps build $(1)
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)
endef

TEST_ARGS ?=
test:
	$(call with_deps,test browser)
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) $(TEST_ARGS)

# The seed's website checker, four ways (sequential, processes, threads,
# async) on a local fake web: a table and build/demo/compare.png.
demo:
	$(call with_deps,demo)
	scripts/demo.sh $(BUILD)

bench:
	$(call with_deps,bench)
	$(BUILD)/bin/bench-switch
	$(BUILD)/bin/bench-switch-shared
	$(BUILD)/bin/bench-spawn
	$(BUILD)/bin/bench-sleepers 100000
	$(BUILD)/bin/bench-sleepers 1000000 --stack 4096
	$(BUILD)/bin/bench-queue
	$(BUILD)/bin/bench-lock
	$(BUILD)/bin/bench-to-thread
	$(BUILD)/bin/bench-tsqueue
	$(BUILD)/bin/bench-echo
	$(BUILD)/bin/bench-http
	bench/bench_check.sh $(BUILD)/bin
	/usr/bin/python3 bench/bench_crawl.py $(BUILD)
	$(BUILD)/bin/bench-pubsub 1000 10000
	$(BUILD)/bin/bench-pubsub 1000 10000 --fleet 3
	/usr/bin/python3 bench/bench_crawl_fleet.py $(BUILD)
	$(BUILD)/bin/bench-animals
	$(BUILD)/bin/bench-pg
	$(BUILD)/bin/bench-redis

# hello-server and corio-pubsub for about 2.5 minutes under churn, resets,
# slowloris and descriptor exhaustion, RSS and descriptors sampled (not part
# of make test or CI): fails if they grow from round to round or if new
# clients are not served once the pressure stops.
SOAK_ARGS ?=
soak:
	$(call with_deps,soak)
	/usr/bin/python3 scripts/soak.py $(BUILD)/bin $(SOAK_ARGS)

# Each libFuzzer target for FUZZ_SECONDS (clang, ASan + UBSan); new inputs
# that find coverage go to build-fuzz/corpus/<name>, the seeds stay as they are.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= url http_server http_client redis_reply sse crawl_links robots
fuzz:
	@scripts/install-deps build fuzz
	cmake -S . -B build-fuzz -G Ninja -DCMAKE_C_COMPILER=clang -DCORIO_FUZZ=ON -DCORIO_TESTS=OFF \
	  -DCORIO_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build-fuzz -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p build-fuzz/corpus/$$t && \
	  build-fuzz/bin/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=4096 \
	    build-fuzz/corpus/$$t fuzz/corpus/$$t || exit 1; \
	done

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD)
