package io.makeparallel.python;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The end of a script through the real {@code ./makeparallel} launcher, as {@code python
 * script.py} ends one (issue 14): non-daemon threads are waited for, {@code os._exit(n)} from
 * any thread gives status n, and nothing is waited for forever without a word.
 */
class LauncherExitTest {
  /** Every run here ends well within this unless the feature under test is broken (a hang). */
  private static final long LIMIT_SECONDS = 240;

  @TempDir Path tmp;

  record Run(int status, String out, String err) {}

  private Run launch(Map<String, String> env, String... args) throws Exception {
    Process p = start(env, args);
    if (!p.waitFor(LIMIT_SECONDS, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("launcher did not finish within " + LIMIT_SECONDS + " s: " + List.of(args)
          + "\nstderr: " + Files.readString(tmp.resolve("err.txt")));
    }
    return new Run(p.exitValue(), Files.readString(tmp.resolve("out.txt")), Files.readString(tmp.resolve("err.txt")));
  }

  private Process start(Map<String, String> env, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(PythonTestSupport.repo().resolve("makeparallel").toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
    pb.environment().put("MAKEPARALLEL_QUIET", "1");
    pb.environment().put("MAKEPARALLEL_DAEMON", "0"); // cold runs here; DaemonTest covers the daemon
    pb.environment().putAll(env);
    pb.redirectOutput(tmp.resolve("out.txt").toFile()).redirectError(tmp.resolve("err.txt").toFile());
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    return pb.start();
  }

  private Path write(String name, String text) throws IOException {
    Path f = tmp.resolve(name);
    Files.writeString(f, text);
    return f;
  }

  /**
   * A thread a task starts without daemon=True is non-daemon, as under CPython: the process
   * waits for it after the script ends, so what it writes then is all there.
   */
  @ParameterizedTest
  @ValueSource(strings = {"threads", "interpreters"})
  void nonDaemonThreadStartedInATaskOutlivesTheScript(String backend) throws Exception {
    Path script = write("writer.py", String.join("\n",
        "import os, sys, threading, time, makeparallel as mp",
        "backend, out, ended = sys.argv[1:]",
        "def task(out, ended):",
        "    def writer():",
        "        deadline = time.monotonic() + 120",
        "        while not os.path.exists(ended) and time.monotonic() < deadline:",
        "            time.sleep(0.01)  # bounded poll: the main script has ended",
        "        with open(out, 'w') as f:",
        "            for i in range(1000):",
        "                f.write('line %d\\n' % i)",
        "            f.write('done\\n')",
        "    t = threading.Thread(target=writer)",
        "    t.start()",
        "    return t.daemon",
        "print('daemon', mp.parallel(backend=backend)(task)(out, ended).get())",
        "open(ended, 'w').close()", ""));
    Path out = tmp.resolve("written.txt");
    Run r = launch(Map.of(), script.toString(), backend, out.toString(), tmp.resolve("ended").toString());
    assertEquals(0, r.status(), r.err());
    assertEquals("daemon False", r.out().trim());
    assertTrue(Files.exists(out), "the thread's output is missing: the process did not wait for it");
    List<String> lines = Files.readAllLines(out);
    assertEquals(1001, lines.size());
    assertEquals("done", lines.get(1000));
  }

  /**
   * os._exit(9) from a thread while the launcher waits for a running task at the end of the
   * script: the process ends with 9 at once (the task would wait for minutes).
   */
  @Test
  void osExitFromAThreadWhileWaitingForTasksKeepsItsStatus() throws Exception {
    Path script = write("exit9.py", String.join("\n",
        "import os, threading, makeparallel as mp",
        "never = threading.Event()",
        "ended = threading.Event()",
        "@mp.parallel",
        "def slow():",
        "    never.wait(600)",
        "def killer():",
        "    ended.wait(600)",
        "    os._exit(9)",
        "h = slow()",
        "threading.Thread(target=killer, daemon=True).start()",
        "print('script end', flush=True)",
        "ended.set()", ""));
    Run r = launch(Map.of(), script.toString());
    assertEquals(9, r.status(), r.err());
    assertEquals("script end", r.out().trim());
  }

  /** A queued priority task that can never start (dequeuing paused) is cancelled, and said so. */
  @Test
  void pausedPriorityTaskDoesNotHangTheEndOfTheScript() throws Exception {
    Path script = write("paused.py", String.join("\n",
        "import makeparallel as mp",
        "mp.stop_priority_worker()",
        "@mp.parallel_priority(priority=5)",
        "def job():",
        "    print('ran')",
        "h = job()",
        "print('script end', h.get_task_id(), flush=True)", ""));
    Run r = launch(Map.of(), script.toString());
    assertEquals(0, r.status(), r.err());
    assertEquals("script end task_0", r.out().trim());
    assertTrue(r.err().contains("1 queued priority task never started (stop_priority_worker() paused them)"), r.err());
    assertFalse(r.out().contains("ran"));
  }

  /**
   * A long end-of-script wait says what it waits for (task id, name) and that Ctrl-C cancels
   * it; here the report threshold is lowered and the test releases the task once it saw it.
   */
  @Test
  void longEndOfScriptWaitSaysWhatItWaitsFor() throws Exception {
    Path release = tmp.resolve("release");
    Path script = write("long.py", String.join("\n",
        "import os, time, makeparallel as mp",
        "@mp.parallel",
        "def slow_job(path):",
        "    deadline = time.monotonic() + 200",
        "    while not os.path.exists(path) and time.monotonic() < deadline:",
        "        time.sleep(0.02)  # bounded poll: the test creates the file",
        "    return 'released'",
        "slow_job(" + pyString(release.toString()) + ")",
        "print('script end', flush=True)", ""));
    Process p = start(Map.of("MAKEPARALLEL_JAVA_OPTS", "-Dmakeparallel.exitReportMillis=300"), script.toString());
    try {
      Path err = tmp.resolve("err.txt");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LIMIT_SECONDS);
      while (!Files.readString(err).contains("still waiting")) {
        assertTrue(p.isAlive() && System.nanoTime() < deadline, () -> "no report: " + readQuietly(err));
        java.util.concurrent.locks.LockSupport.parkNanos(20_000_000); // bounded poll of stderr
      }
      Files.createFile(release);
      assertTrue(p.waitFor(LIMIT_SECONDS, TimeUnit.SECONDS), () -> "no exit once released: " + readQuietly(err));
      assertEquals(0, p.exitValue(), () -> readQuietly(err));
      String report = Files.readString(err);
      assertTrue(report.contains("task_0 'slow_job' running"), report);
      assertTrue(report.contains("Ctrl-C"), report);
      assertEquals(1, report.lines().filter(l -> l.contains("still waiting")).count(), report);
    } finally {
      p.destroyForcibly();
    }
  }

  private static String pyString(String s) {
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  private static String readQuietly(Path f) {
    try {
      return Files.readString(f);
    } catch (IOException e) {
      return "(" + e + ")";
    }
  }
}
