package webhooks_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// verifyWebhook is how a partner's receiver checks a delivery (README, "Webhooks"): the
// HMAC-SHA256 of "webhook-id.webhook-timestamp.body", keyed with the secret's base64 after
// "whsec_", must equal one of the "v1,…" signatures, and the timestamp be within 5 minutes.
// Drop a webhook-id you have already processed: a delivery may come twice.
func verifyWebhook(secret string, h http.Header, body []byte, now time.Time) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return errors.New("bad secret")
	}
	id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || now.Sub(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return errors.New("timestamp missing or too far from now")
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if b, ok := strings.CutPrefix(sig, "v1,"); ok {
			if got, err := base64.StdEncoding.DecodeString(b); err == nil && hmac.Equal(got, want) {
				return nil
			}
		}
	}
	return errors.New("no valid signature")
}

// sample is the Standard Webhooks libraries' own example delivery.
var sample = struct{ secret, id, ts, sig, body string }{
	"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
	"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", `{"test": 2432232314}`,
}

// TestReadmeVerifiers runs the README's Go and shell verifiers on the sample: it verifies, and
// a changed body does not.
func TestReadmeVerifiers(t *testing.T) {
	h := http.Header{}
	h.Set("webhook-id", sample.id)
	h.Set("webhook-timestamp", sample.ts)
	h.Set("webhook-signature", "v1,bm90IHRoaXMgb25l "+sample.sig)
	at := time.Unix(1614265330, 0).Add(time.Minute)
	if err := verifyWebhook(sample.secret, h, []byte(sample.body), at); err != nil {
		t.Errorf("Go: the sample does not verify: %v", err)
	}
	if err := verifyWebhook(sample.secret, h, []byte(`{"test": 2432232315}`), at); err == nil {
		t.Error("Go: a changed body verifies")
	}
	if err := verifyWebhook(sample.secret, h, []byte(sample.body), at.Add(time.Hour)); err == nil {
		t.Error("Go: an hour-old delivery verifies")
	}

	if _, err := exec.LookPath("openssl"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("openssl is missing")
		}
		t.Skip("openssl is missing")
	}
	shell := func(body string) (string, error) {
		cmd := exec.Command("sh", "testdata/verify-webhook.sh")
		cmd.Env = append(os.Environ(), "SECRET="+sample.secret, "ID="+sample.id, "TS="+sample.ts,
			"SIG="+h.Get("webhook-signature"), "BODY="+body, "ALLOW_OLD=1")
		out, err := cmd.CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	if out, err := shell(sample.body); err != nil || out != "valid" {
		t.Errorf("shell: the sample: %q, %v; want valid", out, err)
	}
	if out, err := shell(`{"test": 2432232315}`); err == nil || out != "INVALID" {
		t.Errorf("shell: a changed body: %q, %v; want INVALID and exit 1", out, err)
	}
}
