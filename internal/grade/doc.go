// Package grade is the grader behind `raftlab grade` and `raftlab merge`:
// it grades the labs' test suites test by test, each run in a process of
// its own, and scores them by a rubric.
//
// Grade builds each selected lab's test binary once (go test -c, with
// -race if asked), lists its tests (-test.list) and runs every test the
// rubric names as
//
//	<lab>.test -test.run '^Name$' -test.count=1 -test.v -test.timeout T -seed S -logdir DIR
//
// in the lab's package folder, in a process group of its own: a panic in
// a student goroutine, a hang or a leaked goroutine ends that run only.
// The testing package's own timeout (T, Options.Timeout) dumps the
// goroutines of a run that will not end; one that cannot even do that is
// killed with its whole group a grace period later, as is anything a run
// left behind. Each run draws its seed from the base seed (RunSeed), so a
// grading run repeats exactly however it is sharded or parallelised, and
// its folder DIR receives every file the harness writes (labtest's -logdir):
// kept, with the run's output and a README.txt holding the rerun line,
// under Options.ArtifactDir when the run does not pass.
//
//	res, err := grade.Grade(ctx, grade.Options{Select: []string{"raft"}, Runs: 3})
//	res.WriteReport(os.Stdout) // per-test table, failed runs, points per part
//	res.WriteJSON("r.json")    // also WriteJUnit, WriteGradescope
//
// A test earns its points only if every one of its runs passed. The
// rubric (rubric.yaml, embedded; ParseRubric for another) maps each lab's
// parts to tests and points. Options.Shard grades a deterministic share of
// the test list, and Merge combines the shards' results. GradeSubmission
// grades a student's classic tree in a temporary copy of the kit, through
// the adopt package.
package grade
