package porcupine

import "fmt"

// compiledModel is a Model with its optional parts resolved once, so the
// search's inner loop never tests for nil.
type compiledModel struct {
	init  func() any
	step  func(state, input, output any) (bool, any)
	equal func(a, b any) bool
	hash  func(any) uint64
	// derived says hash was made up for a model with Equal but no Hash
	// (see structuralHash), and may disagree with equal.
	derived bool
}

func compileModel(m Model) (*compiledModel, error) {
	if m.Init == nil {
		return nil, fmt.Errorf("%w: Init is nil", ErrInvalidModel)
	}
	if m.Step == nil {
		return nil, fmt.Errorf("%w: Step is nil", ErrInvalidModel)
	}
	c := &compiledModel{init: m.Init, step: m.Step, equal: m.Equal, hash: m.Hash}
	switch {
	case c.equal == nil:
		c.equal = func(a, b any) bool { return a == b }
		if c.hash == nil {
			c.hash = defaultHash
		}
	case c.hash == nil:
		c.hash, c.derived = structuralHash, true
	}
	return c, nil
}
