package labgob

import (
	"encoding/gob"
	"fmt"
	"io"
	"reflect"
)

// LabEncoder is a gob.Encoder that checks each type it sends.
type LabEncoder struct {
	gob *gob.Encoder
}

// LabDecoder is a gob.Decoder that checks each type it fills and refuses
// to stay silent about destinations that already hold data.
type LabDecoder struct {
	gob *gob.Decoder
}

// NewEncoder returns an encoder writing a gob stream to w.
func NewEncoder(w io.Writer) *LabEncoder {
	return &LabEncoder{gob: gob.NewEncoder(w)}
}

// Encode checks v's type, then encodes v.
func (e *LabEncoder) Encode(v any) error {
	CheckType(reflect.TypeOf(v))
	return e.gob.Encode(v)
}

// EncodeValue checks v's type, then encodes v.
func (e *LabEncoder) EncodeValue(v reflect.Value) error {
	if v.IsValid() {
		CheckType(v.Type())
	}
	return e.gob.EncodeValue(v)
}

// NewDecoder returns a decoder reading a gob stream from r.
func NewDecoder(r io.Reader) *LabDecoder {
	return &LabDecoder{gob: gob.NewDecoder(r)}
}

// Decode checks e's type and that *e is still zero, then decodes into e.
func (d *LabDecoder) Decode(e any) error {
	CheckType(reflect.TypeOf(e))
	CheckDestination(e)
	return d.gob.Decode(e)
}

// Register records a concrete type that will travel inside interface
// values (e.g. Raft log commands), as gob.Register does, and checks it.
// Unlike gob.Register it does not panic on a conflict: the conflict is
// reported as a finding instead.
func Register(value any) {
	noteRegistered(reflect.TypeOf(value))
	defer recoverRegistration(fmt.Sprintf("%T", value))
	gob.Register(value)
}

// RegisterName is Register with an explicit name, as gob.RegisterName.
func RegisterName(name string, value any) {
	noteRegistered(reflect.TypeOf(value))
	defer recoverRegistration(name)
	gob.RegisterName(name, value)
}

// noteRegistered checks a type that may travel inside interface values.
func noteRegistered(t reflect.Type) {
	CheckType(t)
}

func recoverRegistration(name string) {
	if r := recover(); r != nil {
		report(Finding{Type: name, Path: name, Kind: RegistrationConflict,
			Message: fmt.Sprintf("labgob: cannot register %s: %v; register each type once, under one name.", name, r)})
	}
}
