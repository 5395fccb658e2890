package io.makeparallel.python;

import io.makeparallel.MakeParallel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.graalvm.polyglot.Context;

/** Shared helpers for tests that run Python code in makeparallel contexts. */
public final class PythonTestSupport {
  private PythonTestSupport() {}

  /** The repository root (set by Maven; the working directory otherwise). */
  public static Path repo() {
    return Paths.get(System.getProperty("makeparallel.repo", ".")).toAbsolutePath();
  }

  /** The {@code *.py} files in a repo folder whose names match the prefix, sorted. */
  public static List<Path> pythonFiles(String folder, String prefix) throws IOException {
    try (Stream<Path> s = Files.list(repo().resolve(folder))) {
      return s.filter(p -> p.getFileName().toString().startsWith(prefix))
          .filter(p -> p.getFileName().toString().endsWith(".py"))
          .sorted()
          .collect(Collectors.toList());
    }
  }

  /**
   * A context like the launcher's (file writes, environment, processes, runtime control, the
   * diagnostics binding the leak tests read), on the shared runtime.
   */
  public static Context newContext() {
    return MakeParallel.contextBuilder()
        .allowFileWrites(true)
        .inheritEnvironment(true)
        .allowProcesses(true)
        .diagnostics(true)
        .allowRuntimeControl(true)
        .build();
  }

  public static String resource(String name) throws IOException {
    try (InputStream in = PythonTestSupport.class.getResourceAsStream("/io/makeparallel/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /**
   * After a file: cancel whatever it left behind, reopen the runtime, and wait (bounded) until
   * no task is live, so one file cannot disturb the next.
   */
  public static boolean settleRuntime() throws InterruptedException {
    var rt = MakeParallel.runtime();
    boolean idle = rt.awaitIdle(Duration.ofSeconds(20));
    if (!idle) {
      rt.cancelAll();
      idle = rt.awaitIdle(Duration.ofSeconds(20));
    }
    rt.resetShutdown();
    rt.admission().setLimit(null);
    rt.memoryGuard().configure(null, 0);
    rt.setPriorityPaused(false);
    rt.configureThreadPool(io.makeparallel.RuntimeConfig.defaultThreads(), 0);
    return idle;
  }
}
