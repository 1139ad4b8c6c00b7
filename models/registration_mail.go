package models

import (
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"

	"github.com/payplat/paygql/internal/outbox"
)

// mailLanguages are the languages the registration mail is written in. The first is the one
// for a country whose language is not among them.
var mailLanguages = []language.Tag{language.English, language.Turkish}

var mailLanguageMatcher = language.NewMatcher(mailLanguages)

// mailCatalog holds the mail's texts in every language but English, keyed by the English
// text, which a printer for English (or a text missing here) prints as it is.
var mailCatalog = func() catalog.Catalog {
	b := catalog.NewBuilder(catalog.Fallback(language.English))
	for en, tr := range map[string]string{
		"Your account at %s": "%s hesabınız",
		"Dear %s %s,":        "Sayın %s %s,",
		"a user account has been set up for you at sub-dealer %s (%s).": "%s (%s) alt bayisinde sizin için bir kullanıcı hesabı açıldı.",
		"User code: %s": "Kullanıcı kodu: %s",
		`To sign in for the first time, open the dealer portal and choose "Forgot password" with this user code.`: `İlk girişiniz için bayi portalını açın ve bu kullanıcı koduyla "Şifremi unuttum" adımını izleyin.`,
	} {
		if err := b.SetString(language.Turkish, en, tr); err != nil {
			panic("registration mail: " + err.Error()) // the texts are fixed
		}
	}
	return b
}()

// mailLanguage returns the language of mail to a sub-dealer in country (ISO 3166-1 alpha-2):
// the country's main language when the mail is written in it (Turkish for TR), else English.
func mailLanguage(country string) language.Tag {
	region, err := language.ParseRegion(country)
	if err != nil {
		return mailLanguages[0]
	}
	tag, err := language.Compose(region) // "und-TR", which the matcher reads as tr-Latn-TR
	if err != nil {
		return mailLanguages[0]
	}
	_, i, confidence := mailLanguageMatcher.Match(tag)
	if confidence == language.No {
		return mailLanguages[0]
	}
	return mailLanguages[i]
}

// registrationMail is the mail that invites a user to the sub-dealer portal, in the language
// of the sub-dealer's country. It carries no secret: the user sets a password through the
// portal's own reset flow.
func registrationMail(d *SubDealer, u *SubDealerUser) *outbox.Message {
	p := message.NewPrinter(mailLanguage(d.CountryCode), message.Catalog(mailCatalog))
	var b strings.Builder
	b.WriteString(p.Sprintf("Dear %s %s,", u.Name, u.Surname) + "\n\n")
	b.WriteString(p.Sprintf("a user account has been set up for you at sub-dealer %s (%s).", d.Name, d.Code) + "\n\n")
	b.WriteString(p.Sprintf("User code: %s", u.Code) + "\n\n")
	b.WriteString(p.Sprintf(`To sign in for the first time, open the dealer portal and choose "Forgot password" with this user code.`) + "\n")
	return &outbox.Message{
		Kind: "sub-dealer-registration", Recipient: u.Email,
		Subject: p.Sprintf("Your account at %s", d.Name), Body: b.String(),
	}
}
