package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks headers (https://www.standardwebhooks.com).
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// errSecret reports a signing secret that is not "whsec_" and base64.
var errSecret = errors.New("webhook signing secret is not whsec_ followed by base64")

// Sign returns the webhook-signature header of a message: "v1," and the base64 of
// HMAC-SHA256 over "id.timestamp.body" keyed with the secret's decoded bytes, as the Standard
// Webhooks specification says. (Its Go library is not among this project's dependencies; the
// scheme is these few lines.)
func Sign(secret, id string, at time.Time, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || !strings.HasPrefix(secret, "whsec_") {
		return "", errSecret
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + strconv.FormatInt(at.Unix(), 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}
