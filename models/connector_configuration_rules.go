package models

import "encoding/json"

// Limits of a connector configuration.
const (
	maxConnectorConfigNameLen = 200
	maxExtraPropertiesBytes   = 16 << 10
)

// Validate checks every rule of a connector configuration on the merged record.
func (c *ConnectorConfiguration) Validate(v *Violations) {
	for _, f := range []struct {
		name string
		s    *string
	}{
		{"name", c.Name}, {"username", c.Username}, {"terminalId", c.TerminalID},
		{"storeId", c.StoreID}, {"bankCode", c.BankCode},
	} {
		nonBlank(v, Path{f.name}, f.s)
	}
	maxLen(v, Path{"name"}, c.Name, maxConnectorConfigNameLen)
	allowHTTP := c.Mode == ModeTest
	absoluteURL(v, Path{"apiEndpointUrl"}, c.APIEndpointURL, allowHTTP)
	absoluteURL(v, Path{"threeDSecureEndpointUrl"}, c.ThreeDSecureEndpointURL, allowHTTP)
	if c.Priority < 0 {
		v.Add(Path{"priority"}, CodeOutOfRange, "priority must be 0 or more")
	}
	if b, err := json.Marshal(c.ExtraPropertiesDict); err != nil || len(b) > maxExtraPropertiesBytes {
		v.Add(Path{"extraPropertiesDict"}, CodeOutOfRange, "extraPropertiesDict must be at most %d bytes of JSON", maxExtraPropertiesBytes)
	}
}
