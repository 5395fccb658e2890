package io.makeparallel.python;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the real {@code ./makeparallel} launcher as a process, as a user would. */
class LauncherTest {
  @TempDir Path tmp;

  record Run(int status, String out, String err) {}

  private Run launch(Map<String, String> env, String stdin, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(PythonTestSupport.repo().resolve("makeparallel").toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
    pb.environment().put("MAKEPARALLEL_QUIET", "1");
    pb.environment().putAll(env);
    Path out = tmp.resolve("out.txt");
    Path err = tmp.resolve("err.txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    if (!p.waitFor(180, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("launcher did not finish within 180 s: " + cmd);
    }
    return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  private Path write(String name, String text) throws IOException {
    Path f = tmp.resolve(name);
    Files.createDirectories(f.getParent());
    Files.writeString(f, text);
    return f;
  }

  @Test
  void scriptSeesArgvStdinNeighboursAndExitStatus() throws Exception {
    write("app/helper_mod.py", "VALUE = 'neighbour'\n");
    Path script = write("app/main.py", String.join("\n",
        "import sys, helper_mod, makeparallel",
        "line = sys.stdin.readline().strip()",
        "h = makeparallel.parallel(lambda: line.upper())()",
        "print('argv', sys.argv[1:], helper_mod.VALUE, h.get())",
        "sys.exit(7)", ""));
    Run r = launch(Map.of(), "hello\n", script.toString(), "a", "--b");
    assertEquals(7, r.status(), r.err());
    assertEquals("argv ['a', '--b'] neighbour HELLO", r.out().trim());
  }

  @Test
  void uncaughtExceptionPrintsTracebackAndExitsOne() throws Exception {
    Run r = launch(Map.of(), "", "-c", "def f():\n    raise ValueError('boom')\nf()\n");
    assertEquals(1, r.status());
    assertTrue(r.err().contains("Traceback (most recent call last)"), r.err());
    assertTrue(r.err().contains("ValueError: boom"), r.err());
  }

  @Test
  void moduleModeRunsAsMain() throws Exception {
    write("pkgmod.py", "import sys\nif __name__ == '__main__':\n    print('main', sys.argv[1:])\n");
    Run r = launch(Map.of(), "", "-m", "pkgmod", "x");
    assertEquals(0, r.status(), r.err());
    assertEquals("main ['x']", r.out().trim());
  }

  @Test
  void waitsForRunningTasksAtScriptEnd() throws Exception {
    Run r = launch(Map.of(), "", "-c", String.join("\n",
        "import time, makeparallel",
        "@makeparallel.parallel",
        "def late():",
        "    time.sleep(0.5)",
        "    print('task finished', flush=True)",
        "late()",
        "print('script end', flush=True)", ""));
    assertEquals(0, r.status(), r.err());
    assertEquals("script end\ntask finished", r.out().trim());
  }

  @Test
  void ctrlCCancelsTasksAndExitsPromptly() throws Exception {
    Path script = write("spin.py", String.join("\n",
        "import time, makeparallel",
        "@makeparallel.parallel",
        "def forever():",
        "    while True:",
        "        makeparallel.check_cancelled()",
        "        time.sleep(0.01)",
        "h = forever()",
        "print('started', flush=True)",
        "h.get()", ""));
    Path out = tmp.resolve("spin.out");
    ProcessBuilder pb = new ProcessBuilder(PythonTestSupport.repo().resolve("makeparallel").toString(),
        script.toString()).redirectOutput(out.toFile()).redirectError(tmp.resolve("spin.err").toFile());
    pb.environment().put("MAKEPARALLEL_QUIET", "1");
    Process p = pb.start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
      while (!Files.readString(out).contains("started")) {
        assertTrue(p.isAlive() && System.nanoTime() < deadline, "script never started");
        java.util.concurrent.locks.LockSupport.parkNanos(5_000_000); // bounded poll of the output
      }
      // The launcher execs java, so this pid is the JVM's; SIGINT is what Ctrl-C sends.
      new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "no exit within 30 s of Ctrl-C");
      assertEquals(130, p.exitValue());
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void missingScriptIsOneLineError() throws Exception {
    Run r = launch(Map.of(), "", "no_such_script.py");
    assertEquals(2, r.status());
    assertEquals(1, r.err().trim().lines().count(), r.err());
    assertTrue(r.err().contains("can't open file"), r.err());
  }

  @Test
  void oldJdkIsOneLineError() throws Exception {
    Path fakeJdk = write("jdk11/release", "JAVA_VERSION=\"11.0.2\"\n").getParent();
    Run r = launch(Map.of("MAKEPARALLEL_JAVA_HOME", fakeJdk.toString()), "", "-c", "pass");
    assertEquals(1, r.status());
    assertTrue(r.err().contains("needs a JDK 17 or newer"), r.err());
    assertEquals(1, r.err().trim().lines().count(), r.err());
  }
}
