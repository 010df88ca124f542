package porcupine

import (
	"errors"
	"fmt"
	"runtime/debug"
)

// ErrModelPanic is wrapped by every error that reports a panic in one of the
// model's functions.
var ErrModelPanic = errors.New("porcupine: the model panicked")

// ModelPanic reports a panic in one of the model's functions during a check.
// Check and CheckEventHistory return it as their error; the functions that
// mirror the reference API panic with it on the calling goroutine, whichever
// goroutine was running the model. Its Unwrap gives ErrModelPanic and, if
// the model panicked with an error, that error.
type ModelPanic struct {
	// Func is the function that panicked: "Partition", "PartitionEvent",
	// "Init", "Step", "Equal" or "Hash".
	Func string
	// Value is what it panicked with.
	Value any
	// Partition is the index of the partition being searched, -1 when
	// the history was being partitioned.
	Partition int
	// Op is the index, in that partition, of the operation being stepped
	// (Step, or Hash and Equal on the state it led to); -1 for none.
	Op int
	// Operation is that operation, nil for none.
	Operation *Operation
	// Stack is the panicking goroutine's stack.
	Stack []byte
}

func (e *ModelPanic) Error() string {
	msg := fmt.Sprintf("porcupine: the model's %s panicked", e.Func)
	if e.Operation != nil {
		o := e.Operation
		msg += fmt.Sprintf(" on operation %d of partition %d (client %d, input %v", e.Op, e.Partition, o.ClientId, o.Input)
		if o.Unknown {
			msg += fmt.Sprintf(", unknown outcome, called at %d)", o.Call)
		} else {
			msg += fmt.Sprintf(", output %v, called at %d, returned at %d)", o.Output, o.Call, o.Return)
		}
	} else if e.Partition >= 0 {
		msg += fmt.Sprintf(" in partition %d", e.Partition)
	}
	return fmt.Sprintf("%s: %v\n\n%s", msg, e.Value, e.Stack)
}

func (e *ModelPanic) Unwrap() []error {
	if err, ok := e.Value.(error); ok {
		return []error{ErrModelPanic, err}
	}
	return []error{ErrModelPanic}
}

// modelFunc names the model function a search is in, so that a panic can
// be told apart from one in the checker itself, and reported.
type modelFunc uint8

const (
	inChecker modelFunc = iota
	inInit
	inStep
	inEqual
	inHash
)

var modelFuncNames = [...]string{inInit: "Init", inStep: "Step", inEqual: "Equal", inHash: "Hash"}

// modelCall is what a search is calling in the model: set before each call
// and cleared after it, which costs a store each, far less than the call.
type modelCall struct {
	fn modelFunc
	op int32 // the operation being stepped, -1 for none
}

// panicked is a panic caught on a search's goroutine, to be raised again or
// returned on the caller's.
type panicked struct {
	model *ModelPanic // nil for a panic in the checker itself
	value any
	stack []byte
}

// guard runs f, a part of search s, and catches a panic in it.
func (s *search) guard(f func() bool) (done bool, p *panicked) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		p = &panicked{value: v, stack: debug.Stack()}
		c := s.states.call
		if c.fn == inChecker {
			return
		}
		p.model = &ModelPanic{Func: modelFuncNames[c.fn], Value: v, Partition: s.part, Op: int(c.op), Stack: p.stack}
		if c.op >= 0 {
			o := s.ops[c.op]
			p.model.Operation = &o
		}
	}()
	return f(), nil
}

// raise makes p the outcome of a check on the caller's goroutine: the model's
// panic as an error, the checker's own as a panic.
func (p *panicked) raise() error {
	if p.model != nil {
		return p.model
	}
	panic(fmt.Sprintf("porcupine: internal error: %v\n\n%s", p.value, p.stack))
}

// partitionGuarded calls a Partition or PartitionEvent function and returns a
// panic in it as a *ModelPanic.
func partitionGuarded[T any](name string, f func([]T) [][]T, h []T) (parts [][]T, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &ModelPanic{Func: name, Value: v, Partition: -1, Op: -1, Stack: debug.Stack()}
		}
	}()
	return f(h), nil
}
