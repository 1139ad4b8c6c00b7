package models

import "encoding/json"

// maxExtraPropertiesBytes bounds a connector configuration's extraPropertiesDict.
const maxExtraPropertiesBytes = 16 << 10

// Validate checks every rule of a connector configuration on the merged record.
func (c *ConnectorConfiguration) Validate(v *Violations) {
	for _, f := range []struct {
		name string
		s    *string
		max  int
	}{
		{"name", c.Name, maxNameLen}, {"username", c.Username, maxNameLen},
		{"terminalId", c.TerminalID, maxIdentifierLen}, {"storeId", c.StoreID, maxIdentifierLen},
		{"bankCode", c.BankCode, maxCodeLen},
	} {
		nonBlank(v, Path{f.name}, f.s)
		text(v, Path{f.name}, f.s, f.max)
	}
	text(v, Path{"apiEndpointUrl"}, c.APIEndpointURL, maxURLLen)
	text(v, Path{"threeDSecureEndpointUrl"}, c.ThreeDSecureEndpointURL, maxURLLen)
	allowHTTP := c.Mode == ModeTest
	absoluteURL(v, Path{"apiEndpointUrl"}, c.APIEndpointURL, allowHTTP)
	absoluteURL(v, Path{"threeDSecureEndpointUrl"}, c.ThreeDSecureEndpointURL, allowHTTP)
	if c.Priority < 0 {
		v.Add(Path{"priority"}, CodeOutOfRange, "priority must be 0 or more")
	}
	if b, err := json.Marshal(c.ExtraPropertiesDict); err != nil || len(b) > maxExtraPropertiesBytes {
		v.Add(Path{"extraPropertiesDict"}, CodeOutOfRange, "extraPropertiesDict must be at most %d bytes of JSON", maxExtraPropertiesBytes)
	} else {
		jsonObject(v, Path{"extraPropertiesDict"}, c.ExtraPropertiesDict)
	}
}
