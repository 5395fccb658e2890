package io.makeparallel.python;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.makeparallel.TaskRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.graalvm.polyglot.Context;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14: a cancelled interpreters task does not leave the subprocess it started running,
 * orphaned (CPython's {@code subprocess.run} kills its child when interrupted).
 *
 * <p>The child's pid comes from the shell ({@code $$}, then {@code exec sleep}): GraalPy's
 * {@code Popen.pid} is its own number, not the operating system's. The sleeper would end on
 * its own after an hour; the bound is far below that.
 */
class WorkerSubprocessCleanupTest {
  private static final Duration BOUND = Duration.ofMinutes(2);

  private static final String SCRIPT = """
      import makeparallel as mp

      def sleeper(pidfile):
          # The shell writes its pid and becomes the sleeper (exec): that pid is the child's.
          return ["sh", "-c", "echo $$ > '%s.tmp' && mv '%s.tmp' '%s' && exec sleep 3600"
                  % (pidfile, pidfile, pidfile)]

      def run_sleeper(pidfile):
          import subprocess
          subprocess.run(sleeper(pidfile))
          return "sleeper returned"

      def start_sleeper(pidfile):
          import subprocess
          subprocess.Popen(sleeper(pidfile))
          return "started"

      def start(pidfile):
          global handle
          handle = mp.parallel(backend="interpreters")(run_sleeper)(pidfile)
      """;

  @TempDir
  Path tmp;

  @Test
  void cancellingTheTaskKillsTheSubprocessItStarted() throws Exception {
    Path pidfile = tmp.resolve("sleeper.pid");
    try (Context ctx = PythonTestSupport.newContext()) {
      ctx.eval("python", SCRIPT);
      ctx.getBindings("python").getMember("start").execute(pidfile.toString());
      waitUntil(() -> Files.exists(pidfile), "the task never started its subprocess");
      long pid = sleeperPid(pidfile);
      try {
        ctx.eval("python", "handle.cancel()");
        waitUntil(() -> !alive(pid), "sleeper " + pid + " still running after its task was cancelled");
      } finally {
        killSleeper(pid);
      }
    }
  }

  /**
   * At shutdown the worker contexts are closed, and with them what their tasks left running.
   * A private runtime, so closing it leaves the process-wide one to the other tests.
   */
  @Test
  void closingTheRuntimeKillsSubprocessesItsWorkersLeftRunning() throws Exception {
    TaskRuntime rt = TaskRuntime.builder().build();
    InterpreterBackend.register(rt);
    Path pidfile = tmp.resolve("left.pid");
    try (Context ctx = PythonContexts.builder(rt).allowProcesses(true).allowRuntimeControl(true).build()) {
      ctx.eval("python", SCRIPT + "\nmp.configure(interpreters=1)\n");
      String started = ctx.eval("python", "lambda f: mp.parallel(backend='interpreters')(start_sleeper)(f).get(timeout=300)")
          .execute(pidfile.toString()).asString();
      assertTrue("started".equals(started), started);
      waitUntil(() -> Files.exists(pidfile), "the task never started its subprocess");
      long pid = sleeperPid(pidfile);
      try {
        rt.close();
        waitUntil(() -> !alive(pid), "sleeper " + pid + " outlived the closed runtime's worker contexts");
      } finally {
        rt.close();
        killSleeper(pid);
      }
    }
  }

  /** The sleeper's pid, checked to be that sleeper (never another process's). */
  private static long sleeperPid(Path pidfile) throws java.io.IOException {
    long pid = Long.parseLong(Files.readString(pidfile).trim());
    assertTrue(pid > 1 && isSleeper(pid), "pid " + pid + " is not the sleeper");
    return pid;
  }

  private static boolean isSleeper(long pid) {
    return ProcessHandle.of(pid).flatMap(h -> h.info().commandLine())
        .map(c -> c.contains("sleep") && c.contains("3600")).orElse(false);
  }

  /** Tidies up after a failure: only the sleeper itself is ever signalled. */
  private static void killSleeper(long pid) {
    if (pid > 1 && isSleeper(pid)) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  private static boolean alive(long pid) {
    Optional<ProcessHandle> h = ProcessHandle.of(pid);
    return h.isPresent() && h.get().isAlive();
  }

  private static void waitUntil(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + BOUND.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, what);
      LockSupport.parkNanos(20_000_000L);
    }
  }
}
