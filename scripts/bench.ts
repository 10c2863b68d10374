/** `npm run bench`: not built yet (issue: Benchmarks and scale). Says so rather than printing made-up figures. */
console.error("error: the benchmark is not built yet.\nhint: see the open issue \"Benchmarks and scale\".")
process.exitCode = 1
