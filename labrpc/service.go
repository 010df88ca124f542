package labrpc

import (
	"fmt"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"
)

// Service is the set of handlers of one receiver, named after the
// receiver's type ("Raft" for a *Raft).
type Service struct {
	name     string
	rcvr     reflect.Value
	methods  map[string]*method
	rejected map[string]string // exported methods that are not handlers, and why
}

// method is a handler, analysed once so that calls do no method lookup.
type method struct {
	fn        reflect.Value
	argType   reflect.Type // allocated per call; the handler gets a pointer to it if argPtr
	argPtr    bool
	replyType reflect.Type // the handler gets a *replyType
}

// MakeService collects rcvr's handlers: exported methods shaped
// func (args *A, reply *R) with no results (args may also be passed by
// value). Other exported methods are ignored, but an RPC naming one fails
// with an error saying why it is not a handler.
func MakeService(rcvr any) *Service {
	svc := &Service{methods: map[string]*method{}, rejected: map[string]string{}}
	if rcvr == nil {
		svc.name = "<nil>"
		return svc
	}
	svc.rcvr = reflect.ValueOf(rcvr)
	t := svc.rcvr.Type()
	svc.name = reflect.Indirect(svc.rcvr).Type().Name()
	for i := 0; i < t.NumMethod(); i++ {
		mm := t.Method(i)
		mt := mm.Type
		switch {
		case mt.NumIn() != 3:
			svc.rejected[mm.Name] = fmt.Sprintf("it takes %d arguments, a handler takes (args, reply *Reply)", mt.NumIn()-1)
		case mt.In(2).Kind() != reflect.Pointer:
			svc.rejected[mm.Name] = fmt.Sprintf("its reply parameter is %s, not a pointer", mt.In(2))
		case mt.NumOut() != 0:
			svc.rejected[mm.Name] = "it returns results; a handler returns nothing and fills its reply"
		default:
			m := &method{fn: mm.Func, argType: mt.In(1), replyType: mt.In(2).Elem()}
			if m.argType.Kind() == reflect.Pointer {
				m.argPtr = true
				m.argType = m.argType.Elem()
			}
			svc.methods[mm.Name] = m
		}
	}
	return svc
}

func (svc *Service) describe() string {
	if len(svc.methods) == 0 {
		return "(none)"
	}
	names := make([]string, 0, len(svc.methods))
	for name := range svc.methods {
		names = append(names, svc.name+"."+name)
	}
	slices.Sort(names)
	return "[" + strings.Join(names, " ") + "]"
}

// invoke runs the handler, turning a panic into an error so that a buggy
// handler fails its test instead of killing the test binary.
func (m *method) invoke(rcvr, argv, replyp reflect.Value) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panicked: %v\n%s", r, debug.Stack())
		}
	}()
	m.fn.Call([]reflect.Value{rcvr, argv, replyp})
	return nil
}
