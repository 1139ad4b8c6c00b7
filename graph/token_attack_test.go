package graph_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/payplat/paygql/graph"
	"github.com/payplat/paygql/internal/auth"
)

// The identity provider of these tests: one RS256 key published as kid "kc-1", the way
// Keycloak publishes its realm certs.
const (
	kcKid      = "kc-1"
	kcIssuer   = "https://kc.example/realms/pay"
	kcAudience = "paygql"
)

var (
	kcKey    = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA(2048) })
	otherKey = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA(2048) })
)

func mustRSA(bits int) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		panic(err)
	}
	return k
}

// keycloak serves the JWKS and counts its requests.
type keycloak struct {
	*httptest.Server
	hits atomic.Int32
}

func newKeycloak(t *testing.T) *keycloak {
	t.Helper()
	kc := &keycloak{}
	pub := &kcKey().PublicKey
	b64 := base64.RawURLEncoding.EncodeToString
	body, err := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "kid": kcKid, "use": "sig", "alg": "RS256",
		"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes()),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	kc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		kc.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(kc.Close)
	return kc
}

// jwksEnv is a server that trusts only the JWKS (no HS256 secret), with issuer and audience
// checks when iss and aud are set.
func jwksEnv(t *testing.T, iss, aud string) (*env, *keycloak) {
	t.Helper()
	kc := newKeycloak(t)
	e := newEnvAuth(t, graph.DefaultOptions, auth.Config{JWKSURL: kc.URL, Issuer: iss, Audience: aud, HTTPClient: kc.Client()})
	return e, kc
}

// adminClaims are the claims of a valid admin access token from the identity provider.
func adminClaims() jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"sub": "attacker", "typ": "Bearer", "iss": kcIssuer, "aud": kcAudience,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"realm_access": map[string]any{"roles": []string{auth.RoleAdmin}},
	}
}

func withClaims(c jwt.MapClaims, kv map[string]any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	for k, v := range kv {
		out[k] = v
	}
	return out
}

func signWith(t *testing.T, method jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func rs256(t *testing.T, c jwt.MapClaims) string {
	return signWith(t, jwt.SigningMethodRS256, kcKey(), kcKid, c)
}

const attackQuery = `{ connectorConfigurations { nodes { id apiKey } } }`

// refused asserts that token gets 401 UNAUTHENTICATED with reason, no data, and no trace of
// the token in the answer or the log.
func (e *env) refused(token, reason string) {
	e.t.Helper()
	res := e.post(token, attackQuery, nil)
	if res.Status != http.StatusUnauthorized || res.codeOf() != "UNAUTHENTICATED" || len(res.Data) > 0 && string(res.Data) != "null" {
		e.t.Fatalf("status %d: %s; want 401 UNAUTHENTICATED and no data", res.Status, res.Body)
	}
	if res.Errors[0].Message != reason {
		e.t.Errorf("message %q, want %q", res.Errors[0].Message, reason)
	}
	for _, part := range strings.Split(token, ".") {
		if len(part) >= 8 && (strings.Contains(res.Body, part) || strings.Contains(e.logs.String(), part)) {
			e.t.Errorf("token material %q in the answer or the log", part)
		}
	}
}

// accepted asserts that token reads data.
func (e *env) accepted(token string) {
	e.t.Helper()
	if res := e.post(token, attackQuery, nil); res.Status != http.StatusOK || len(res.Errors) != 0 {
		e.t.Fatalf("status %d: %s; want the token accepted", res.Status, res.Body)
	}
}

func TestTokenAttackAlgNone(t *testing.T) {
	for name, secret := range map[string][]byte{"jwks only": nil, "jwks and hs256": testSecret} {
		t.Run(name, func(t *testing.T) {
			kc := newKeycloak(t)
			e := newEnvAuth(t, graph.DefaultOptions, auth.Config{JWKSURL: kc.URL, HS256Secret: secret, HTTPClient: kc.Client()})
			none := signWith(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, kcKid, adminClaims())
			e.refused(none, "unsupported token algorithm")
			// The same, hand-made, with the algorithm's name in other spellings.
			parts := strings.Split(none, ".")
			for _, alg := range []string{"None", "NONE", "nOnE"} {
				header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"` + alg + `","typ":"JWT"}`))
				e.refused(header+"."+parts[1]+".", "unsupported token algorithm")
			}
			e.accepted(rs256(t, adminClaims()))
		})
	}
}

// TestTokenAttackKeyConfusion signs HS256 tokens with the identity provider's public key as
// the HMAC secret, for a server that only knows the JWKS.
func TestTokenAttackKeyConfusion(t *testing.T) {
	e, _ := jwksEnv(t, "", "")
	pub := &kcKey().PublicKey
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	for _, secret := range [][]byte{pemKey, der, pub.N.Bytes(), testSecret} {
		e.refused(signWith(t, jwt.SigningMethodHS256, secret, kcKid, adminClaims()), "unsupported token algorithm")
	}
	e.accepted(rs256(t, adminClaims()))
}

func TestTokenAttackWrongIssuer(t *testing.T) {
	e, _ := jwksEnv(t, kcIssuer, "")
	e.refused(rs256(t, withClaims(adminClaims(), map[string]any{"iss": "https://evil.example/realms/pay"})), "invalid token issuer")
	e.refused(rs256(t, withClaims(adminClaims(), map[string]any{"iss": kcIssuer + "-other"})), "invalid token issuer")
	noIss := adminClaims()
	delete(noIss, "iss")
	e.refused(rs256(t, noIss), "invalid token issuer")
	e.accepted(rs256(t, adminClaims()))
}

func TestTokenAttackWrongAudience(t *testing.T) {
	e, _ := jwksEnv(t, "", kcAudience)
	e.refused(rs256(t, withClaims(adminClaims(), map[string]any{"aud": "another-client"})), "invalid token audience")
	e.refused(rs256(t, withClaims(adminClaims(), map[string]any{"aud": []string{"account", "broker"}})), "invalid token audience")
	noAud := adminClaims()
	delete(noAud, "aud")
	e.refused(rs256(t, noAud), "invalid token audience")
	e.accepted(rs256(t, withClaims(adminClaims(), map[string]any{"aud": []string{"account", kcAudience}})))
}

// TestTokenAttackUnknownKeyID signs with a key the identity provider never published, under a
// made-up kid and under the real one.
func TestTokenAttackUnknownKeyID(t *testing.T) {
	e, kc := jwksEnv(t, "", "")
	e.refused(signWith(t, jwt.SigningMethodRS256, otherKey(), "made-up", adminClaims()), "unknown signing key")
	e.refused(signWith(t, jwt.SigningMethodRS256, kcKey(), "made-up", adminClaims()), "unknown signing key")
	e.refused(signWith(t, jwt.SigningMethodRS256, otherKey(), kcKid, adminClaims()), "invalid token signature")
	e.refused(signWith(t, jwt.SigningMethodRS256, kcKey(), "", adminClaims()), "token has no key id")
	e.accepted(rs256(t, adminClaims()))
	if got := kc.hits.Load(); got > 2 {
		t.Errorf("jwks fetched %d times", got)
	}
}

func TestTokenAttackNotYetValid(t *testing.T) {
	e, _ := jwksEnv(t, "", "")
	e.refused(rs256(t, withClaims(adminClaims(), map[string]any{"nbf": time.Now().Add(5 * time.Minute).Unix()})), "token not yet valid")
	e.refused(rs256(t, withClaims(adminClaims(), map[string]any{"nbf": time.Now().Add(45 * time.Second).Unix()})), "token not yet valid")
	// Within the 30-second leeway: a clock a little ahead at the identity provider.
	e.accepted(rs256(t, withClaims(adminClaims(), map[string]any{"nbf": time.Now().Add(15 * time.Second).Unix()})))
}

func TestTokenAttackExpiredBeyondLeeway(t *testing.T) {
	e, _ := jwksEnv(t, "", "")
	e.refused(rs256(t, withClaims(adminClaims(), map[string]any{"exp": time.Now().Add(-45 * time.Second).Unix()})), "token expired")
	e.refused(rs256(t, withClaims(adminClaims(), map[string]any{"exp": time.Now().Add(-24 * time.Hour).Unix()})), "token expired")
	noExp := adminClaims()
	delete(noExp, "exp")
	e.refused(rs256(t, noExp), "token has no expiry")
}

func TestTokenExpiredWithinLeewayAccepted(t *testing.T) {
	e, _ := jwksEnv(t, "", "")
	e.accepted(rs256(t, withClaims(adminClaims(), map[string]any{"exp": time.Now().Add(-15 * time.Second).Unix()})))
}
