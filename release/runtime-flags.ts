// Node flags the image runs every subcommand with (Dockerfile ENTRYPOINT), and the bench runs the
// receiver and connector with, so it measures what is deployed (test: test/integration/chart-image.test.ts).
//
// --max-semi-space-size: V8 sizes the young generation from the heap limit, and on a machine or node with
// gigabytes free it grows to tens of MiB per semi-space; a relay allocates a little per message, steadily,
// so that space filled with short-lived garbage and stayed resident. With 8 MiB the receiver's RSS after
// the bench's backlog phase dropped by about a quarter (bench/RESULTS.md, issue 12) at no measurable CPU cost.
//
// --heap-growing-percent: V8 lets the old generation grow to up to 4x what survived the last full
// collection before it collects again. A receiver's old generation takes a steady trickle of garbage (the
// history index drops its oldest message for each new one), so it sat at 150-220 MiB of heap over 60-70
// MiB live. Receiver RSS after the bench's backlog phase: 363 MiB by default, 247 with 2x (this flag at
// 100), 210 with 1.5x (50); at 1,000 msg/s 1.5x ran a full collection every ~4.5 s (each a 4-12 ms
// pause) and 2x about every 10 s, so 2x: under the 300 MiB target with room, half the pauses of 1.5x.
export const NODE_RUNTIME_FLAGS: readonly string[] = ['--max-semi-space-size=8', '--heap-growing-percent=100'];
