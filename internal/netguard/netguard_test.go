package netguard

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestCheckURL(t *testing.T) {
	strict, dev := Policy{}, Policy{AllowHTTP: true, AllowPrivate: true}
	for _, c := range []struct {
		url         string
		strict, dev bool // allowed?
	}{
		{"https://hooks.example.com/x", true, true},
		{"https://93.184.216.34:8443/x", true, true},
		{"http://hooks.example.com/x", false, true},
		{"https://127.0.0.1/x", false, true},
		{"https://localhost:8443/x", false, true},
		{"https://api.localhost/x", false, true},
		{"https://[::1]/x", false, true},
		{"https://10.0.0.1/x", false, true},
		{"https://172.16.5.4/x", false, true},
		{"https://192.168.0.10/x", false, true},
		{"https://169.254.169.254/latest", false, true},
		{"https://[fe80::1]/x", false, true},
		{"https://[fd00::1]/x", false, true},
		{"https://[::ffff:127.0.0.1]/x", false, true},
		{"https://0.0.0.0/x", false, true},
		{"https://100.64.1.1/x", false, true},
		{"https://224.0.0.251/x", false, false},
		{"https://user:pw@hooks.example.com/x", false, false},
		{"ftp://hooks.example.com/x", false, false},
		{"/relative", false, false},
		{"https://hooks.example.com/x#frag", false, false},
	} {
		if got := strict.CheckURL(c.url) == nil; got != c.strict {
			t.Errorf("strict CheckURL(%q) allowed = %v, want %v", c.url, got, c.strict)
		}
		if got := dev.CheckURL(c.url) == nil; got != c.dev {
			t.Errorf("development CheckURL(%q) allowed = %v, want %v", c.url, got, c.dev)
		}
	}
}

// TestDialerRefusesWhatItResolves: the check runs on the address dialled, so a host name
// (here "localhost", resolved by the system) that leads to a loopback address is refused even
// though no URL check saw it.
func TestDialerRefusesWhatItResolves(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := Policy{}.Dialer(time.Second).DialContext(ctx, "tcp", net.JoinHostPort("localhost", port))
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("strict dial of localhost: %v, want refused as loopback", err)
	}
	conn, err := Policy{AllowPrivate: true}.Dialer(time.Second).DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		t.Fatalf("lax dial: %v", err)
	}
	conn.Close()
}
