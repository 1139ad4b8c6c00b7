package main

import (
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// defaultGOGC is the garbage collector's target when GOGC is unset: the heap may grow to 4×
// what is live before a collection, not 2×. A request allocates some 50 KB and keeps none of
// it, and the live heap is ~10 MiB, so collections ran every couple of hundred requests and
// took a tenth of the server's CPU; at 300 they take a third as much (see go run ./bench).
const defaultGOGC = 300

// minMemoryLimit is the soft limit of the Go runtime's memory (heap, stacks, runtime; not the
// executable's pages) when GOMEMLIMIT is unset, as long as the live heap is small: the server
// uses ~17 MiB idle. Under load, GOGC 300 let the heap reach 4× what is live: at 32 concurrent
// gateway updates RSS peaked at 75–90 MiB, where with this limit collections come sooner
// and it stays under ~64 MiB, for no CPU the bench can tell apart from its noise.
const minMemoryLimit = 36 << 20

func init() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGOGC)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit(0))
		go followLiveHeap(time.Second, nil)
	}
}

// memoryLimit is the soft memory limit for a live heap of live bytes: minMemoryLimit, or twice
// the live heap and 16 MiB when that is more, so that a large live heap (many open
// subscriptions, say) keeps room to allocate and the collector never runs back to back.
func memoryLimit(live uint64) int64 {
	return int64(max(minMemoryLimit, min(2*live+16<<20, math.MaxInt64/2)))
}

// followLiveHeap moves the memory limit with the live heap every interval until stop closes.
func followLiveHeap(interval time.Duration, stop <-chan struct{}) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 {
			debug.SetMemoryLimit(memoryLimit(sample[0].Value.Uint64()))
		}
	}
}
