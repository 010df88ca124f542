package labrpc

import (
	"reflect"
	"strconv"
	"strings"
)

// The trace shows what each call carried, so that a timeline says not only
// that an AppendEntries was delivered but with which term and entries. A
// rendering is bounded (a log of thousands of entries must not fill the
// timeline), shows exported fields only (the ones labgob sends), and is
// made only while the network's own log is on: with it off, a call pays
// one atomic load.

const (
	renderLimit  = 240 // characters of one rendering
	renderItems  = 3   // elements shown of a slice or array
	renderString = 40  // characters shown of a string
)

// renderValue renders v's exported content in at most renderLimit
// characters, e.g. {Term:3 Entries:[2 items: {Term:3 Command:42} …]}.
func renderValue(v reflect.Value) string {
	var b renderBuf
	b.value(v, 0)
	return b.String()
}

type renderBuf struct {
	strings.Builder
	full bool
}

func (b *renderBuf) put(s string) {
	if b.full {
		return
	}
	if b.Len()+len(s) > renderLimit {
		cut := renderLimit - b.Len()
		for cut > 0 && !utf8Start(s[cut]) {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("…")
		b.full = true
		return
	}
	b.WriteString(s)
}

func utf8Start(c byte) bool { return c&0xC0 != 0x80 }

func (b *renderBuf) value(v reflect.Value, depth int) {
	if b.full {
		return
	}
	if !v.IsValid() {
		b.put("nil")
		return
	}
	if depth > 6 {
		b.put("…")
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			b.put("nil")
			return
		}
		b.value(v.Elem(), depth+1)
	case reflect.Struct:
		b.put("{")
		first := true
		for i := 0; i < v.NumField() && !b.full; i++ {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			if !first {
				b.put(" ")
			}
			first = false
			b.put(f.Name + ":")
			b.value(v.Field(i), depth+1)
		}
		b.put("}")
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			b.put("[]")
			return
		}
		n := v.Len()
		if v.Type().Elem().Kind() == reflect.Uint8 {
			b.put("[" + strconv.Itoa(n) + " bytes]")
			return
		}
		b.put("[")
		if n > renderItems {
			b.put(strconv.Itoa(n) + " items: ")
		}
		for i := 0; i < n && i < renderItems && !b.full; i++ {
			if i > 0 {
				b.put(" ")
			}
			b.value(v.Index(i), depth+1)
		}
		if n > renderItems {
			b.put(" …")
		}
		b.put("]")
	case reflect.Map:
		b.put("map[" + strconv.Itoa(v.Len()) + " entries]")
	case reflect.String:
		s := v.String()
		if len(s) > renderString {
			s = s[:renderString] + "…"
		}
		b.put(strconv.Quote(s))
	case reflect.Bool:
		b.put(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.put(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		b.put(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		b.put(strconv.FormatFloat(v.Float(), 'g', -1, 64))
	default:
		b.put(v.Type().String())
	}
}
