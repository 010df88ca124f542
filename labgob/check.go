package labgob

import (
	"encoding"
	"encoding/gob"
	"fmt"
	"reflect"
	"sync"
	"unicode"
	"unicode/utf8"
)

// typeFindings caches the static analysis of each type: it never changes,
// and the RPC hot path asks for it on every call.
var typeFindings sync.Map // reflect.Type -> []Finding

var (
	gobEncoderType    = reflect.TypeFor[gob.GobEncoder]()
	binaryMarshalType = reflect.TypeFor[encoding.BinaryMarshaler]()
)

// CheckType reports (prints once, delivers to watchers) and returns the
// problems of type t that do not depend on a value: unexported and
// unsendable fields anywhere inside it. The analysis is cached per type.
func CheckType(t reflect.Type) []Finding {
	fs := analyze(t)
	for _, f := range fs {
		report(f)
	}
	return fs
}

func analyze(t reflect.Type) []Finding {
	if t == nil {
		return nil
	}
	if v, ok := typeFindings.Load(t); ok {
		return v.([]Finding)
	}
	root := typeName(t)
	var fs []Finding
	walkType(t, root, root, map[reflect.Type]bool{}, &fs)
	v, _ := typeFindings.LoadOrStore(t, fs)
	return v.([]Finding)
}

func typeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.String()
}

// sendsItself reports whether gob hands the type to its own marshaller, in
// which case its fields are none of gob's (nor our) business.
func sendsItself(t reflect.Type) bool {
	return t.Implements(gobEncoderType) || t.Implements(binaryMarshalType) ||
		reflect.PointerTo(t).Implements(gobEncoderType) || reflect.PointerTo(t).Implements(binaryMarshalType)
}

func walkType(t reflect.Type, root, path string, onPath map[reflect.Type]bool, fs *[]Finding) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if sendsItself(t) {
		return
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		walkType(t.Elem(), root, path+"[]", onPath, fs)
	case reflect.Map:
		walkType(t.Key(), root, path+"[key]", onPath, fs)
		walkType(t.Elem(), root, path+"[]", onPath, fs)
	case reflect.Struct:
		if onPath[t] { // recursive types: each struct is checked once per path
			return
		}
		onPath[t] = true
		defer delete(onPath, t)
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			fpath := path + "." + f.Name
			if f.Name == "_" {
				continue
			}
			if !f.IsExported() {
				*fs = append(*fs, Finding{Type: root, Path: fpath, Kind: UnexportedField,
					Message: fmt.Sprintf("labgob: %s is unexported (lower-case), so gob does not send it and the receiver always sees its zero value; rename it to %s.",
						fpath, capitalize(f.Name))})
				continue
			}
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Chan || ft.Kind() == reflect.Func {
				*fs = append(*fs, Finding{Type: root, Path: fpath, Kind: UnsentField,
					Message: fmt.Sprintf("labgob: %s is a %s, which gob silently does not send; keep it out of RPC arguments and persisted state.",
						fpath, ft.Kind())})
				continue
			}
			walkType(f.Type, root, fpath, onPath, fs)
		}
	}
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == '_' {
		return "X" + s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// CheckDestination reports (prints once per type, delivers to watchers)
// and returns a finding if the value that dst points to already holds
// non-zero data. dst is what a caller passes to Decode.
func CheckDestination(dst any) (Finding, bool) {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return Finding{}, false
	}
	e := v.Elem()
	if e.IsZero() {
		return Finding{}, false
	}
	root := typeName(v.Type())
	path := nonZeroPath(e, root)
	f := Finding{Type: root, Path: path, Kind: NonZeroDestination,
		Message: fmt.Sprintf("labgob: decoding into a %s that already holds data (%s is not zero); gob does not write fields whose sent value is zero, so the old value would survive. Decode into a freshly allocated value (e.g. pass &%s{} as the RPC reply, never a reused one).",
			root, path, root)}
	report(f)
	return f, true
}

// nonZeroPath names the first non-zero field inside v, for the message.
func nonZeroPath(v reflect.Value, path string) string {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return path
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return path
	}
	t := v.Type()
	for i := 0; i < v.NumField(); i++ {
		if !t.Field(i).IsExported() {
			continue
		}
		if !v.Field(i).IsZero() {
			return nonZeroPath(v.Field(i), path+"."+t.Field(i).Name)
		}
	}
	return path
}
