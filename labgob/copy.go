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

// pipeSet holds the idle pipes for one source type.
type pipeSet struct {
	pool sync.Pool
	// iface: values of the type can hold interface values, so their
	// encoding may carry type definitions inline (see Copy).
	iface bool
}

var pipes sync.Map // reflect.Type (of src) -> *pipeSet

func pipesFor(t reflect.Type) *pipeSet {
	if ps, ok := pipes.Load(t); ok {
		return ps.(*pipeSet)
	}
	ps, _ := pipes.LoadOrStore(t, &pipeSet{iface: holdsInterface(t, map[reflect.Type]bool{})})
	return ps.(*pipeSet)
}

func (ps *pipeSet) get(t reflect.Type) *pipe {
	if p, ok := ps.pool.Get().(*pipe); ok {
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

func (ps *pipeSet) put(p *pipe) {
	p.buf.Reset()
	ps.pool.Put(p)
}

// holdsInterface reports whether a value of type t can contain an
// interface value that gob sends.
func holdsInterface(t reflect.Type, seen map[reflect.Type]bool) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if seen[t] || sendsItself(t) {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Slice, reflect.Array:
		return holdsInterface(t.Elem(), seen)
	case reflect.Map:
		return holdsInterface(t.Key(), seen) || holdsInterface(t.Elem(), seen)
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); f.IsExported() && holdsInterface(f.Type, seen) {
				return true
			}
		}
	}
	return false
}

// Copy deep-copies src into dst (a non-nil pointer) through gob, the way a
// network carries a value, and returns how many bytes the value took on
// the wire. The count depends only on the value: it is the size of the
// value's gob messages on a stream that has already sent every type the
// value uses, so type definitions never count, wherever gob puts them,
// and neither the pooled stream's history nor the order of calls matters.
// (gob numbers types process-wide in the order they are first used; a type
// numbered 128 or above takes one byte more than one below, which only a
// program with more than 64 gob types can meet.) dst's type may differ
// from src's where gob allows it. The findings are those of CheckType for
// both types and of CheckDestination for dst; they are also reported as
// usual. Copy is safe for concurrent use.
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
	ps := pipesFor(st)
	p := ps.get(st)
	if err := p.enc.Encode(src); err != nil {
		return 0, findings, err // the stream may be half-written: drop the pipe
	}
	// Type definitions sent as messages of their own are skipped here; the
	// warm-up in get keeps most of them off real values anyway.
	n = valueBytes(p.buf.Bytes())
	if err := p.dec.Decode(dst); err != nil {
		return n, findings, err
	}
	if p.buf.Len() != 0 {
		return n, findings, nil // should not happen; do not reuse a pipe out of step
	}
	if ps.iface {
		// gob writes the definition of an interface value's concrete
		// type inline, into the value's own message, the first time the
		// stream carries that type: a Raft log entry's command struct
		// counts its definition on a fresh pipe and not on a warm one.
		// Measure again now that every type has been sent. The decoder
		// can skip that message: it defines nothing.
		if p.enc.Encode(src) != nil {
			return n, findings, nil
		}
		m := p.buf.Bytes()
		if valueBytes(m) != len(m) {
			return n, findings, nil // src changed under us; drop the pipe
		}
		n = len(m)
	}
	ps.put(p)
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
