package main

import (
	"os"
	"runtime/debug"
)

// defaultGOGC is the garbage collector's target when GOGC is unset: the heap may grow to 4×
// what is live before a collection, not 2×. A request allocates some 50 KB and keeps none of
// it, and the live heap is ~10 MiB, so collections ran every couple of hundred requests and
// took a tenth of the server's CPU; at 300 they take a third as much, for ~10 MiB more RSS
// (see go run ./bench). GOGC and GOMEMLIMIT still override it.
const defaultGOGC = 300

func init() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGOGC)
	}
}
