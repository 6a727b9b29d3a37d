// Public typings of iops-profiler; the implementation and its declarations
// are compiled from src/ into dist/.
export * from "./dist/index";
