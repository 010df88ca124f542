package porcupine

import (
	"hash/maphash"
	"math"
	"reflect"
)

// structuralHash hashes a state by its content, for models with Equal but no
// Hash: without a hash, states cannot be interned and the memo can only
// compare every state reached with a linearized set against the new one.
// It is consistent with any Equal that compares content (==, maps.Equal,
// reflect.DeepEqual, a field-by-field comparison): maps are hashed
// independently of their order, pointers by what they point to, nil and
// empty maps and slices alike, and anything it cannot look into (funcs,
// channels, cycles beyond a depth) hashes to a constant. An Equal that is
// coarser than content (sets kept as slices in any order, fields ignored)
// makes it inconsistent; the state table watches for that (see
// stateTable.checkDerived) and stops using it.
func structuralHash(s any) uint64 {
	switch v := s.(type) {
	case string:
		return maphash.String(defaultSeed, v)
	case int:
		return mix64(uint64(v))
	case map[string]string:
		var h uint64
		for k, x := range v {
			h += mix64(maphash.String(defaultSeed, k) ^ mix64(maphash.String(defaultSeed, x)))
		}
		return mix64(h ^ uint64(len(v)))
	case []any:
		// The states of NondeterministicModel.ToModel: sets, equal in any
		// order. A model whose []any is ordered only gets more
		// collisions, which its Equal tells apart.
		var h uint64
		for _, x := range v {
			h += mix64(hashValue(reflect.ValueOf(x), 1))
		}
		return mix64(h ^ uint64(len(v)))
	}
	return hashValue(reflect.ValueOf(s), 0)
}

// maxHashDepth bounds how deep hashValue follows pointers, interfaces and
// containers: far enough for any state a model keeps, and a cycle stops.
const maxHashDepth = 32

// combine folds b into the ordered hash a.
func combine(a, b uint64) uint64 { return mix64(a*0x9e3779b97f4a7c15 + b) }

func hashValue(v reflect.Value, depth int) uint64 {
	if !v.IsValid() || depth > maxHashDepth {
		return 0
	}
	k := uint64(v.Kind())
	switch v.Kind() {
	case reflect.Bool:
		if v.Bool() {
			return combine(k, 1)
		}
		return combine(k, 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return mix64(uint64(v.Int()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return mix64(v.Uint())
	case reflect.Float32, reflect.Float64:
		return combine(k, floatBits(v.Float()))
	case reflect.Complex64, reflect.Complex128:
		c := v.Complex()
		return combine(combine(k, floatBits(real(c))), floatBits(imag(c)))
	case reflect.String:
		return maphash.String(defaultSeed, v.String())
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return k
		}
		return combine(k, hashValue(v.Elem(), depth+1))
	case reflect.Slice, reflect.Array:
		h := combine(uint64(reflect.Slice), uint64(v.Len()))
		for i := range v.Len() {
			h = combine(h, hashValue(v.Index(i), depth+1))
		}
		return h
	case reflect.Map:
		// A sum of the entries' hashes does not depend on their order.
		var h uint64
		it := v.MapRange()
		for it.Next() {
			h += mix64(combine(hashValue(it.Key(), depth+1), hashValue(it.Value(), depth+1)))
		}
		return combine(combine(k, uint64(v.Len())), h)
	case reflect.Struct:
		h := k
		for i := range v.NumField() {
			h = combine(h, hashValue(v.Field(i), depth+1))
		}
		return h
	}
	return k // funcs, channels, unsafe pointers
}

// floatBits makes 0 and -0, equal under ==, hash alike.
func floatBits(f float64) uint64 {
	if f == 0 {
		return 0
	}
	return math.Float64bits(f)
}
