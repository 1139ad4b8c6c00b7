package models

import (
	"slices"
	"strings"
	"testing"
)

func fee(paymentType, lo, hi string) *ConvenienceFee {
	return &ConvenienceFee{PaymentType: paymentType, MinRange: money(lo), MaxRange: money(hi)}
}

func TestRangesOverlap(t *testing.T) {
	tests := []struct {
		name   string
		a, b   *ConvenienceFee
		want   bool
		reason string
	}{
		{"disjoint", fee("C", "0", "10"), fee("C", "20", "30"), false, ""},
		{"touching", fee("C", "0", "100"), fee("C", "100", "200"), false, "tiers may chain"},
		{"touching reversed", fee("C", "100", "200"), fee("C", "0", "100"), false, ""},
		{"one cent of overlap", fee("C", "0", "100.01"), fee("C", "100", "200"), true, ""},
		{"contained", fee("C", "0", "100"), fee("C", "10", "20"), true, ""},
		{"equal ranges", fee("C", "5", "50"), fee("C", "5", "50"), true, ""},
		{"equal point ranges", fee("C", "7", "7"), fee("C", "7", "7"), true, "equal bounds twice"},
		{"point inside a range", fee("C", "0", "100"), fee("C", "50", "50"), true, ""},
		{"point on a boundary", fee("C", "0", "100"), fee("C", "100", "100"), false, "touches only"},
		{"null min is 0", fee("C", "", "10"), fee("C", "0", "5"), true, ""},
		{"null max is unbounded", fee("C", "100", ""), fee("C", "5000", "6000"), true, ""},
		{"both unbounded", fee("C", "", ""), fee("C", "", ""), true, ""},
		{"unbounded touching", fee("C", "", "100"), fee("C", "100", ""), false, ""},
	}
	for _, tt := range tests {
		if got := rangesOverlap(tt.a, tt.b); got != tt.want {
			t.Errorf("%s: rangesOverlap = %v, want %v %s", tt.name, got, tt.want, tt.reason)
		}
		if got := rangesOverlap(tt.b, tt.a); got != tt.want {
			t.Errorf("%s (swapped): rangesOverlap = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestGatewayValidate(t *testing.T) {
	valid := func() *CustomerPaymentGateway {
		return &CustomerPaymentGateway{
			DisplayName: "Main", MinPaymentAmount: money("1"), MaxPaymentAmount: money("100"),
			Lists: GatewayLists{
				BillTypes:       []*PaymentGatewayBillType{{BillTypeID: 1}, {BillTypeID: 2}},
				PaymentTypes:    []*PaymentGatewayPaymentType{{PaymentType: "CARD"}, {PaymentType: "ACH"}},
				ConvenienceFees: []*ConvenienceFee{fee("CARD", "0", "100"), fee("CARD", "100", ""), fee("ACH", "0", "100")},
			},
		}
	}
	tests := []struct {
		name   string
		change func(g *CustomerPaymentGateway)
		want   []string
	}{
		{"valid", func(*CustomerPaymentGateway) {}, nil},
		{"equal min and max", func(g *CustomerPaymentGateway) { g.MaxPaymentAmount = money("1") }, nil},
		{"min above max", func(g *CustomerPaymentGateway) { g.MinPaymentAmount = money("100.01") }, []string{"maxPaymentAmount:OUT_OF_RANGE"}},
		{"blank display name", func(g *CustomerPaymentGateway) { g.DisplayName = " " }, []string{"displayName:REQUIRED"}},
		{"negative amounts", func(g *CustomerPaymentGateway) {
			g.MinPaymentAmount = money("-1")
			g.Lists.ConvenienceFees[2].FeeAmount = money("-0.01")
		}, []string{"minPaymentAmount:OUT_OF_RANGE", "convenienceFees.2.feeAmount:OUT_OF_RANGE"}},
		{"duplicate bill type", func(g *CustomerPaymentGateway) { g.Lists.BillTypes[1].BillTypeID = 1 }, []string{"billTypes.1.billTypeId:DUPLICATE"}},
		{"overlap reported at the later fee", func(g *CustomerPaymentGateway) { g.Lists.ConvenienceFees[1].MinRange = money("99") },
			[]string{"convenienceFees.1.minRange:INVALID"}},
		{"same range, other payment type", func(g *CustomerPaymentGateway) { g.Lists.ConvenienceFees[2].MaxRange = money("100") }, nil},
		{"fee of an unknown payment type", func(g *CustomerPaymentGateway) { g.Lists.ConvenienceFees[2].PaymentType = "CASH" },
			[]string{"convenienceFees.2.paymentType:INVALID"}},
		{"fee range reversed", func(g *CustomerPaymentGateway) { g.Lists.ConvenienceFees[0].MinRange = money("150") },
			[]string{"convenienceFees.0.maxRange:OUT_OF_RANGE"}},
		{"lists not loaded are not checked", func(g *CustomerPaymentGateway) { g.Lists = GatewayLists{} }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := valid()
			tt.change(g)
			var v Violations
			g.Validate(&v)
			if got := violationKeys(v); !slices.Equal(got, tt.want) {
				t.Errorf("violations = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestGatewayAmountsBlameTheSentField reports minPaymentAmount above maxPaymentAmount at the
// amount the request sent.
func TestGatewayAmountsBlameTheSentField(t *testing.T) {
	tests := []struct {
		sent []string
		want string
	}{
		{nil, "maxPaymentAmount:OUT_OF_RANGE"},
		{[]string{"minPaymentAmount"}, "minPaymentAmount:OUT_OF_RANGE"},
		{[]string{"maxPaymentAmount"}, "maxPaymentAmount:OUT_OF_RANGE"},
		{[]string{"minPaymentAmount", "maxPaymentAmount"}, "maxPaymentAmount:OUT_OF_RANGE"},
		{[]string{"displayName"}, "maxPaymentAmount:OUT_OF_RANGE"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.sent, "+"), func(t *testing.T) {
			p := newPatch()
			for _, f := range tt.sent {
				p.markSent(f)
			}
			g := &CustomerPaymentGateway{DisplayName: "Main", MinPaymentAmount: money("200"), MaxPaymentAmount: money("100")}
			g.Validate(&p.Violations)
			if got := violationKeys(p.Violations); !slices.Equal(got, []string{tt.want}) {
				t.Errorf("violations = %v, want [%s]", got, tt.want)
			}
		})
	}
}
