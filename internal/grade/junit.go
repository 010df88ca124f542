package grade

import (
	"encoding/xml"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// The JUnit XML shape that CI systems (GitHub, GitLab, Jenkins) read: one
// testsuite per lab, one testcase per run of a test.

type JUnitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []JUnitSuite `xml:"testsuite"`
}

type JUnitSuite struct {
	Name       string          `xml:"name,attr"`
	Package    string          `xml:"package,attr,omitempty"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []JUnitProperty `xml:"properties>property,omitempty"`
	Cases      []JUnitCase     `xml:"testcase"`
}

type JUnitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type JUnitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *JUnitProblem `xml:"failure,omitempty"`
	Error     *JUnitProblem `xml:"error,omitempty"`
	Skipped   *JUnitProblem `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type JUnitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

func secs(f float64) string { return strconv.FormatFloat(f, 'f', 3, 64) }

// JUnit returns the results as JUnit XML.
func (r *Results) JUnit() *JUnitSuites {
	all := &JUnitSuites{Name: "raftlab grade"}
	var total float64
	for _, lab := range r.Labs {
		s := JUnitSuite{Name: lab.Name, Package: lab.Package, Timestamp: r.Started.UTC().Format("2006-01-02T15:04:05")}
		s.Properties = []JUnitProperty{{"base_seed", strconv.FormatUint(r.BaseSeed, 10)}, {"runs", strconv.Itoa(r.Runs)}}
		var t float64
		for _, tr := range r.Tests {
			if tr.Lab != lab.Name {
				continue
			}
			class := lab.Name + "." + tr.Part
			if !lab.Present {
				s.Cases = append(s.Cases, JUnitCase{Classname: class, Name: tr.Name, Time: secs(0),
					Skipped: &JUnitProblem{Message: "lab not present: " + lab.Package + " is not in the kit"}})
				s.Skipped++
				continue
			}
			for _, run := range tr.Runs {
				c := JUnitCase{Classname: class, Name: tr.Name, Time: secs(run.Seconds)}
				if len(tr.Runs) > 1 {
					c.Name = fmt.Sprintf("%s#%d", tr.Name, run.Run)
				}
				if run.Rerun != "" {
					c.SystemOut = fmt.Sprintf("seed %d\nrerun: %s\n", run.Seed, run.Rerun)
				}
				if run.Artifacts != "" {
					c.SystemOut += "artifacts: " + run.Artifacts + "\n"
				}
				p := &JUnitProblem{Message: string(run.Outcome) + ": " + firstLine(run.Message), Type: string(run.Outcome), Text: run.Message}
				switch run.Outcome {
				case Pass:
				case Fail:
					c.Failure = p
					s.Failures++
				case Skip, NotRun:
					c.Skipped = p
					s.Skipped++
				default: // crash, timeout, missing, error
					c.Error = p
					s.Errors++
				}
				t += run.Seconds
				s.Cases = append(s.Cases, c)
			}
		}
		s.Tests = len(s.Cases)
		s.Time = secs(t)
		total += t
		all.Tests += s.Tests
		all.Failures += s.Failures
		all.Errors += s.Errors
		all.Skipped += s.Skipped
		all.Suites = append(all.Suites, s)
	}
	all.Time = secs(total)
	return all
}

// WriteJUnit writes the results as a JUnit XML file.
func (r *Results) WriteJUnit(file string) error {
	data, err := xml.MarshalIndent(r.JUnit(), "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(file, append([]byte(xml.Header), append(data, '\n')...), 0o644)
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}
