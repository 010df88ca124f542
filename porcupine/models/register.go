package models

import (
	"fmt"

	"raftlab/porcupine"
)

// RegisterOp is the kind of a register operation.
type RegisterOp uint8

const (
	RegisterRead RegisterOp = iota
	RegisterWrite
	RegisterCAS // compare-and-set
)

// RegisterInput is the input of a register operation: Write sets Value; CAS
// sets Value if the register holds Expected.
type RegisterInput struct {
	Op       RegisterOp
	Value    int
	Expected int
}

// RegisterOutput is the output of a register operation: the value a Read
// returned, or whether a CAS succeeded. Write's output is not checked.
type RegisterOutput struct {
	Value int
	Ok    bool
}

// Register returns the model of a single integer register, initially 0,
// with read, write and compare-and-set.
func Register() porcupine.Model {
	return porcupine.Model{
		Init: func() any { return 0 },
		Step: func(state, input, output any) (bool, any) {
			st := state.(int)
			in := input.(RegisterInput)
			out, known := output.(RegisterOutput)
			switch in.Op {
			case RegisterRead:
				return known && out.Value == st, st
			case RegisterWrite:
				return true, in.Value
			case RegisterCAS:
				if st == in.Expected {
					return known && out.Ok, in.Value
				}
				return known && !out.Ok, st
			}
			return false, st
		},
		Hash: func(s any) uint64 {
			// splitmix64: consecutive values must not share low bits.
			z := uint64(s.(int)) + 0x9e3779b97f4a7c15
			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
			z = (z ^ (z >> 27)) * 0x94d049bb133111eb
			return z ^ (z >> 31)
		},
		DescribeOperation: func(input, output any) string {
			in := input.(RegisterInput)
			out, known := output.(RegisterOutput)
			res := "?"
			switch in.Op {
			case RegisterRead:
				if known {
					res = fmt.Sprint(out.Value)
				}
				return "read() -> " + res
			case RegisterWrite:
				return fmt.Sprintf("write(%d)", in.Value)
			case RegisterCAS:
				if known {
					res = fmt.Sprint(out.Ok)
				}
				return fmt.Sprintf("cas(%d, %d) -> %s", in.Expected, in.Value, res)
			}
			return fmt.Sprintf("op%d", in.Op)
		},
		DescribeState: func(s any) string { return fmt.Sprint(s.(int)) },
	}
}
