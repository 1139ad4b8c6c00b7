package config

import "testing"

func TestTracingFromOTELVariables(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want bool
	}{
		{nil, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, true},
		{map[string]string{"OTEL_TRACES_EXPORTER": "console"}, true},
		{map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, false},
		{map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, false},
	}
	for _, tt := range tests {
		c, err := Load(func(k string) string { return tt.env[k] })
		if err != nil {
			t.Fatal(err)
		}
		if c.Tracing != tt.want {
			t.Errorf("%v: Tracing = %v, want %v", tt.env, c.Tracing, tt.want)
		}
	}
}
