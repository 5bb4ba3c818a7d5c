package backup

import (
	"bytes"
	"compress/flate"
	"hash/crc32"
	"testing"
)

func crc(data string) uint32 { return crc32.ChecksumIEEE([]byte(data)) }

// deflate compresses data the way zip's Deflate method stores it.
func deflate(t testing.TB, data string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(data))
	w.Close()
	return buf.Bytes()
}
