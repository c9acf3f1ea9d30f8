// The prom-client collector (work in progress).
export {}
