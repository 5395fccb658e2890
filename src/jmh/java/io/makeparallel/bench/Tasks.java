package io.makeparallel.bench;

import io.makeparallel.task.Task;
import io.makeparallel.task.TaskBody;

/** Task fixtures shared by the benchmarks. */
public final class Tasks {
  /** What a Python no-op costs on the Java side once the body is entered: nothing. */
  public static final TaskBody NOOP = task -> null;

  private Tasks() {}

  /**
   * A queued task as the runtime builds it, minus the runtime's id string (constant here, so the
   * state-machine numbers do not include string concatenation; the submit benchmark has it).
   */
  public static Task queued(long sequence, int priority, TaskBody body) {
    return Task.builder()
        .id("task_bench")
        .name("noop")
        .priority(priority)
        .sequence(sequence)
        .body(body)
        .build();
  }

  /** Priority of the i-th task: all equal, or four levels interleaved. */
  public static int priority(boolean mixed, long i) {
    return mixed ? (int) (i * 7 % 4) : 0;
  }
}
