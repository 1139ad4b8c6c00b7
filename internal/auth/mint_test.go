package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMintHS256Errors(t *testing.T) {
	tests := []struct {
		name   string
		secret []byte
		c      Claims
	}{
		{name: "no secret", c: Claims{Subject: "a"}},
		{name: "short secret", secret: []byte("tiny-s3cret"), c: Claims{Subject: "a"}},
		{name: "no subject", secret: testSecret},
		{name: "customer id not a uuid", secret: testSecret, c: Claims{Subject: "a", CustomerIDs: []string{"c-1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := MintHS256(tt.secret, tt.c)
			if err == nil {
				t.Fatalf("MintHS256 = %q, want error", tok)
			}
			if len(tt.secret) > 0 && strings.Contains(err.Error(), string(tt.secret)) {
				t.Errorf("error %q contains the secret", err)
			}
		})
	}
}

func TestMintHS256Layout(t *testing.T) {
	c := Claims{
		Subject:     "alice",
		Roles:       []string{RoleGatewayAdmin, RoleDealerAdmin},
		CustomerIDs: []string{"7c9e6679-7425-40de-944b-e07fc1f90ae7"},
		DealerCodes: []string{"D-1"},
		TTL:         2 * time.Hour,
		Issuer:      "paygql-dev",
		Audience:    "paygql",
	}
	before := time.Now().Unix()
	tok := mustMint(t, c)

	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Sub         string   `json:"sub"`
		Iss         string   `json:"iss"`
		Aud         []string `json:"aud"`
		Iat         int64    `json:"iat"`
		Exp         int64    `json:"exp"`
		Roles       []string `json:"roles"`
		CustomerIDs []string `json:"customer_ids"`
		DealerCodes []string `json:"dealer_codes"`
	}
	if err := json.Unmarshal(payload, &got); err != nil {
		t.Fatalf("payload %s: %v", payload, err)
	}
	if got.Sub != c.Subject || got.Iss != c.Issuer || !slices.Equal(got.Aud, []string{c.Audience}) {
		t.Errorf("sub, iss, aud = %q, %q, %q, want %q, %q, %q", got.Sub, got.Iss, got.Aud, c.Subject, c.Issuer, c.Audience)
	}
	if got.Iat < before || got.Exp-got.Iat != int64(c.TTL/time.Second) {
		t.Errorf("iat, exp = %d, %d, want iat >= %d and exp = iat + %v", got.Iat, got.Exp, before, c.TTL)
	}
	if !slices.Equal(got.Roles, c.Roles) || !slices.Equal(got.CustomerIDs, c.CustomerIDs) || !slices.Equal(got.DealerCodes, c.DealerCodes) {
		t.Errorf("roles, customer_ids, dealer_codes = %q, %q, %q, want %q, %q, %q",
			got.Roles, got.CustomerIDs, got.DealerCodes, c.Roles, c.CustomerIDs, c.DealerCodes)
	}

	// The minted token passes a verifier checking issuer and audience.
	v := newTestVerifier(t, Config{HS256Secret: testSecret, Issuer: c.Issuer, Audience: c.Audience})
	p, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if p.Subject != c.Subject || !p.ManagesCustomer(c.CustomerIDs[0]) || !p.ManagesDealer("D-1") {
		t.Errorf("principal = %+v, want %+v", p, c)
	}
}

func TestMintHS256DefaultTTL(t *testing.T) {
	tok := mustMint(t, Claims{Subject: "alice"})
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Iat, Exp int64 }
	if err := json.Unmarshal(payload, &got); err != nil {
		t.Fatal(err)
	}
	if d := time.Duration(got.Exp-got.Iat) * time.Second; d != DefaultTTL {
		t.Errorf("exp - iat = %v, want %v", d, DefaultTTL)
	}
}
