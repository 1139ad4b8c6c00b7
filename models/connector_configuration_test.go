package models

import (
	"slices"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// validConnectorConfiguration returns a record that breaks no rule.
func validConnectorConfiguration() *ConnectorConfiguration {
	return &ConnectorConfiguration{
		Name: ptr("Garanti"), Mode: ModeProduction, Priority: 0, IsActive: true,
		APIEndpointURL:          ptr("https://bank.example/api"),
		ThreeDSecureEndpointURL: ptr("https://bank.example/3d"),
		ExtraPropertiesDict:     JSONObject{"a": 1},
	}
}

func TestConnectorConfigurationValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *ConnectorConfiguration)
		want   []string // "path:CODE"
	}{
		{"valid", func(*ConnectorConfiguration) {}, nil},
		{"name null is allowed", func(c *ConnectorConfiguration) { c.Name = nil }, nil},
		{"blank name", func(c *ConnectorConfiguration) { c.Name = ptr("  ") }, []string{"name:REQUIRED"}},
		{"name of 200 characters", func(c *ConnectorConfiguration) { c.Name = ptr(strings.Repeat("ğ", 200)) }, nil},
		{"name of 201 characters", func(c *ConnectorConfiguration) { c.Name = ptr(strings.Repeat("a", 201)) }, []string{"name:OUT_OF_RANGE"}},
		{"blank username", func(c *ConnectorConfiguration) { c.Username = ptr("") }, []string{"username:REQUIRED"}},
		{"negative priority", func(c *ConnectorConfiguration) { c.Priority = -1 }, []string{"priority:OUT_OF_RANGE"}},
		{"http in production", func(c *ConnectorConfiguration) { c.APIEndpointURL = ptr("http://bank.example") }, []string{"apiEndpointUrl:INVALID"}},
		{"http in test", func(c *ConnectorConfiguration) {
			c.Mode, c.APIEndpointURL = ModeTest, ptr("http://bank.example")
		}, nil},
		{"relative url", func(c *ConnectorConfiguration) { c.ThreeDSecureEndpointURL = ptr("/3d") }, []string{"threeDSecureEndpointUrl:INVALID"}},
		{"ftp url in test", func(c *ConnectorConfiguration) {
			c.Mode, c.APIEndpointURL = ModeTest, ptr("ftp://bank.example")
		}, []string{"apiEndpointUrl:INVALID"}},
		{"extra properties of 16 KiB", func(c *ConnectorConfiguration) {
			c.ExtraPropertiesDict = JSONObject{"k": strings.Repeat("x", maxExtraPropertiesBytes-len(`{"k":""}`))}
		}, nil},
		{"extra properties over 16 KiB", func(c *ConnectorConfiguration) {
			c.ExtraPropertiesDict = JSONObject{"k": strings.Repeat("x", maxExtraPropertiesBytes)}
		}, []string{"extraPropertiesDict:OUT_OF_RANGE"}},
		{"every violation at once", func(c *ConnectorConfiguration) {
			c.Name, c.Priority, c.APIEndpointURL = ptr(""), -5, ptr("nonsense")
		}, []string{"name:REQUIRED", "apiEndpointUrl:INVALID", "priority:OUT_OF_RANGE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConnectorConfiguration()
			tt.change(c)
			var v Violations
			c.Validate(&v)
			if got := violationKeys(v); !slices.Equal(got, tt.want) {
				t.Errorf("violations = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSetValueAndNullable(t *testing.T) {
	name, priority := ptr("old"), 3
	tests := []struct {
		name         string
		nameIn       graphql.Omittable[*string]
		priorityIn   graphql.Omittable[*int]
		wantName     *string
		wantPriority int
		wantColumns  []string
		wantErrors   []string
	}{
		{"left out keeps", graphql.Omittable[*string]{}, graphql.Omittable[*int]{}, name, 3, nil, nil},
		{"null clears a nullable field", graphql.OmittableOf[*string](nil), graphql.Omittable[*int]{}, nil, 3, []string{"name"}, nil},
		{"null on a non-null field is REQUIRED", graphql.Omittable[*string]{}, graphql.OmittableOf[*int](nil), name, 3, nil, []string{"priority:REQUIRED"}},
		{"values set", graphql.OmittableOf(ptr("new")), graphql.OmittableOf(ptr(0)), ptr("new"), 0, []string{"name", "priority"}, nil},
		{"same values change nothing", graphql.OmittableOf(ptr("old")), graphql.OmittableOf(ptr(3)), name, 3, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &ConnectorConfiguration{Name: name, Priority: priority}
			p := newPatch()
			setNullable(p, tt.nameIn, &c.Name, "name", "name")
			setValue(p, tt.priorityIn, &c.Priority, "priority", "priority")
			if !equalPtr(c.Name, tt.wantName) || c.Priority != tt.wantPriority {
				t.Errorf("got name %v priority %d, want %v %d", c.Name, c.Priority, tt.wantName, tt.wantPriority)
			}
			if !slices.Equal(p.columns, tt.wantColumns) {
				t.Errorf("columns = %v, want %v", p.columns, tt.wantColumns)
			}
			if got := violationKeys(p.Violations); !slices.Equal(got, tt.wantErrors) {
				t.Errorf("violations = %v, want %v", got, tt.wantErrors)
			}
		})
	}
}

func omit[T any](v T) graphql.Omittable[T] { return graphql.OmittableOf(v) }
