// Per-file vitest setup: nothing needed yet; the hook exists so suites share one place for it.
export {};
