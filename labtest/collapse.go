package labtest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// A stuck server often has hundreds of goroutines in the same place (RPC
// handlers queued on one lock, a sender per heartbeat). Dumps print each
// distinct stack once, with how many goroutines share it, so that the one
// goroutine that differs is not lost among the copies.

var (
	waitedRE  = regexp.MustCompile(`, \d+ minutes`)
	argsRE    = regexp.MustCompile(`\([^()]*\)$`)
	offsetRE  = regexp.MustCompile(` \+0x[0-9a-f]+$`)
	creatorRE = regexp.MustCompile(` in goroutine \d+$`)
)

// stackKey is what two goroutines must share to be printed as one: their
// state, labels and frames, without ids, wait times, arguments and
// offsets.
func stackKey(block string) string {
	lines := strings.Split(block, "\n")
	var b strings.Builder
	if m := headerRE.FindStringSubmatch(lines[0]); m != nil {
		b.WriteString(waitedRE.ReplaceAllString(m[2], ""))
	}
	for _, l := range lines[1:] {
		l = offsetRE.ReplaceAllString(creatorRE.ReplaceAllString(argsRE.ReplaceAllString(l, ""), ""), "")
		b.WriteString("\n")
		b.WriteString(l)
	}
	return b.String()
}

// collapseStacks rewrites a goroutine dump (runtime.Stack's format, blocks
// separated by blank lines) so that each distinct stack appears once, at
// the place of its first goroutine, its header saying how many share it
// and which. Other text (a panic message) is kept as it is.
func collapseStacks(dump string) string {
	blocks := strings.Split(strings.TrimRight(dump, "\n"), "\n\n")
	type group struct {
		first int
		ids   []int
	}
	groups := map[string]*group{}
	keys := make([]string, len(blocks))
	for i, blk := range blocks {
		m := headerRE.FindStringSubmatch(strings.SplitN(blk, "\n", 2)[0])
		if m == nil {
			continue
		}
		k := stackKey(blk)
		keys[i] = k
		id, _ := strconv.Atoi(m[1])
		if g, ok := groups[k]; ok {
			g.ids = append(g.ids, id)
		} else {
			groups[k] = &group{first: i, ids: []int{id}}
		}
	}
	var out []string
	for i, blk := range blocks {
		g, ok := groups[keys[i]]
		switch {
		case keys[i] == "":
			out = append(out, blk)
		case !ok || g.first != i:
			// printed with its group
		case len(g.ids) == 1:
			out = append(out, blk)
		default:
			header, rest, _ := strings.Cut(blk, "\n")
			out = append(out, fmt.Sprintf("%s × %d (goroutines %s):\n%s", strings.TrimSuffix(header, ":"), len(g.ids), idList(g.ids, 12), rest))
		}
	}
	return strings.Join(out, "\n\n") + "\n"
}

// idList lists at most n ids, then how many more there are.
func idList(ids []int, n int) string {
	var parts []string
	for i, id := range ids {
		if i == n {
			parts = append(parts, fmt.Sprintf("… and %d more", len(ids)-n))
			break
		}
		parts = append(parts, strconv.Itoa(id))
	}
	return strings.Join(parts, ", ")
}
