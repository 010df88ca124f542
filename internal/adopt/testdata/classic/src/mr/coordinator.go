package mr

// Stands in for the MapReduce lab, which the kit does not grade.
