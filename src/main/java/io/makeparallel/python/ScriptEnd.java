package io.makeparallel.python;

import io.makeparallel.TaskRuntime;
import io.makeparallel.internal.RuntimeAccess;
import io.makeparallel.task.Task;
import io.makeparallel.task.TaskState;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.graalvm.polyglot.Value;

/**
 * The end of a main program, as {@code python} ends one: waits for running tasks (as
 * concurrent.futures does at exit) and for non-daemon threads (as {@code threading} does), of
 * the main context and of worker interpreters, until neither is left, since a thread may submit
 * tasks and a task may start threads. Never silently for long: after {@link #REPORT_AFTER} one
 * line on stderr says what is still awaited; queued tasks that can never start (priority
 * dequeuing paused by {@code stop_priority_worker()}) are cancelled with a line saying so.
 *
 * <p>Used by the main thread of {@link PythonContexts#runMain} only; not thread-safe.
 */
final class ScriptEnd {
  private static final Logger LOG = LogManager.getLogger(ScriptEnd.class);
  /** How long the end of a script may wait before it says what it waits for. */
  static final Duration REPORT_AFTER = Duration.ofMillis(Long.getLong("makeparallel.exitReportMillis", 20_000));
  private static final long STEP_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
  /** Worker interpreters wait for their threads without limit; the report says so. */
  private static final long CLOSE_WAIT_MILLIS = TimeUnit.DAYS.toMillis(365);

  private final TaskRuntime runtime;
  private final Value joinThreads;
  private final Value pendingThreads;
  private final PrintStream err;
  private final CountDownLatch done = new CountDownLatch(1);
  private volatile List<String> threads = List.of();
  private volatile boolean closingWorkers;

  private ScriptEnd(TaskRuntime runtime, Value launch, PrintStream err) {
    this.runtime = runtime;
    this.joinThreads = launch.getMember("join_threads");
    this.pendingThreads = launch.getMember("pending_threads");
    this.err = err;
  }

  /**
   * Waits as described above. {@code launch} is the main context's {@code _makeparallel_launch}
   * module. Throws what the guest throws (a cancelled context on Ctrl-C).
   */
  static void await(TaskRuntime runtime, Value launch, PrintStream err) throws InterruptedException {
    new ScriptEnd(runtime, launch, err).run();
  }

  private void run() throws InterruptedException {
    Thread watch = new Thread(this::reportIfLong, "makeparallel-exit-report");
    watch.setDaemon(true);
    watch.start();
    try {
      boolean workersClosed = false;
      while (true) {
        awaitTasks();
        if (joinMainThreads()) {
          continue; // a thread may have submitted tasks before it ended
        }
        if (!workersClosed) {
          workersClosed = true;
          closeWorkers();
          continue; // a worker's thread may have submitted tasks to the threads backend
        }
        if (runtime.activeCount() == 0 && pendingThreads().isEmpty()) {
          return;
        }
      }
    } finally {
      done.countDown();
    }
  }

  private void awaitTasks() throws InterruptedException {
    while (!runtime.awaitIdle(Duration.ofNanos(STEP_NANOS))) {
      cancelNeverStarting();
    }
  }

  /**
   * Priority-launcher tasks held by {@code stop_priority_worker()} start only if something calls
   * {@code start_priority_worker()}: once nothing else runs and no thread is left that could,
   * they never will, so they are cancelled (and said so) rather than waited for forever.
   */
  private void cancelNeverStarting() {
    if (!runtime.isPriorityPaused()) {
      return;
    }
    List<Task> held = new ArrayList<>();
    for (Task t : runtime.liveTasks()) {
      TaskState s = t.state();
      if (s == TaskState.QUEUED && t.fromPriorityLauncher()) {
        held.add(t);
      } else if (s != TaskState.WAITING && !s.isTerminal()) {
        return; // something still runs and may resume the priority worker
      }
    }
    if (held.isEmpty() || !pendingThreads().isEmpty()) {
      return;
    }
    int n = held.size();
    err.println("makeparallel: " + n + " queued priority task" + (n == 1 ? "" : "s")
        + " never started (stop_priority_worker() paused them); cancelling " + (n == 1 ? "it" : "them")
        + " at exit");
    err.flush();
    for (Task t : held) {
      t.cancel();
    }
  }

  /** Joins the main context's non-daemon threads; true if there were any. */
  private boolean joinMainThreads() {
    threads = pendingThreads();
    if (threads.isEmpty()) {
      return false;
    }
    joinThreads.execute();
    threads = List.of();
    return true;
  }

  private List<String> pendingThreads() {
    Value names = pendingThreads.execute();
    List<String> out = new ArrayList<>();
    for (long i = 0, n = names.getArraySize(); i < n; i++) {
      out.add(names.getArrayElement(i).asString());
    }
    return out;
  }

  /**
   * Closes the worker interpreters normally (each lets its non-daemon threads finish first) and
   * leaves the cluster the script joined, if any.
   */
  private void closeWorkers() {
    if (RuntimeAccess.get().existingBackend(runtime, ClusterBackend.NAME) != null) {
      runtime.closeBackend(ClusterBackend.NAME, CLOSE_WAIT_MILLIS);
    }
    if (RuntimeAccess.get().existingBackend(runtime, InterpreterBackend.NAME) == null) {
      return;
    }
    closingWorkers = true;
    try {
      // Forgotten as well as closed: a later script on the same runtime (MakeParallel.runScript,
      // the examples' smoke test) gets fresh worker interpreters instead of a closed pool.
      // Workers that never ran a task (a warm daemon's, prepared for this run) started nothing
      // to wait for: they close themselves, once built, without holding up the script's end.
      long wait = InterpreterBackend.workersUsed(runtime) > 0 ? CLOSE_WAIT_MILLIS : 0;
      runtime.closeBackend(InterpreterBackend.NAME, wait);
    } finally {
      closingWorkers = false;
    }
  }

  private void reportIfLong() {
    try {
      if (!done.await(REPORT_AFTER.toMillis(), TimeUnit.MILLISECONDS)) {
        err.println(describe());
        err.flush();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.debug("describing the end-of-script wait: {}", e.toString());
    }
  }

  /** One line: what the end of the script still waits for, and how to stop waiting. */
  String describe() {
    List<String> what = new ArrayList<>();
    List<Task> live = runtime.liveTasks();
    if (!live.isEmpty()) {
      List<String> tasks = new ArrayList<>();
      for (Task t : live) {
        tasks.add(String.format(java.util.Locale.ROOT, "%s '%s' %s %.0fs", t.id(), t.name(),
            t.state().name().toLowerCase(java.util.Locale.ROOT), t.elapsedSeconds()));
      }
      what.add(live.size() + " task" + (live.size() == 1 ? "" : "s") + " (" + String.join(", ", tasks) + ")");
    }
    List<String> names = threads;
    if (!names.isEmpty()) {
      what.add("non-daemon thread" + (names.size() == 1 ? " " : "s ") + String.join(", ", names));
    }
    if (closingWorkers) {
      what.add("non-daemon threads started by tasks in worker interpreters");
    }
    String waits = what.isEmpty() ? "its last callbacks" : String.join(" and ", what);
    return "makeparallel: the script has ended; still waiting after " + REPORT_AFTER.toSeconds()
        + " s for " + waits + " (Ctrl-C cancels them)";
  }
}
