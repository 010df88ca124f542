package adopt

import (
	"fmt"
	"io"
	"strings"
)

// String renders the report as the raftlab adopt command prints it: one
// line per action.
func (r *Report) String() string {
	var b strings.Builder
	r.Write(&b)
	return b.String()
}

// Write renders the report to w.
func (r *Report) Write(w io.Writer) {
	verb := "adopted"
	if r.DryRun {
		verb = "would adopt (dry run, nothing changed)"
	}
	fmt.Fprintf(w, "%s %s (%s, module %s) into the kit at %s (module %s)\n",
		verb, r.Student, r.Layout, r.StudentModule, r.Kit, r.KitModule)
	for _, lab := range r.Labs {
		fmt.Fprintf(w, "%s (from %s):\n", lab.Name, lab.From)
		for _, c := range lab.Copied {
			extra := ""
			if c.Replaced {
				extra = "  (replaces the kit's " + c.To + ")"
			}
			fmt.Fprintf(w, "  copied    %s -> %s%s\n", c.From, c.To, extra)
		}
		for _, f := range lab.RemovedFromKit {
			fmt.Fprintf(w, "  removed   %s (the kit's reference implementation)\n", f)
		}
		for _, rw := range lab.Rewrites {
			fmt.Fprintf(w, "  import    %s:%d %q -> %q\n", rw.File, rw.Line, rw.From, rw.To)
		}
		for _, s := range lab.Supplied {
			fmt.Fprintf(w, "  supplied  %s: %s\n", s.File, s.What)
		}
		for _, n := range lab.LeftOut {
			fmt.Fprintf(w, "  left out  %s: %s\n", n.Path, n.Why)
		}
	}
	for _, n := range r.NotAdopted {
		fmt.Fprintf(w, "not adopted %s: %s\n", n.Path, n.Why)
	}
}
