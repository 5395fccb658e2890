/**
 * JMH benchmarks of the Java side of task dispatch: admission, the priority queue, the task
 * state machine, the worker pool and the whole {@code TaskRuntime.submit} path. Built only by
 * the {@code jmh} Maven profile; see {@code bench/jmh/README.md}. Benchmarks, not tests: they
 * assert nothing and run only when asked.
 */
package io.makeparallel.bench;
