package labgob

import (
	"bytes"
	"encoding/gob"
	"reflect"
	"sync"
)

// A pipe is an encoder and a decoder joined by a buffer. gob sends type
// descriptions once per stream and compiles its decoding engines once per
// decoder, so reusing a warmed-up pipe per type makes a deep copy several
// times cheaper than a fresh encoder/decoder pair.
type pipe struct {
	buf bytes.Buffer
	enc *gob.Encoder
	dec *gob.Decoder
}

var pipes sync.Map // reflect.Type (of src) -> *sync.Pool of *pipe

func getPipe(t reflect.Type) *pipe {
	pv, ok := pipes.Load(t)
	if !ok {
		pv, _ = pipes.LoadOrStore(t, &sync.Pool{})
	}
	if p, ok := pv.(*sync.Pool).Get().(*pipe); ok {
		return p
	}
	p := &pipe{}
	p.enc = gob.NewEncoder(&p.buf)
	p.dec = gob.NewDecoder(&p.buf)
	// Send a zero value through first so that the type descriptions are
	// out of the way and the byte count of real values does not depend on
	// whether the pipe was fresh. If that fails, the real Encode will fail
	// the same way and report why.
	base := t
	for base.Kind() == reflect.Pointer {
		base = base.Elem()
	}
	if p.enc.EncodeValue(reflect.New(base)) == nil {
		_ = p.dec.DecodeValue(reflect.New(base))
	}
	p.buf.Reset()
	return p
}

func putPipe(t reflect.Type, p *pipe) {
	if pv, ok := pipes.Load(t); ok {
		p.buf.Reset()
		pv.(*sync.Pool).Put(p)
	}
}

// Copy deep-copies src into dst (a non-nil pointer) through gob, the way a
// network carries a value, and returns how many bytes the value took on
// the wire. Type descriptions, which gob sends once per stream, are not
// counted, except those of concrete types inside interface values, which
// gob sends inline: a value with interface fields may count a few dozen
// bytes more the first time a pooled stream carries its concrete type. dst's type may differ from src's where gob allows it. The
// findings are those of CheckType for both types and of CheckDestination
// for dst; they are also reported as usual. Copy is safe for concurrent use.
func Copy(dst, src any) (n int, findings []Finding, err error) {
	st := reflect.TypeOf(src)
	findings = append(findings, CheckType(st)...)
	if dt := reflect.TypeOf(dst); dt != st {
		findings = append(findings, CheckType(dt)...)
	}
	if f, bad := CheckDestination(dst); bad {
		findings = append(findings, f)
	}
	if st == nil {
		return 0, findings, gob.NewEncoder(&bytes.Buffer{}).Encode(src)
	}
	p := getPipe(st)
	if err := p.enc.Encode(src); err != nil {
		return 0, findings, err // the stream may be half-written: drop the pipe
	}
	n = valueBytes(p.buf.Bytes())
	if err := p.dec.Decode(dst); err != nil {
		return n, findings, err
	}
	if p.buf.Len() != 0 {
		return n, findings, nil // should not happen; do not reuse a pipe out of step
	}
	putPipe(st, p)
	return n, findings, nil
}

// valueBytes sums the sizes of the gob messages in b that carry values,
// skipping type definitions (which have negative type ids).
func valueBytes(b []byte) int {
	total := 0
	for len(b) > 0 {
		size, w := gobUint(b)
		if w == 0 || w+int(size) > len(b) || size == 0 {
			return total + len(b)
		}
		msg := b[w : w+int(size)]
		id, _ := gobUint(msg)
		if id&1 == 0 { // gob zig-zags signed ints: odd means negative
			total += w + int(size)
		}
		b = b[w+int(size):]
	}
	return total
}

// gobUint decodes gob's unsigned integer encoding: one byte below 128,
// otherwise the negated byte count followed by big-endian bytes.
func gobUint(b []byte) (uint64, int) {
	if len(b) == 0 {
		return 0, 0
	}
	if b[0] < 0x80 {
		return uint64(b[0]), 1
	}
	n := int(-int8(b[0]))
	if n > 8 || 1+n > len(b) {
		return 0, 0
	}
	var x uint64
	for _, c := range b[1 : 1+n] {
		x = x<<8 | uint64(c)
	}
	return x, 1 + n
}
