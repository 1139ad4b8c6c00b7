package models

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
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
			items := storedList()
			l := paymentTypeList.replace(p, parent, graphql.OmittableOf(tt.sent), &items).(*listSync[*PaymentGatewayPaymentType])
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

func TestUpsertList(t *testing.T) {
	parent := uuid.New()
	a, b, foreign := uuid.New(), uuid.New(), uuid.New()
	byKey := list[PaymentGatewayPaymentType, *PaymentGatewayPaymentType, *PaymentGatewayPaymentTypeInput]{
		field: "paymentTypes", merge: mergePaymentType,
		naturalKey: func(in *PaymentGatewayPaymentTypeInput) (string, bool) {
			v := in.PaymentType.Value()
			return derefOr(v), v != nil
		},
		itemKey: func(it *PaymentGatewayPaymentType) string { return it.PaymentType },
	}
	stored := func() []*PaymentGatewayPaymentType {
		var out []*PaymentGatewayPaymentType
		for i, id := range []uuid.UUID{a, b} {
			it := &PaymentGatewayPaymentType{PaymentType: []string{"A", "B"}[i]}
			it.ID, it.PaymentGatewayID, it.Position = id, parent, i+5
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
		name                   string
		sent                   []*PaymentGatewayPaymentTypeInput
		remove                 []uuid.UUID
		wantNext               []string
		inserts, updates, dels int
		wantErrors             []string
	}{
		{"nothing sent", nil, nil, []string{"A", "B"}, 0, 0, 0, nil},
		{"matched by key is unchanged", []*PaymentGatewayPaymentTypeInput{item(nil, "B")}, nil, []string{"A", "B"}, 0, 0, 0, nil},
		{"by id updates, new key inserts at the end, others stay", []*PaymentGatewayPaymentTypeInput{item(&a, "A2"), item(nil, "C")}, nil,
			[]string{"A2", "B", "C"}, 1, 1, 0, nil},
		{"removal", nil, []uuid.UUID{b}, []string{"A"}, 0, 0, 1, nil},
		{"unknown ids are NOT_FOUND at their index", []*PaymentGatewayPaymentTypeInput{item(&foreign, "X")}, []uuid.UUID{a, foreign},
			[]string{"B"}, 0, 0, 1, []string{"removeIds.1:NOT_FOUND", "paymentTypes.0.id:NOT_FOUND"}},
		{"sent and removed", []*PaymentGatewayPaymentTypeInput{item(&a, "A2")}, []uuid.UUID{a}, []string{"B"}, 0, 0, 1,
			[]string{"paymentTypes.0.id:INVALID"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPatch()
			items := stored()
			w := byKey.upsert(p, parent, graphql.OmittableOf(tt.sent), "removeIds", tt.remove, &items)
			var next []string
			for _, it := range items {
				next = append(next, it.PaymentType)
			}
			if !slices.Equal(next, tt.wantNext) {
				t.Errorf("next = %v, want %v", next, tt.wantNext)
			}
			if got := violationKeys(p.Violations); !slices.Equal(got, tt.wantErrors) {
				t.Errorf("violations = %v, want %v", got, tt.wantErrors)
			}
			if w == nil {
				if tt.inserts+tt.updates+tt.dels != 0 {
					t.Errorf("no writer, want %d inserts %d updates %d deletes", tt.inserts, tt.updates, tt.dels)
				}
				return
			}
			l := w.(*listSync[*PaymentGatewayPaymentType])
			if len(l.inserts) != tt.inserts || len(l.updates) != tt.updates || len(l.deletes) != tt.dels {
				t.Errorf("inserts %d updates %d deletes %d; want %d %d %d", len(l.inserts), len(l.updates), len(l.deletes), tt.inserts, tt.updates, tt.dels)
			}
			for _, it := range l.inserts {
				if it.Position <= 6 || it.PaymentGatewayID != parent {
					t.Errorf("new item at position %d under %s, want after the stored ones", it.Position, it.PaymentGatewayID)
				}
			}
		})
	}
}

func derefOr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func TestDuplicateOf(t *testing.T) {
	unique := map[string]Path{"sub_dealers_code_key": {"code"}}
	race := fmt.Errorf("insert: %w", &pgconn.PgError{Code: "23505", ConstraintName: "sub_dealers_code_key"})
	if path, ok := duplicateOf(race, unique); !ok || !slices.Equal(path, Path{"code"}) {
		t.Errorf("known constraint: %v %v", path, ok)
	}
	other := &pgconn.PgError{Code: "23505", ConstraintName: "elsewhere"}
	if path, ok := duplicateOf(other, unique); !ok || len(path) != 0 {
		t.Errorf("unknown constraint: %v %v", path, ok)
	}
	for _, err := range []error{nil, errors.New("boom"), &pgconn.PgError{Code: "23503"}} {
		if _, ok := duplicateOf(err, unique); ok {
			t.Errorf("%v taken for a duplicate", err)
		}
	}
}
