// Tests that train start a one-node cluster with worker processes; on a small machine two at once only slow each
// other down (and the learning test's wall time is a number worth reading), so this assembly runs one test at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
