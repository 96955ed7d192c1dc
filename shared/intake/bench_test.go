package intake

import (
	"os"
	"testing"
)

// BenchmarkParseMarketplace parses the seed purchase (a typical webhook of about 1 KiB).
func BenchmarkParseMarketplace(b *testing.B) {
	body, err := os.ReadFile("testdata/marketplace-seed.json")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := ParseMarketplace(body, fuzzAt, by); err != nil {
			b.Fatal(err)
		}
	}
}
