package webhooks

import (
	"testing"
	"time"
)

// TestSignMatchesSpecificationVector signs the example of the Standard Webhooks libraries'
// own tests and gets their signature.
func TestSignMatchesSpecificationVector(t *testing.T) {
	got, err := Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
		time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; err != nil || got != want {
		t.Errorf("Sign = %q, %v; want %q", got, err, want)
	}
	for _, bad := range []string{"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!"} {
		if _, err := Sign(bad, "id", time.Now(), nil); err == nil {
			t.Errorf("Sign accepted the secret %q", bad)
		}
	}
}
