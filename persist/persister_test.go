package persist

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPersisterSaveReplacesBothPiecesTogether(t *testing.T) {
	ps := MakePersister()
	assert.Nil(t, ps.ReadRaftState(), "a new persister holds no state")
	assert.Zero(t, ps.SnapshotSize())

	ps.Save([]byte("state-1"), []byte("snap-1"))
	ps.Save([]byte("state-22"), nil)
	assert.Equal(t, []byte("state-22"), ps.ReadRaftState())
	assert.Equal(t, 8, ps.RaftStateSize())
	assert.Nil(t, ps.ReadSnapshot(), "Save with a nil snapshot erases the old one")
	assert.Zero(t, ps.SnapshotSize())
}

func TestPersisterIsolatesCallersBuffers(t *testing.T) {
	state, snap := []byte("abc"), []byte("xyz")
	ps := MakePersister()
	ps.Save(state, snap)
	state[0], snap[0] = 'Z', 'Z'
	assert.Equal(t, []byte("abc"), ps.ReadRaftState(), "Save must copy the state in")
	assert.Equal(t, []byte("xyz"), ps.ReadSnapshot(), "Save must copy the snapshot in")

	read := ps.ReadRaftState()
	read[0] = 'Q'
	assert.Equal(t, []byte("abc"), ps.ReadRaftState(), "reads must return copies")
}

func TestPersisterCopyIsIndependent(t *testing.T) {
	ps := MakePersister()
	ps.Save([]byte("old"), []byte("old-snap"))
	cp := ps.Copy()
	ps.Save([]byte("new"), []byte("new-snap"))
	assert.Equal(t, []byte("old"), cp.ReadRaftState(), "a copy must not see later saves to the original")
	assert.Equal(t, []byte("old-snap"), cp.ReadSnapshot())
	cp.Save([]byte("other"), nil)
	assert.Equal(t, []byte("new"), ps.ReadRaftState(), "the original must not see saves to the copy")
}
