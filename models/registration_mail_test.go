package models

import (
	"strings"
	"testing"
)

// TestRegistrationMailLanguage writes the registration mail for sub-dealers of several
// countries: Turkish for TR, English for the others.
func TestRegistrationMailLanguage(t *testing.T) {
	u := &SubDealerUser{Code: "7423", Name: "Elif", Surname: "Şahin", Email: "elif@example.com"}
	tests := []struct {
		country, subject string
		body             []string // lines, in order
	}{
		{"TR", "Kadıköy İletişim hesabınız", []string{
			"Sayın Elif Şahin,",
			"Kadıköy İletişim (742) alt bayisinde sizin için bir kullanıcı hesabı açıldı.",
			"Kullanıcı kodu: 7423",
			`İlk girişiniz için bayi portalını açın ve bu kullanıcı koduyla "Şifremi unuttum" adımını izleyin.`,
		}},
		{"GB", "Your account at Kadıköy İletişim", []string{
			"Dear Elif Şahin,",
			"a user account has been set up for you at sub-dealer Kadıköy İletişim (742).",
			"User code: 7423",
			`To sign in for the first time, open the dealer portal and choose "Forgot password" with this user code.`,
		}},
		// A country whose language the mail is not written in gets English.
		{"DE", "Your account at Kadıköy İletişim", []string{"Dear Elif Şahin,"}},
		{"US", "Your account at Kadıköy İletişim", []string{"Dear Elif Şahin,"}},
		{"", "Your account at Kadıköy İletişim", []string{"Dear Elif Şahin,"}},
	}
	for _, tt := range tests {
		t.Run(tt.country, func(t *testing.T) {
			m := registrationMail(&SubDealer{Code: "742", Name: "Kadıköy İletişim", CountryCode: tt.country}, u)
			if m.Subject != tt.subject || m.Recipient != "elif@example.com" || m.Kind != "sub-dealer-registration" {
				t.Errorf("subject %q to %q (%s), want %q", m.Subject, m.Recipient, m.Kind, tt.subject)
			}
			lines := strings.Split(m.Body, "\n\n")
			for i, want := range tt.body {
				if i >= len(lines) || strings.TrimSuffix(lines[i], "\n") != want {
					t.Errorf("body paragraph %d is not %q; body:\n%s", i, want, m.Body)
				}
			}
		})
	}
}
