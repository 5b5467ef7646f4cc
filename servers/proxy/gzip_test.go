package proxy

import (
	"strings"
	"testing"
)

// TestAcceptsGzip: Accept-Encoding as ngx_http_gzip_accept_encoding reads
// it, quirks included (the digits of q are summed: "0.05" is as much as
// "0.5").
func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		ae   string
		want bool
	}{
		{"gzip", true}, {"GZip", true}, {"deflate, gzip", true}, {"gzip, deflate, br", true},
		{"deflate,gzip", true}, {"gzip ;q=0.5", true}, {"gzip;q=1", true}, {"gzip;Q=0.001", true},
		{"gzip;q=1.0", true}, {"gzip;q=0.05", true}, {"gzip; q=0.5", true},
		{"", false}, {"deflate", false}, {"xgzip", false}, {"gzipx", false}, {"x-gzip", false},
		{"gzip;q=0", false}, {"gzip;q=0.000", false}, {"gzip;q=1.001", false}, {"gzip;q=0.0001", false},
		{"gzip;q=", false}, {"gzip;level=1", false}, {"gzip;q=2", false},
		{"xgzip, gzip", true}, {"ĞZIP", false}, {"\u0130gzip", false},
	}
	for _, tt := range tests {
		t.Run(tt.ae, func(t *testing.T) {
			if got := acceptsGzip(tt.ae); got != tt.want {
				t.Errorf("acceptsGzip(%q) = %v, want %v", tt.ae, got, tt.want)
			}
		})
	}
}

// FuzzAcceptsGzip: any header value is read without panic; a yes needs
// the letters gzip in it, and a quantity is within 0..100.
func FuzzAcceptsGzip(f *testing.F) {
	for _, s := range []string{"gzip", "gzip;q=0.5", "deflate, GZIP", "gzip;q=1.001", "\u0130gzip", "gzip;q"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ae string) {
		if acceptsGzip(ae) && !strings.Contains(strings.ToLower(ae), "gzip") {
			t.Fatalf("acceptsGzip(%q) = true without gzip in it", ae)
		}
		if q := gzipQuantity(ae); q < 0 || q > 100 {
			t.Fatalf("gzipQuantity(%q) = %d, want 0..100", ae, q)
		}
	})
}
