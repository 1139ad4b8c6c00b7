package main

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// The memory limit is minMemoryLimit while the live heap is small, and follows a large live
// heap so that the collector keeps room to work.
func TestMemoryLimitFollowsLiveHeap(t *testing.T) {
	if got := memoryLimit(4 << 20); got != minMemoryLimit {
		t.Errorf("limit for 4 MiB live: %d MiB, want %d", got>>20, minMemoryLimit>>20)
	}
	if got := memoryLimit(100 << 20); got != 216<<20 {
		t.Errorf("limit for 100 MiB live: %d MiB, want 216", got>>20)
	}
	if got := memoryLimit(1 << 63); got <= 0 {
		t.Errorf("limit for a huge heap overflows: %d", got)
	}
	// The governor the server runs (init starts it unless GOMEMLIMIT is set) moves the
	// runtime's limit once the live heap grows.
	old := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(old)
	debug.SetMemoryLimit(minMemoryLimit)
	stop := make(chan struct{})
	defer close(stop)
	go followLiveHeap(10*time.Millisecond, stop)
	keep := make([][]byte, 0, 80)
	for range 80 {
		keep = append(keep, make([]byte, 1<<20))
	}
	runtime.GC()
	deadline := time.Now().Add(5 * time.Second)
	for debug.SetMemoryLimit(-1) < 2*(80<<20) {
		if time.Now().After(deadline) {
			t.Fatalf("limit %d MiB with 80 MiB live", debug.SetMemoryLimit(-1)>>20)
		}
		time.Sleep(10 * time.Millisecond)
	}
	runtime.KeepAlive(keep)
}
