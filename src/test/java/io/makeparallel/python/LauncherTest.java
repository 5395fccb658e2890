package io.makeparallel.python;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import io.makeparallel.testing.Awaits;
import io.makeparallel.testing.ProcessRun;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the real {@code ./makeparallel} launcher as a process, as a user would. */
class LauncherTest {
  @TempDir Path tmp;

  private ProcessRun launch(Map<String, String> env, String stdin, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    if (args.length == 2 && args[0].equals("--script-pty")) {
      // util-linux script(1): runs the shell command on a fresh pseudo-terminal, as in a terminal.
      cmd.addAll(List.of("script", "-qec", args[1], "/dev/null"));
    } else {
      cmd.add(PythonTestSupport.repo().resolve("makeparallel").toString());
      cmd.addAll(List.of(args));
    }
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
    pb.environment().put("MAKEPARALLEL_QUIET", "1");
    pb.environment().put("MAKEPARALLEL_DAEMON", "0"); // cold runs here; DaemonTest covers the daemon
    pb.environment().putAll(env);
    // Generous: a launch with worker interpreters takes minutes on a loaded 2-core box.
    return ProcessRun.of(pb, stdin, tmp.resolve("out.txt"), tmp.resolve("err.txt"), Duration.ofSeconds(300));
  }

  private Path write(String name, String text) throws IOException {
    Path f = tmp.resolve(name);
    Files.createDirectories(f.getParent());
    Files.writeString(f, text);
    return f;
  }

  /**
   * Without the JIT the launcher records a class-data archive once, in the background, and then
   * maps it; neither run may print anything but the script's output (the JVM's recording chatter
   * must not reach the user). The third run demands the archive (AOTMode=on / -Xshare:on make
   * the JVM fail when it cannot map it), so a recorded-but-unusable archive fails too.
   */
  @Test
  @Tag("stress") // the background recording takes a minute or more on a busy 2-core box
  void withoutTheJitAClassDataArchiveIsRecordedOnceThenUsedSilently() throws Exception {
    Path jvm = tmp.resolve("cache").resolve("jvm");
    Map<String, String> env = Map.of("MAKEPARALLEL_JIT", "0", "MAKEPARALLEL_CACHE", tmp.resolve("cache").toString());
    ProcessRun first = launch(env, "", "-c", "print('hello')");
    assertEquals(new ProcessRun(0, "hello\n", ""), first);
    Awaits.until(Duration.ofMinutes(10), () -> archive(jvm) != null && !hasLock(jvm),
        () -> "an archive in " + jvm + ": " + listing(jvm));
    Path archive = archive(jvm);
    assertEquals(new ProcessRun(0, "hello\n", ""), launch(env, "", "-c", "print('hello')"));
    String demand = archive.toString().endsWith(".aot") ? "-XX:AOTMode=on" : "-Xshare:on";
    Map<String, String> strict = new java.util.HashMap<>(env);
    strict.put("MAKEPARALLEL_JAVA_OPTS", demand);
    // Without our archive (say the launcher computed another name for it) this run would fall
    // back to the JDK's own CDS archive and print a mismatch of jdk.module.enable.native.access:
    // CI caught exactly that when the name covered ls's "total" line, which changes while the
    // blocks of freshly built jars are still being allocated.
    assertEquals(new ProcessRun(0, "hello\n", ""), launch(strict, "", "-c", "print('hello')"));
    assertEquals(List.of(archive), files(jvm), "one archive, no leftovers");
  }

  /**
   * With the JIT on JDK 25 the first run links a runtime image without the JDK's placeholder
   * compiler module (in the background) and a run on that image records an AOT cache; from then
   * on runs use both, the JIT stays on, and nothing of it reaches the user's output.
   */
  @Test
  @Tag("stress") // linking and recording take minutes on a busy 2-core box
  void withTheJitARuntimeImageAndAnAotCacheAreMadeOnceThenUsedSilently() throws Exception {
    Assumptions.assumeTrue(Runtime.version().feature() >= 25, "the JIT needs JDK 25");
    Path jvm = tmp.resolve("cache").resolve("jvm");
    Map<String, String> env = Map.of("MAKEPARALLEL_CACHE", tmp.resolve("cache").toString(),
        "MAKEPARALLEL_JAVA_HOME", System.getProperty("java.home"));
    String probe = "import os, sys; print('Graal' in sys.version, os.readlink('/proc/self/exe'))";
    ProcessRun first = launch(env, "", "-c", probe);
    assertEquals(0, first.status(), first.err());
    assertEquals("", first.err());
    assertTrue(first.out().startsWith("True " + System.getProperty("java.home")), first.out());
    Awaits.until(Duration.ofMinutes(15), () -> archive(jvm) != null && !hasLock(jvm),
        () -> "a runtime image and an archive in " + jvm + ": " + listing(jvm));
    Path image = files(jvm).stream().filter(f -> f.getFileName().toString().startsWith("runtime-")).findFirst().orElseThrow();
    Map<String, String> strict = new java.util.HashMap<>(env);
    strict.put("MAKEPARALLEL_JAVA_OPTS", "-XX:AOTMode=on"); // fails the run when the cache cannot map
    assertEquals(new ProcessRun(0, "True " + image.resolve("bin").resolve("java") + "\n", ""), launch(strict, "", "-c", probe));
  }

  private static List<Path> files(Path dir) {
    try (var s = Files.list(dir)) {
      return s.sorted().toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  private static Path archive(Path dir) {
    return files(dir).stream().filter(f -> f.toString().endsWith(".aot") || f.toString().endsWith(".jsa"))
        .findFirst().orElse(null);
  }

  private static boolean hasLock(Path dir) {
    return files(dir).stream().anyMatch(f -> f.toString().endsWith(".lock"));
  }

  private static String listing(Path dir) {
    return files(dir).toString();
  }

  /**
   * Every rebuild or new JDK records a new class-data archive: when one is recorded, the launcher
   * keeps the newest four of its kind (.jsa on JDK 17) and leaves the other kind (.aot) alone. A
   * fake JDK 17 whose java only writes the archive it is asked to record makes that path quick.
   */
  @Test
  void recordingAnArchiveKeepsTheNewestFourOfItsKind() throws Exception {
    Path jdk = write("fakejdk/release", "JAVA_VERSION=\"17.0.9\"\n").getParent();
    Path java = write("fakejdk/bin/java", String.join("\n",
        "#!/bin/sh",
        "for a in \"$@\"; do",
        "  case \"$a\" in -XX:ArchiveClassesAtExit=*) echo recorded > \"${a#*=}\" ;; esac",
        "done", ""));
    assertTrue(java.toFile().setExecutable(true));
    Path jvm = tmp.resolve("cache").resolve("jvm");
    Files.createDirectories(jvm);
    long now = System.currentTimeMillis();
    for (int age = 1; age <= 6; age++) { // makeparallel-old<age>.<kind>, age hours old
      for (String kind : List.of("jsa", "aot")) {
        Path f = Files.writeString(jvm.resolve("makeparallel-old" + age + "." + kind), "old");
        Files.setLastModifiedTime(f, FileTime.fromMillis(now - age * 3_600_000L));
      }
    }
    Map<String, String> env = Map.of("MAKEPARALLEL_JAVA_HOME", jdk.toString(),
        "MAKEPARALLEL_CACHE", tmp.resolve("cache").toString());
    assertEquals(new ProcessRun(0, "", ""), launch(env, "", "-c", "pass"));
    // The recording job runs detached: its archive appears before its lock goes, after pruning.
    Awaits.until(Duration.ofMinutes(2), () -> !recorded(jvm).isEmpty() && !hasLock(jvm),
        () -> "a recorded archive in " + jvm + ": " + listing(jvm));
    List<Path> recorded = recorded(jvm);
    assertEquals(1, recorded.size(), () -> listing(jvm));
    assertEquals("recorded\n", Files.readString(recorded.get(0)));
    List<Path> kept = new ArrayList<>(recorded);
    kept.addAll(List.of(jvm.resolve("makeparallel-old1.jsa"), jvm.resolve("makeparallel-old2.jsa"),
        jvm.resolve("makeparallel-old3.jsa")));
    assertEquals(kept.stream().sorted().toList(), named(jvm, "makeparallel-", ".jsa"), "the newest four .jsa");
    assertEquals(6, named(jvm, "makeparallel-old", ".aot").size(), () -> "every .aot: " + listing(jvm));
  }

  /** The .jsa archives in {@code dir} that the test did not make. */
  private static List<Path> recorded(Path dir) {
    return named(dir, "makeparallel-", ".jsa").stream()
        .filter(f -> !f.getFileName().toString().startsWith("makeparallel-old")).toList();
  }

  private static List<Path> named(Path dir, String prefix, String suffix) {
    return files(dir).stream().filter(f -> f.getFileName().toString().startsWith(prefix)
        && f.getFileName().toString().endsWith(suffix)).toList();
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
    ProcessRun r = launch(Map.of(), "hello\n", script.toString(), "a", "--b");
    assertEquals(7, r.status(), r.err());
    assertEquals("argv ['a', '--b'] neighbour HELLO", r.out().trim());
  }

  @Test
  void uncaughtExceptionPrintsTracebackAndExitsOne() throws Exception {
    ProcessRun r = launch(Map.of(), "", "-c", "def f():\n    raise ValueError('boom')\nf()\n");
    assertEquals(1, r.status());
    assertTrue(r.err().contains("Traceback (most recent call last)"), r.err());
    assertTrue(r.err().contains("ValueError: boom"), r.err());
  }

  /** As under {@code python script.py}: the traceback starts at the script, not the launcher. */
  @Test
  void uncaughtTracebackStartsAtTheScriptAndGoesThroughExcepthook() throws Exception {
    Path script = write("boom.py", "def f():\n    raise ValueError('boom')\nf()\n");
    ProcessRun r = launch(Map.of(), "", script.toString());
    assertEquals(1, r.status());
    List<String> lines = r.err().lines().toList();
    assertEquals("Traceback (most recent call last):", lines.get(0), r.err());
    assertEquals("  File \"" + script + "\", line 3, in <module>", lines.get(1), r.err());
    assertTrue(!r.err().contains("_makeparallel_launch") && !r.err().contains("runpy"), r.err());
    assertEquals("ValueError: boom", lines.get(lines.size() - 1), r.err());

    ProcessRun c = launch(Map.of(), "", "-c", "import sys\n"
        + "sys.excepthook = lambda t, e, tb: print('hook', t.__name__, tb.tb_frame.f_code.co_filename)\n"
        + "raise KeyError(1)\n");
    assertEquals(new ProcessRun(1, "hook KeyError <string>\n", ""), c);
  }

  /**
   * {@code isatty()} of each standard stream tells the truth, in a real pseudo-terminal too
   * ({@code script} gives the launcher one), so progress bars and prompts work for a user.
   */
  @Test
  void standardStreamsReportWhetherTheyAreTerminals() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "needs util-linux script");
    Path probe = write("tty.py", "import os, sys\n"
        + "print(*[s.isatty() for s in (sys.stdin, sys.stdout, sys.stderr)], "
        + "sys.stdout.buffer.isatty(), *[os.isatty(fd) for fd in (0, 1, 2)])\n");
    assertEquals(new ProcessRun(0, "False False False False False False False\n", ""), launch(Map.of(), "", probe.toString()));

    String launcher = PythonTestSupport.repo().resolve("makeparallel").toString();
    Path redirected = tmp.resolve("redirected.txt");
    ProcessRun pty = launch(Map.of(), "", "--script-pty", launcher + " " + probe + "; "
        + launcher + " " + probe + " > " + redirected);
    assertTrue(pty.out().contains("True True True True True True True"), pty.out() + pty.err());
    assertEquals("True False True False True False True\n", Files.readString(redirected));
  }

  @Test
  void moduleModeRunsAsMain() throws Exception {
    write("pkgmod.py", "import sys\nif __name__ == '__main__':\n    print('main', sys.argv[1:])\n");
    ProcessRun r = launch(Map.of(), "", "-m", "pkgmod", "x");
    assertEquals(0, r.status(), r.err());
    assertEquals("main ['x']", r.out().trim());
  }

  @Test
  void waitsForRunningTasksAtScriptEnd() throws Exception {
    ProcessRun r = launch(Map.of(), "", "-c", String.join("\n",
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
    assertCtrlCExits130(String.join("\n",
        "import time, makeparallel",
        "@makeparallel.parallel",
        "def forever():",
        "    while True:",
        "        makeparallel.check_cancelled()",
        "        time.sleep(0.01)",
        "h = forever()",
        "print('started', flush=True)",
        "h.get()", ""));
  }

  /** Worker interpreters are Python contexts too: none of them may take Ctrl-C from the launcher. */
  @Test
  void ctrlCStopsARunawayTaskOnAWorkerInterpreter() throws Exception {
    assertCtrlCExits130(String.join("\n",
        "import makeparallel",
        "@makeparallel.parallel(backend='interpreters')",
        "def forever():",
        "    while True:",
        "        pass",
        "h = forever()",
        "while not h.running():",
        "    h.wait(0.01)",
        "print('started', flush=True)",
        "h.get()", ""));
  }

  private void assertCtrlCExits130(String code) throws Exception {
    Path script = write("spin.py", code);
    Path out = tmp.resolve("spin.out");
    Path err = tmp.resolve("spin.err");
    // A process started with SIGINT ignored keeps ignoring it, the JVM as CPython does: a build
    // run in the background of a non-interactive shell (`mvn test &`, nohup) would pass that on.
    // perl puts SIGINT back to its default before it execs the launcher (same pid).
    ProcessBuilder pb = new ProcessBuilder("perl", "-e", "$SIG{INT} = 'DEFAULT'; exec @ARGV or die \"exec: $!\"",
        PythonTestSupport.repo().resolve("makeparallel").toString(), script.toString())
        .redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().put("MAKEPARALLEL_QUIET", "1");
    pb.environment().put("MAKEPARALLEL_DAEMON", "0"); // cold runs here; DaemonTest covers the daemon
    Process p = pb.start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
      while (!Files.readString(out).contains("started")) {
        assertTrue(p.isAlive() && System.nanoTime() < deadline,
            () -> "script never started: " + readQuietly(err));
        java.util.concurrent.locks.LockSupport.parkNanos(5_000_000); // bounded poll of the output
      }
      // The launcher execs java, so this pid is the JVM's; SIGINT is what Ctrl-C sends.
      new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), () -> "no exit within 30 s of Ctrl-C: " + readQuietly(err));
      assertEquals(130, p.exitValue(), () -> readQuietly(err));
    } finally {
      p.destroyForcibly();
    }
  }

  private static String readQuietly(Path f) {
    try {
      return Files.readString(f);
    } catch (IOException e) {
      return "(" + e + ")";
    }
  }

  /**
   * The library targets JDK 17 (without the JIT) as well as 25: when a JDK 17 is installed, a
   * program using both backends and parallel_map runs on it through the launcher.
   */
  @Test
  void runsOnJdk17WithoutTheJit() throws Exception {
    Path jdk17 = jdk(17);
    Assumptions.assumeTrue(jdk17 != null, "no JDK 17 installed under /usr/lib/jvm");
    ProcessRun r = launch(Map.of("MAKEPARALLEL_JAVA_HOME", jdk17.toString(), "MAKEPARALLEL_CDS", "0"), "", "-c",
        String.join("\n",
            "import sys, makeparallel as mp",
            "def sq(x):",
            "    return x * x",
            "t = mp.parallel(sq)(7).get()",
            "i = mp.parallel(backend='interpreters')(sq)(8).get()",
            "m = mp.parallel_map(sq, range(5), backend='interpreters')",
            "print(t, i, m, sys.implementation.name)", ""));
    assertEquals(new ProcessRun(0, "49 64 [0, 1, 4, 9, 16] graalpy\n", ""), r);
  }

  /**
   * A script's own classes and generator functions work on the interpreters backend (issue 14):
   * a dataclass goes out and comes back as the script's class, an exception class of the script
   * is caught by its type, and a generator function (which GraalPy's marshal cannot carry) runs.
   */
  @Test
  void mainScriptClassesAndGeneratorsRunInWorkerInterpreters() throws Exception {
    Path script = write("classes.py", String.join("\n",
        "import dataclasses, makeparallel as mp",
        "mp.configure(interpreters=1)  # one worker context: the launch stays quick on a busy box",
        "@dataclasses.dataclass(frozen=True)",
        "class Point:",
        "    x: int",
        "    y: int = 0",
        "    def moved(self):",
        "        return Point(self.x + 1, self.y + 1)",
        "class Bad(Exception):",
        "    pass",
        "class Name(str):",
        "    pass",
        "def evens(n):",
        "    for i in range(n):",
        "        if i % 2 == 0:",
        "            yield i",
        "def fail(x):",
        "    raise Bad(x)",
        "pts = mp.parallel_map(Point.moved, [Point(i) for i in range(6)], chunksize=2, backend='interpreters')",
        "print(pts == [p.moved() for p in [Point(i) for i in range(6)]], type(pts[0]) is Point)",
        "try:",
        "    mp.parallel(backend='interpreters')(fail)('boom').get()",
        "except Bad as e:",
        "    print('caught', e)",
        "n = mp.parallel(backend='interpreters')(lambda s: Name(s + '!'))(Name('a')).get()",
        "print(type(n).__name__, n)",
        "print(mp.parallel_map(lambda k: list(evens(k)), [3, 5], backend='interpreters'))", ""));
    ProcessRun r = launch(Map.of(), "", script.toString());
    assertEquals(new ProcessRun(0, "True True\ncaught boom\nName a!\n[[0, 2], [0, 2, 4]]\n", ""), r);
  }

  /** An installed JDK of exactly {@code feature} under /usr/lib/jvm, or null. */
  private static Path jdk(int feature) throws IOException {
    Path root = Path.of("/usr/lib/jvm");
    if (!Files.isDirectory(root)) {
      return null;
    }
    try (var dirs = Files.list(root)) {
      for (Path d : dirs.sorted().toList()) {
        Path release = d.resolve("release");
        if (Files.isRegularFile(release) && Files.isExecutable(d.resolve("bin/java"))
            && Files.readString(release).contains("JAVA_VERSION=\"" + feature + ".")) {
          return d;
        }
      }
    }
    return null;
  }

  @Test
  void missingScriptIsOneLineError() throws Exception {
    ProcessRun r = launch(Map.of(), "", "no_such_script.py");
    assertEquals(2, r.status());
    assertEquals(1, r.err().trim().lines().count(), r.err());
    assertTrue(r.err().contains("can't open file"), r.err());
  }

  @Test
  void oldJdkIsOneLineError() throws Exception {
    Path fakeJdk = write("jdk11/release", "JAVA_VERSION=\"11.0.2\"\n").getParent();
    ProcessRun r = launch(Map.of("MAKEPARALLEL_JAVA_HOME", fakeJdk.toString()), "", "-c", "pass");
    assertEquals(1, r.status());
    assertTrue(r.err().contains("needs a JDK 17 or newer"), r.err());
    assertEquals(1, r.err().trim().lines().count(), r.err());
  }

  /**
   * Issue 14: the default backend still comes from MAKEPARALLEL_BACKEND, read by the runtime now
   * that the bridge no longer hands out environment variables; the launcher's main context opts
   * in to the diagnostics binding.
   */
  @Test
  void defaultBackendFromTheEnvironmentAndDiagnosticsInTheMainContext() throws Exception {
    ProcessRun r = launch(Map.of("MAKEPARALLEL_BACKEND", "interpreters"), "", "-c",
        "from makeparallel import _bridge, _submit\n"
            + "print(_submit.default_backend(), hasattr(_bridge.bridge, 'env'), _bridge.diagnostics is not None)\n");
    assertEquals(0, r.status(), r.err());
    assertEquals("interpreters False True", r.out().trim());
  }

  /**
   * The launcher fixes the parallel collector's young generation (a quarter of the default heap
   * cap, at most 512 MB) so worker start-ups do not balloon RSS, and leaves sizing alone when
   * MAKEPARALLEL_JAVA_OPTS sizes the heap itself. Read from the JVM's own command line.
   */
  @Test
  void youngGenerationIsCappedUnlessTheUserSizesTheHeap() throws Exception {
    String code = "print(sorted(a.decode() for a in open('/proc/self/cmdline', 'rb').read().split(b'\\0')"
        + " if a.startswith((b'-Xmn', b'-Xmx'))))\n";
    long memKb = Files.readAllLines(Path.of("/proc/meminfo")).stream()
        .filter(l -> l.startsWith("MemTotal:")).mapToLong(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst()
        .orElseThrow();
    long young = Math.min(512, memKb / 1024 / 4 / 4);
    ProcessRun r = launch(Map.of(), "", "-c", code);
    assertEquals(0, r.status(), r.err());
    assertEquals(young >= 32 ? "['-Xmn" + young + "m']" : "[]", r.out().trim());
    ProcessRun own = launch(Map.of("MAKEPARALLEL_JAVA_OPTS", "-Xmx1g"), "", "-c", code);
    assertEquals(0, own.status(), own.err());
    assertEquals("['-Xmx1g']", own.out().trim());
    // A flag that only mentions the collector keeps the cap; choosing a collector drops it.
    ProcessRun tuned = launch(Map.of("MAKEPARALLEL_JAVA_OPTS", "-XX:ParallelGCThreads=2"), "", "-c", code);
    assertEquals(0, tuned.status(), tuned.err());
    assertEquals(young >= 32 ? "['-Xmn" + young + "m']" : "[]", tuned.out().trim());
    ProcessRun serial = launch(Map.of("MAKEPARALLEL_JAVA_OPTS", "-XX:+UseSerialGC"), "", "-c", code);
    assertEquals(0, serial.status(), serial.err());
    assertEquals("[]", serial.out().trim());
  }
}
