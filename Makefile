# Thin wrapper: everything real lives in CMake and scripts/.
BUILD ?= build
JOBS ?= $(shell nproc)
CONFIG ?= config/shequd.yaml

.PHONY: deps build run test bench clean

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/daemon/shequd --config $(CONFIG)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

bench: build
	bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD)
