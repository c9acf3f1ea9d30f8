// The OpenTelemetry collector (work in progress).
export {}
