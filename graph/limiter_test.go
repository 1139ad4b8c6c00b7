package graph

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	l := newLimiter(2)
	r1, err1 := l.acquire(t.Context())
	_, err2 := l.acquire(t.Context())
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := l.acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a third place while two are held: %v", err)
	}
	got := make(chan error, 1)
	go func() {
		_, err := l.acquire(t.Context())
		got <- err
	}()
	select {
	case <-got:
		t.Fatal("acquired before a release")
	case <-time.After(20 * time.Millisecond):
	}
	r1()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a release let no waiter in")
	}
}
