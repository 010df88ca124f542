package porcupine

// ToModel turns a nondeterministic model into a Model whose state is the set
// of states the nondeterministic one may be in (a []any without duplicates).
// A step is legal when it is legal from at least one of them. The receiver is
// a value so that it works on both values and pointers.
func (nm NondeterministicModel) ToModel() Model {
	equal := nm.Equal
	if equal == nil {
		equal = func(a, b any) bool { return a == b }
	}
	contains := func(set []any, s any) bool {
		for _, x := range set {
			if equal(x, s) {
				return true
			}
		}
		return false
	}
	m := Model{
		Partition:         nm.Partition,
		PartitionEvent:    nm.PartitionEvent,
		DescribeOperation: nm.DescribeOperation,
	}
	if nm.Init != nil {
		m.Init = func() any {
			var set []any
			for _, s := range nm.Init() {
				if !contains(set, s) {
					set = append(set, s)
				}
			}
			return set
		}
	}
	if nm.Step != nil {
		m.Step = func(state, input, output any) (bool, any) {
			var next []any
			for _, s := range state.([]any) {
				for _, t := range nm.Step(s, input, output) {
					if !contains(next, t) {
						next = append(next, t)
					}
				}
			}
			return len(next) > 0, next
		}
	}
	// Sets are equal regardless of order.
	m.Equal = func(a, b any) bool {
		sa, sb := a.([]any), b.([]any)
		if len(sa) != len(sb) {
			return false
		}
		for _, x := range sa {
			if !contains(sb, x) {
				return false
			}
		}
		return true
	}
	if nm.Hash != nil {
		// An order-independent combination, consistent with the set Equal.
		m.Hash = func(s any) uint64 {
			var h uint64
			for _, x := range s.([]any) {
				h += mix64(nm.Hash(x))
			}
			return h
		}
	}
	if nm.DescribeState != nil {
		m.DescribeState = func(s any) string {
			out := "{"
			for i, x := range s.([]any) {
				if i > 0 {
					out += ", "
				}
				out += nm.DescribeState(x)
			}
			return out + "}"
		}
	}
	return m
}
