package models

import (
	"slices"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
)

func TestMergeList(t *testing.T) {
	parent := uuid.New()
	a, b, c, foreign := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	storedList := func() []*PaymentGatewayPaymentType {
		var out []*PaymentGatewayPaymentType
		for i, id := range []uuid.UUID{a, b, c} {
			it := &PaymentGatewayPaymentType{PaymentType: []string{"A", "B", "C"}[i]}
			it.ID, it.PaymentGatewayID, it.Position = id, parent, i
			out = append(out, it)
		}
		return out
	}
	item := func(id *uuid.UUID, paymentType string) *PaymentGatewayPaymentTypeInput {
		in := &PaymentGatewayPaymentTypeInput{}
		if id != nil {
			in.ID = graphql.OmittableOf(id)
		}
		if paymentType != "" {
			in.PaymentType = graphql.OmittableOf(&paymentType)
		}
		return in
	}
	tests := []struct {
		name                           string
		sent                           []*PaymentGatewayPaymentTypeInput
		wantNext                       []string
		wantInserts, wantUpdates, dels int
		wantErrors                     []string
	}{
		{"same list changes nothing", []*PaymentGatewayPaymentTypeInput{item(&a, ""), item(&b, ""), item(&c, "")},
			[]string{"A", "B", "C"}, 0, 0, 0, nil},
		{"empty clears", nil, []string{}, 0, 0, 3, nil},
		{"update in place, add, delete", []*PaymentGatewayPaymentTypeInput{item(&a, "A2"), item(nil, "D")},
			[]string{"A2", "D"}, 1, 1, 2, nil},
		{"moved items are updated", []*PaymentGatewayPaymentTypeInput{item(&c, ""), item(&a, ""), item(&b, "")},
			[]string{"C", "A", "B"}, 0, 3, 0, nil},
		{"unknown and repeated ids keep indexes", []*PaymentGatewayPaymentTypeInput{item(&foreign, "X"), item(&a, ""), item(&a, "Y"), item(nil, "Z")},
			[]string{"X", "A", "Y", "Z"}, 1, 1, 2, []string{"paymentTypes.0.id:NOT_FOUND", "paymentTypes.2.id:DUPLICATE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPatch()
			l := mergeList(p, "paymentTypes", parent, storedList(), tt.sent,
				func() *PaymentGatewayPaymentType { return new(PaymentGatewayPaymentType) }, mergePaymentType(parent))
			var next []string
			for i, it := range l.next {
				next = append(next, it.PaymentType)
				if it.Position != i || it.PaymentGatewayID != parent || it.ID == uuid.Nil {
					t.Errorf("item %d placed at %d under %s with id %s", i, it.Position, it.PaymentGatewayID, it.ID)
				}
			}
			if next == nil {
				next = []string{}
			}
			if !slices.Equal(next, tt.wantNext) || len(l.inserts) != tt.wantInserts || len(l.updates) != tt.wantUpdates || len(l.deletes) != tt.dels {
				t.Errorf("next %v inserts %d updates %d deletes %d; want %v %d %d %d",
					next, len(l.inserts), len(l.updates), len(l.deletes), tt.wantNext, tt.wantInserts, tt.wantUpdates, tt.dels)
			}
			if got := violationKeys(p.Violations); !slices.Equal(got, tt.wantErrors) {
				t.Errorf("violations = %v, want %v", got, tt.wantErrors)
			}
			if changed := tt.wantInserts+tt.wantUpdates+tt.dels > 0; p.changed() != changed {
				t.Errorf("changed = %v, want %v", p.changed(), changed)
			}
		})
	}
}
