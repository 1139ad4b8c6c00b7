package graph

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// The fast list path writes a list root field's answer straight into bytes when every field
// selected under it is a plain value (a column, a masked secret, __typename) or a child list of
// plain values: no per-field resolver call, field context, goroutine or marshaler, which is
// what gqlgen's generic execution spends on each of the thousands of fields of such a list
// (about 1 µs each, and 25 bytes allocated per byte answered). The records and child lists
// are loaded by the same resolvers and store calls as on the generic path, so the statements,
// the access checks and the answer are the same; field order, aliases, fragments and
// @skip/@include come from gqlgen's own graphql.CollectFields.
//
// Anything else — an argument on a selected field (history), @defer, a field the tables
// below do not know, an error from a resolver — leaves the whole root field to gqlgen, which
// then answers exactly as it always did, errors included.

// fastRoot answers one root field on the fast path; ok is false to leave it to gqlgen.
type fastRoot func(ctx context.Context, f graphql.CollectedField) (out graphql.Marshaler, ok bool)

// fastRoots are the root fields of Query the fast path can answer, by name.
func (r *Resolver) fastRoots() map[string]fastRoot {
	return map[string]fastRoot{
		"customerPaymentGateways": r.fastGateways(),
	}
}

// fastLists returns the root field middleware that takes the fast path where it can.
func fastLists(roots map[string]fastRoot) graphql.RootFieldMiddleware {
	return func(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
		rf := graphql.GetRootFieldContext(ctx)
		// RootFieldContext.Object holds the field's name, not its type's: the operation says.
		if op := graphql.GetOperationContext(ctx).Operation; rf == nil || op == nil || op.Operation != ast.Query {
			return next(ctx)
		}
		root, found := roots[rf.Field.Name]
		if !found {
			return next(ctx)
		}
		if out, ok := root(ctx, rf.Field); ok {
			return out
		}
		return next(ctx)
	}
}

// fastAnswer is an answer written in advance, in a buffer of answerBuffers after answerHead
// bytes of room, so that a large answer's buffer is neither allocated nor cleared again for
// every request. gqlgen writes the data of a response into a bytes.Buffer: an answer that
// comes first in it takes the buffer over (the bytes before it move into the room), rather
// than being copied, and its buffer goes back to answerBuffers once writeDirectly has written
// the response (adopted); otherwise the answer is copied and its buffer goes back at once.
type fastAnswer struct {
	buf     *[]byte
	adopted *adoptedAnswer
}

// answerHead is the room an answer buffer keeps before its answer for what the response
// holds before it: `{"customerPaymentGateways":`, say.
const answerHead = 256

// adoptedAnswer holds the answer buffer a response took over, until the response is written
// (writeDirectly); a response that is not written directly leaves it to the collector.
type adoptedAnswer struct{ buf *[]byte }

type adoptedKey struct{}

// withAdoption returns ctx under which a response may take an answer's buffer over.
func withAdoption(ctx context.Context) context.Context {
	return context.WithValue(ctx, adoptedKey{}, &adoptedAnswer{})
}

func adoptionIn(ctx context.Context) *adoptedAnswer {
	a, _ := ctx.Value(adoptedKey{}).(*adoptedAnswer)
	return a
}

// release gives the adopted buffer back for the next answer: the response that held it has
// been written.
func (a *adoptedAnswer) release() {
	if a != nil && a.buf != nil {
		putAnswerBuffer(a.buf)
		a.buf = nil
	}
}

// MarshalGQL writes the answer: into its own buffer taken over by w, or copied.
func (a *fastAnswer) MarshalGQL(w io.Writer) {
	if a.buf == nil {
		return
	}
	buf := *a.buf
	if b, ok := w.(*bytes.Buffer); ok && a.adopted != nil && a.adopted.buf == nil && b.Len() <= answerHead {
		start := answerHead - b.Len()
		copy(buf[start:], b.Bytes())
		*b = *bytes.NewBuffer(buf[start:])
		a.adopted.buf, a.buf = a.buf, nil
		return
	}
	_, _ = w.Write(buf[answerHead:])
	putAnswerBuffer(a.buf)
	a.buf = nil
}

// answerBuffers holds the buffers of answers written.
var answerBuffers sync.Pool

// maxPooledAnswer bounds the buffers kept for reuse.
const maxPooledAnswer = 8 << 20

// getAnswerBuffer returns a buffer for an answer: answerHead bytes of room, to append to.
func getAnswerBuffer(hint *sizeHint) *[]byte {
	if b, ok := answerBuffers.Get().(*[]byte); ok {
		return b
	}
	b := hint.buffer()[:answerHead]
	return &b
}

func putAnswerBuffer(b *[]byte) {
	if cap(*b) <= maxPooledAnswer {
		*b = (*b)[:answerHead]
		answerBuffers.Put(b)
	}
}

// leaf appends the value of one plain field of v; ok is false when it cannot (a secret that
// does not open), which leaves the root field to gqlgen.
type leaf[T any] func(buf []byte, v T) (out []byte, ok bool)

// objectType is what the fast path knows of a GraphQL object type backed by T.
type objectType[T any] struct {
	name   string
	leaves map[string]leaf[T]
	// lists are the child lists of T that are loaded for many parents at once.
	lists map[string]childList[T]
}

// childList is a list field of a parent type P whose items are written on the fast path.
type childList[P any] interface {
	// compile plans the list's selection; ok is false when the fast path cannot write it.
	compile(oc *graphql.OperationContext, sel ast.SelectionSet) (listLoader[P], bool)
}

// listLoader loads a planned child list for every parent at once.
type listLoader[P any] interface {
	// load reads the lists of parents, and returns what writes the list of parents[i].
	load(ctx context.Context, parents []P) (func(buf []byte, i int) ([]byte, bool), error)
}

// plan is a selection compiled against an object type: what to write, in order.
type plan[T any] struct {
	fields []plannedField[T]
}

// plannedField is one response key of a plan.
type plannedField[T any] struct {
	key  []byte // `"alias":`
	leaf leaf[T]
	list listLoader[T]
}

// compile plans sel on t, as gqlgen collects it: fragments spread, @skip/@include applied,
// fields of one response key merged, in the order of the document.
func (t *objectType[T]) compile(oc *graphql.OperationContext, sel ast.SelectionSet) (*plan[T], bool) {
	fields := graphql.CollectFields(oc, sel, []string{t.name})
	p := &plan[T]{fields: make([]plannedField[T], 0, len(fields))}
	seen := make(map[string]bool, len(fields))
	for _, f := range fields {
		if seen[f.Alias] {
			continue
		}
		seen[f.Alias] = true
		if len(f.Arguments) > 0 || len(f.Deferrables) > 0 {
			return nil, false
		}
		pf := plannedField[T]{key: append(appendString(nil, f.Alias), ':')}
		switch {
		case f.Name == "__typename":
			name := appendString(nil, t.name)
			pf.leaf = func(buf []byte, _ T) ([]byte, bool) { return append(buf, name...), true }
		case t.leaves[f.Name] != nil:
			if len(f.Selections) > 0 {
				return nil, false
			}
			pf.leaf = t.leaves[f.Name]
		case t.lists[f.Name] != nil:
			l, ok := t.lists[f.Name].compile(oc, f.Selections)
			if !ok {
				return nil, false
			}
			pf.list = l
		default:
			return nil, false
		}
		p.fields = append(p.fields, pf)
	}
	return p, true
}

// flat reports whether the plan writes plain values only.
func (p *plan[T]) flat() bool {
	for _, f := range p.fields {
		if f.list != nil {
			return false
		}
	}
	return true
}

// appendList writes items as a JSON array of objects, loading the child lists of all of
// them first, each with one statement, concurrently (as gqlgen's batch resolvers do).
func (p *plan[T]) appendList(ctx context.Context, buf []byte, items []T) ([]byte, bool, error) {
	writers := make([]func([]byte, int) ([]byte, bool), len(p.fields))
	errs := make([]error, len(p.fields))
	var wg sync.WaitGroup
	for i, f := range p.fields {
		if f.list != nil {
			wg.Go(func() { writers[i], errs[i] = f.list.load(ctx, items) })
		}
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return buf, false, err
		}
	}
	buf = append(buf, '[')
	for i, it := range items {
		if i > 0 {
			buf = append(buf, ',')
		}
		var ok bool
		if buf, ok = p.appendObject(buf, it, writers, i); !ok {
			return buf, false, nil
		}
	}
	return append(buf, ']'), true, nil
}

// appendObject writes v, the i-th item of its list, whose child lists writers write.
func (p *plan[T]) appendObject(buf []byte, v T, writers []func([]byte, int) ([]byte, bool), i int) ([]byte, bool) {
	buf = append(buf, '{')
	ok := true
	for j, f := range p.fields {
		if j > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, f.key...)
		if f.leaf != nil {
			buf, ok = f.leaf(buf, v)
		} else {
			buf, ok = writers[j](buf, i)
		}
		if !ok {
			return buf, false
		}
	}
	return append(buf, '}'), true
}

// children is a child list of P with items C, read for many parents by one call.
type children[P, C any] struct {
	item *objectType[C]
	read func(ctx context.Context, parents []P) ([][]C, error)
}

func (c children[P, C]) compile(oc *graphql.OperationContext, sel ast.SelectionSet) (listLoader[P], bool) {
	p, ok := c.item.compile(oc, sel)
	if !ok || !p.flat() {
		return nil, false
	}
	return childLoader[P, C]{plan: p, read: c.read}, true
}

// childLoader is a compiled child list.
type childLoader[P, C any] struct {
	plan *plan[C]
	read func(ctx context.Context, parents []P) ([][]C, error)
}

func (c childLoader[P, C]) load(ctx context.Context, parents []P) (func([]byte, int) ([]byte, bool), error) {
	lists, err := c.read(ctx, parents)
	if err != nil {
		return nil, err
	}
	return func(buf []byte, i int) ([]byte, bool) {
		buf = append(buf, '[')
		for k, it := range lists[i] {
			if k > 0 {
				buf = append(buf, ',')
			}
			var ok bool
			if buf, ok = c.plan.appendObject(buf, it, nil, k); !ok {
				return buf, false
			}
		}
		return append(buf, ']'), true
	}, nil
}

// bigReads bounds how many fast answers are loaded and written at once: each holds its records
// and its answer (a few megabytes for 100 gateways with their lists), and the work is CPU
// and database time that more at once would only interleave, not speed up. With 32 clients
// reading at once, the others wait holding nothing, which keeps the server's memory to that
// of a few reads instead of 32 (peak RSS 190 MiB at c32 otherwise).
var bigReads = newLimiter(2 * runtime.GOMAXPROCS(0))

// limiter is a counting semaphore whose waiters queue in order.
type limiter chan struct{}

func newLimiter(n int) limiter { return make(limiter, max(n, 1)) }

// acquire waits for a place, or for ctx to end; release gives the place back.
func (l limiter) acquire(ctx context.Context) (release func(), err error) {
	select {
	case l <- struct{}{}:
		return func() { <-l }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// sizeHint remembers how large a fast answer was, so that the next one of its kind starts
// with a buffer of about its size instead of growing to it by doubling.
type sizeHint struct{ n atomic.Int64 }

func (h *sizeHint) buffer() []byte { return make([]byte, 0, answerHead+h.n.Load()+h.n.Load()/8+512) }

func (h *sizeHint) note(buf []byte) { h.n.Store(int64(len(buf) - answerHead)) }
